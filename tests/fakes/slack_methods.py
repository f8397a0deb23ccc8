"""The Web API methods the fake Slack implements, each answering as Slack documents it."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.slack_state import MAX_TEXT, Fault, SlackState, block_errors, view_errors

_ids = itertools.count(1)


@dataclass
class Answer:
    """An HTTP answer: JSON body, status and extra headers."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # answer this many seconds late (after the work is done)
    drop: bool = False  # close the connection without answering


def spoil(answer: Answer, fault: Fault) -> Answer:
    """What a fault injected after the work was done makes of ``answer``."""
    if fault.drops:
        return Answer({}, drop=True, delay=fault.delay or 0.0)
    if fault.status >= 400:
        return Answer({"ok": False, "error": "internal_error"}, fault.status, delay=fault.delay or 0.0)
    return Answer(answer.body, answer.status, answer.headers, delay=fault.delay or 0.0)


def _error(error: str, **extra: Any) -> Answer:
    return Answer({"ok": False, "error": error, **extra})


def _channel_problem(state: SlackState, channel: str | None) -> Answer | None:
    info = state.channels.get(channel or "")
    if info is None:
        return _error("channel_not_found")
    if not info["is_member"]:
        return _error("not_in_channel")
    return None


def _blocks_problem(state: SlackState, params: dict[str, Any]) -> Answer | None:
    if len(str(params.get("text") or "")) > MAX_TEXT:
        return _error("msg_too_long")
    errors = block_errors(params.get("blocks") or [])
    if errors:
        state.invalid_blocks.append({"params": params, "errors": errors})
        return _error("invalid_blocks", errors=errors)
    return None


def auth_test(_: SlackState, __: dict[str, Any], ___: str) -> Answer:
    return Answer(
        {
            "ok": True,
            "team": "Acme",
            "team_id": "T0TEAM",
            "user": "handoff",
            "user_id": "UBOT",
            "bot_id": "B0BOT",
            "url": "https://acme.slack.invalid/",
        }
    )


