"""Block Kit elements (buttons, menus, inputs, images) drawn as inert HTML form controls."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from bot.slack.preview_mrkdwn import Names, text_object

Element = dict[str, Any]


def element_html(element: Any, *, names: Names) -> str:
    """One interactive or image element; an unknown one as a visible placeholder."""
    kind = element.get("type") if isinstance(element, dict) else None
    draw = _DRAWERS.get(str(kind))
    if draw is None:
        return unknown("element", kind)
    return draw(element, names)


def unknown(what: str, kind: object) -> str:
    """What the preview cannot draw, said on the page rather than dropped."""
    return f'<div class="unknown">[{what} “{html.escape(str(kind))}” is not drawn in this preview]</div>'


def image_html(url: object, alt: object, *, css: str) -> str:
    """An image: drawn only from a ``data:`` URI (the page loads nothing), else a labelled box."""
    alt_text = html.escape(str(alt or ""))
    if isinstance(url, str) and url.startswith("data:image/"):
        return f'<img class="{css}" src="{html.escape(url)}" alt="{alt_text}">'
    return f'<span class="{css} missing-image" role="img" aria-label="{alt_text}">🖼 {alt_text}</span>'


def _button(element: Element, names: Names) -> str:
    style = element.get("style")
    css = f"button {style}" if style in ("primary", "danger") else "button"
    return f'<button type="button" class="{css}">{text_object(element.get("text"), names=names)}</button>'


def _select(element: Element, names: Names) -> str:
    chosen = element.get("initial_option")
    shown = chosen.get("text") if isinstance(chosen, dict) else element.get("placeholder")
    css = "select" if isinstance(chosen, dict) else "select placeholder"
    options = "".join(
        f"<li>{text_object(option.get('text'), names=names)}</li>"
        for option in element.get("options") or []
        if isinstance(option, dict)
    )
    menu = f'<ul class="options" hidden>{options}</ul>' if options else ""
    caret = '<span class="caret">▾</span>'
    return f'<div class="{css}"><span>{text_object(shown, names=names)}</span>{caret}{menu}</div>'


def _text_input(element: Element, names: Names) -> str:
    css = "text-input multiline" if element.get("multiline") else "text-input"
    initial = html.escape(str(element.get("initial_value") or ""))
    shown = (
        initial or f'<span class="placeholder">{text_object(element.get("placeholder"), names=names)}</span>'
    )
    return f'<div class="{css}">{shown}</div>'


def _datepicker(element: Element, names: Names) -> str:
    day = element.get("initial_date")
    shown = html.escape(str(day)) if day else text_object(element.get("placeholder"), names=names)
    return f'<div class="select date-input"><span>📅 {shown}</span><span class="caret">▾</span></div>'


def _overflow(_element: Element, _names: Names) -> str:
    return '<button type="button" class="button overflow">⋯</button>'


def _image(element: Element, _names: Names) -> str:
    return image_html(element.get("image_url"), element.get("alt_text"), css="accessory-image")


_DRAWERS: dict[str, Callable[[Element, Names], str]] = {
    "button": _button,
    "static_select": _select,
    "external_select": _select,
    "users_select": _select,
    "conversations_select": _select,
    "channels_select": _select,
    "plain_text_input": _text_input,
    "email_text_input": _text_input,
    "url_text_input": _text_input,
    "number_input": _text_input,
    "datepicker": _datepicker,
    "overflow": _overflow,
    "image": _image,
}
