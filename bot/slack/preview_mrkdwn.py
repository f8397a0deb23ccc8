"""Slack's mrkdwn and plain_text drawn as HTML for the preview page: every character of the text is
escaped, then Slack's own marks (bold, links, mentions, dates) are drawn."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.slack.text import unescape

_CONTROL = re.compile(r"<([^<>\n]*)>")
_SLOT = re.compile(r"\x00(\d+)\x00")
_CODE = re.compile(r"```(.+?)```|`([^`\n]+)`", re.DOTALL)
# Slack only takes a mark at a word's edge: "lead_name" stays as it is.
_MARKS = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "s"),
)


@dataclass(frozen=True)
class Names:
    """Display names for ids: ``<@U123>`` is drawn as ``@rita`` when ``users`` knows U123."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)


def text_object(obj: Any, *, names: Names) -> str:
    """A Block Kit text object (mrkdwn or plain_text) as HTML."""
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(text, names=names)
    return html.escape(text.replace("\x00", "")).replace("\n", "<br>")


def mrkdwn_html(text: str, *, names: Names) -> str:
    """mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`, links, mentions, date fallbacks, line breaks."""
    slots: list[str] = []

    def keep(piece: str) -> str:
        slots.append(piece)
        return f"\x00{len(slots) - 1}\x00"

    text = _CONTROL.sub(lambda m: keep(_control(m.group(1), names=names)), text.replace("\x00", ""))
    text = html.escape(unescape(text))
    text = _CODE.sub(lambda m: keep(_code(m.group(1), m.group(2))), text)
    for pattern, tag in _MARKS:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    text = text.replace("\n", "<br>")
    while _SLOT.search(text):
        text = _SLOT.sub(lambda m: slots[int(m.group(1))], text)
    return text


def _code(block: str | None, inline: str | None) -> str:
    if block is not None:
        return f'<pre class="code">{block.strip(chr(10))}</pre>'
    return f"<code>{inline}</code>"


def _control(inner: str, *, names: Names) -> str:
    target, _, label = inner.partition("|")
    shown = html.escape(unescape(label))
    name = shown.lstrip("@#")  # <!subteam^S1|@sales> carries its own "@"
    if target.startswith("@"):
        who = names.users.get(target[1:], target[1:])
        return f'<span class="mention">@{name or html.escape(who)}</span>'
    if target.startswith("#"):
        where = names.channels.get(target[1:], target[1:])
        return f'<span class="mention">#{name or html.escape(where)}</span>'
    if target.startswith("!date^"):
        return f'<span class="date">{shown}</span>'
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        return f'<span class="mention">@{name or html.escape(special)}</span>'
    # A link is drawn, never followed: the page loads nothing.
    where = html.escape(unescape(target))
    return f'<span class="link" title="{where}">{shown or where}</span>'