def post_message(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    channel = params.get("channel")
    with state.lock:
        problem = _channel_problem(state, channel) or _blocks_problem(state, params)
        if problem:
            return problem
        assert channel is not None
        if not state.rate_allows(channel):
            return Answer({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
        message = {
            "ts": state.next_ts(),
            "text": params.get("text"),
            "blocks": params.get("blocks"),
            "metadata": params.get("metadata"),
            "thread_ts": params.get("thread_ts"),
            "user": "UBOT",
        }
        state.messages.setdefault(channel, []).append(message)
    return Answer({"ok": True, "channel": channel, "ts": message["ts"], "message": message})


def update_message(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    channel, ts = params.get("channel"), params.get("ts")
    with state.lock:
        problem = _blocks_problem(state, params)
        if problem:
            return problem
        for message in state.messages.get(channel or "", []):
            if message["ts"] == ts:
                message.update(text=params.get("text"), blocks=params.get("blocks"))
                return Answer({"ok": True, "channel": channel, "ts": ts, "text": params.get("text")})
    return _error("message_not_found")


def post_ephemeral(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    with state.lock:
        problem = _channel_problem(state, params.get("channel")) or _blocks_problem(state, params)
    return problem or Answer({"ok": True, "message_ts": state.next_ts()})


def conversation_members(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    channel = params.get("channel", "")
    if channel not in state.channels:
        return _error("channel_not_found")
    members = state.members.get(channel, [])
    start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 100)
    page = members[start : start + limit]
    cursor = str(start + limit) if start + limit < len(members) else ""
    return Answer({"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}})


def conversation_info(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    info = state.channels.get(params.get("channel", ""))
    return Answer({"ok": True, "channel": dict(info)}) if info else _error("channel_not_found")


def conversation_history(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    """Top-level messages newest first within (``oldest``, ``latest``), by pages of ``limit``."""
    channel = params.get("channel", "")
    with state.lock:
        if channel not in state.channels:
            return _error("channel_not_found")
        messages = [m for m in reversed(state.messages.get(channel, [])) if not m.get("thread_ts")]
    return _page(_within(messages, params), params)


def conversation_replies(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    """A thread's parent then its replies, oldest first, by pages of ``limit``."""
    channel, ts = params.get("channel", ""), str(params.get("ts", ""))
    with state.lock:
        if channel not in state.channels:
            return _error("channel_not_found")
        thread = [m for m in state.messages.get(channel, []) if ts in (m["ts"], m.get("thread_ts"))]
    if not thread:
        return _error("thread_not_found")
    return _page(_within(thread, params), params)


def _within(messages: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or "inf")
    inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")
    with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
    found = []
    for message in messages:
        ts = float(message["ts"])
        if ts < oldest or ts > latest or (not inclusive and ts in (oldest, latest)):
            continue
        shown = {key: value for key, value in message.items() if value is not None}
        if not with_metadata:
            shown.pop("metadata", None)
        found.append(shown)
    return found


def _page(found: list[dict[str, Any]], params: dict[str, Any]) -> Answer:
    try:
        start = int(base64.b64decode(str(params.get("cursor") or "") or b"MA==").decode())
        limit = min(max(int(params.get("limit") or 100), 1), 1000)
    except ValueError:
        return _error("invalid_cursor")
    page, more = found[start : start + limit], start + limit < len(found)
    cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
    return Answer(
        {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}
    )


def user_info(state: SlackState, params: dict[str, Any], __: str) -> Answer:
    user = params.get("user", "")
    zone = state.time_zones.get(user, "UTC")
    return Answer({"ok": True, "user": {"id": user, "name": user.lower(), "real_name": user, "tz": zone}})


def open_conversation(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    """The app's direct message with one user (``users``), made on first use as Slack does."""
    users = [user for user in str(params.get("users") or "").split(",") if user]
    if len(users) != 1:
        return _error("not_enough_users" if not users else "too_many_users")
    channel = f"D{users[0]}"
    with state.lock:
        state.channels.setdefault(
            channel, {"id": channel, "is_im": True, "is_member": True, "user": users[0]}
        )
    return Answer({"ok": True, "channel": {"id": channel}})


def open_view(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    if not params.get("trigger_id"):
        return _error("invalid_arguments")
    return _store_view(state, params["view"])


def publish_view(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    if not params.get("user_id"):
        return _error("invalid_arguments")
    return _store_view(state, params["view"], key=f"home:{params['user_id']}")


def _store_view(state: SlackState, view: dict[str, Any], key: str | None = None) -> Answer:
    errors = view_errors(view)
    with state.lock:
        if errors:
            state.invalid_blocks.append({"view": view, "errors": errors})
            return _error("invalid_arguments", errors=errors)
        view_id = f"V{next(_ids):08d}"
        state.views[key or view_id] = dict(view, id=view_id)
    return Answer({"ok": True, "view": dict(view, id=view_id)})


def upload_url(state: SlackState, params: dict[str, Any], base_url: str) -> Answer:
    file_id = f"F{next(_ids):08d}"
    with state.lock:
        state.files[file_id] = {"id": file_id, "filename": params.get("filename"), "content": None}
    root = base_url.removesuffix("api/")
    return Answer({"ok": True, "upload_url": f"{root}upload/{file_id}", "file_id": file_id})


def complete_upload(state: SlackState, params: dict[str, Any], _: str) -> Answer:
    shared = []
    with state.lock:
        for item in params.get("files") or []:
            entry = state.files.get(item.get("id"))
            if entry is None or entry["content"] is None:
                return _error("file_not_found")
            entry.update(
                title=item.get("title"),
                channel=params.get("channel_id"),
                initial_comment=params.get("initial_comment"),
            )
            shared.append({"id": entry["id"], "title": entry["title"], "name": entry["filename"]})
    return Answer({"ok": True, "files": shared})


METHODS: dict[str, Callable[[SlackState, dict[str, Any], str], Answer]] = {
    "auth.test": auth_test,
    "chat.postMessage": post_message,
    "chat.update": update_message,
    "chat.postEphemeral": post_ephemeral,
    "conversations.members": conversation_members,
    "conversations.info": conversation_info,
    "conversations.history": conversation_history,
    "conversations.replies": conversation_replies,
    "users.info": user_info,
    "conversations.open": open_conversation,
    "views.open": open_view,
    "views.update": open_view,
    "views.publish": publish_view,
    "files.getUploadURLExternal": upload_url,
    "files.completeUploadExternal": complete_upload,
}
