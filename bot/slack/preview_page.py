"""One self-contained HTML page drawing messages, modals and App Home tabs as Slack lays them out.

Pure: Block Kit in, a string out. The page holds its style inline and loads nothing; each picture is
a ``section`` with an id, and opening the page at ``#id`` shows that picture alone.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.slack.preview_blocks import blocks_html
from bot.slack.preview_css import STYLE
from bot.slack.preview_mrkdwn import Names, mrkdwn_html, text_object


@dataclass(frozen=True)
class Message:
    """A message as posted, with the replies in its thread."""

    blocks: Sequence[Any]
    text: str = ""
    author: str = "Handoff"
    time: str = ""
    replies: Sequence[Message] = ()


@dataclass(frozen=True)
class Picture:
    """One picture of the page: its id (``#card``), a title, a line saying what it shows, its HTML."""

    key: str
    title: str
    caption: str
    body: str


@dataclass(frozen=True)
class Preview:
    """What draws ids as names and the channel the messages are in."""

    names: Names = field(default_factory=Names)
    channel: str = "sales"

    def channel_html(self, messages: Sequence[Message]) -> str:
        """Messages in a channel, each with its thread below it."""
        bar = f'<div class="channel-bar"># {html.escape(self.channel)}</div>'
        return f'<div class="surface">{bar}{"".join(self._message(m) for m in messages)}</div>'

    def modal_html(self, view: dict[str, Any]) -> str:
        """A modal over a dimmed window: title and close, its blocks, then Cancel and the submit button."""
        title = text_object(view.get("title"), names=self.names)
        close = view.get("close") or {"type": "plain_text", "text": "Cancel"}
        foot = f'<button type="button" class="button">{text_object(close, names=self.names)}</button>'
        if view.get("submit"):
            submit = text_object(view["submit"], names=self.names)
            foot += f'<button type="button" class="button primary">{submit}</button>'
        head = f'<div class="modal-head"><span>{title}</span><span class="close">✕</span></div>'
        body = f'<div class="modal-body">{blocks_html(view.get("blocks") or [], names=self.names)}</div>'
        modal = f'<div class="modal">{head}{body}<div class="modal-foot">{foot}</div></div>'
        return f'<div class="backdrop">{modal}</div>'

    def home_html(self, view: dict[str, Any], *, app: str = "Handoff") -> str:
        """An App Home tab: the app's name and tabs, then the view's blocks."""
        tabs = '<div class="tabs"><span class="on">Home</span><span>Messages</span><span>About</span></div>'
        bar = f'<div class="app-bar">{html.escape(app)}{tabs}</div>'
        body = f'<div class="home">{blocks_html(view.get("blocks") or [], names=self.names)}</div>'
        return f'<div class="surface">{bar}{body}</div>'

    def _message(self, message: Message) -> str:
        initial = html.escape(message.author[:1].upper())
        head = f'<span class="author">{html.escape(message.author)}</span><span class="badge">APP</span>'
        head += f'<span class="time">{html.escape(message.time)}</span>' if message.time else ""
        body = blocks_html(message.blocks, names=self.names)
        if not message.blocks:  # a message without blocks shows its text as mrkdwn
            body = f'<div class="block text">{mrkdwn_html(message.text, names=self.names)}</div>'
        drawn = (
            f'<div class="message"><div class="avatar">{initial}</div>'
            f'<div class="message-body"><div>{head}</div>{body}</div></div>'
        )
        if not message.replies:
            return drawn
        count = len(message.replies)
        label = f'<div class="thread-label">{count} {"reply" if count == 1 else "replies"}</div>'
        replies = "".join(self._message(reply) for reply in message.replies)
        return f'{drawn}<div class="thread">{label}{replies}</div>'


def page_html(*, title: str, intro: str, pictures: Sequence[Picture]) -> str:
    """The whole page: inline style, a heading, then each picture in a section of its own."""
    sections = "".join(
        f'<section class="picture" id="{html.escape(p.key)}"><h2>{html.escape(p.title)}</h2>'
        f'<p class="caption">{html.escape(p.caption)}</p>{p.body}</section>\n'
        for p in pictures
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p></header>\n"
        f"{sections}</body>\n</html>\n"
    )
