"""Block Kit blocks drawn as HTML the way Slack lays them out (the preview page's building bricks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.slack.preview_elements import element_html, image_html, unknown
from bot.slack.preview_mrkdwn import Names, text_object

Block = dict[str, Any]


def blocks_html(blocks: Sequence[Any], *, names: Names) -> str:
    """Every block in order; a block of a type the preview does not know is shown as a placeholder."""
    return "".join(block_html(block, names=names) for block in blocks)


def block_html(block: Any, *, names: Names) -> str:
    """One block, wrapped in a ``div`` whose class names its type."""
    kind = block.get("type") if isinstance(block, dict) else None
    draw = _DRAWERS.get(str(kind))
    inner = draw(block, names) if draw is not None else unknown("block", kind)
    css = f"block {kind}" if draw is not None else "block unknown-block"
    return f'<div class="{css}">{inner}</div>'


def _header(block: Block, names: Names) -> str:
    return f"<h3>{text_object(block.get('text'), names=names)}</h3>"


def _section(block: Block, names: Names) -> str:
    body = ""
    if block.get("text"):
        body += f'<div class="text">{text_object(block["text"], names=names)}</div>'
    if block.get("fields"):
        cells = "".join(f'<div class="field">{text_object(f, names=names)}</div>' for f in block["fields"])
        body += f'<div class="fields">{cells}</div>'
    accessory = block.get("accessory")
    side = f'<div class="accessory">{element_html(accessory, names=names)}</div>' if accessory else ""
    return f'<div class="section-body">{body}</div>{side}'


def _context(block: Block, names: Names) -> str:
    parts = []
    for element in block.get("elements") or []:
        if isinstance(element, dict) and element.get("type") == "image":
            parts.append(image_html(element.get("image_url"), element.get("alt_text"), css="context-image"))
        elif isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
            parts.append(f"<span>{text_object(element, names=names)}</span>")
        else:
            parts.append(element_html(element, names=names))
    return "".join(parts)


def _divider(_block: Block, _names: Names) -> str:
    return "<hr>"


def _actions(block: Block, names: Names) -> str:
    return "".join(element_html(element, names=names) for element in block.get("elements") or [])


def _image(block: Block, names: Names) -> str:
    title = block.get("title")
    caption = f'<div class="image-title">{text_object(title, names=names)}</div>' if title else ""
    return caption + image_html(block.get("image_url"), block.get("alt_text"), css="block-image")


def _input(block: Block, names: Names) -> str:
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    label = f"<label>{text_object(block.get('label'), names=names)}{optional}</label>"
    hint = block.get("hint")
    below = f'<div class="hint">{text_object(hint, names=names)}</div>' if hint else ""
    return label + element_html(block.get("element"), names=names) + below


_DRAWERS: dict[str, Callable[[Block, Names], str]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
    "image": _image,
    "input": _input,
}
