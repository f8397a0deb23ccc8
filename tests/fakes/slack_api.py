"""A fake Slack Web API on loopback over real HTTP, for ``WebClient(base_url=fake.base_url)``.

It records every call, refuses invalid Block Kit as Slack would, paces ``chat.postMessage`` per
channel (429 with ``Retry-After`` beyond the rate), and injects 429, 5xx and slow answers on demand.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tests.fakes.slack_methods import METHODS, Answer, spoil
from tests.fakes.slack_socket import FakeSocket
from tests.fakes.slack_state import Call, Fault, SlackState, block_errors

RESPONSE_URL = "response_url"  # the method name under which response_url posts are recorded


class FakeSlack:
    """Start with ``with FakeSlack() as slack:``; point clients at ``slack.base_url``."""

    def __init__(
        self,
        *,
        tokens: list[str] | None = None,
        app_tokens: list[str] | None = None,
        rate_per_second: float = 1.0,
        burst: int = 2,
    ) -> None:
        self.state = SlackState(tokens or ["xoxb-test-token"], rate_per_second, burst)
        self.app_tokens = set(app_tokens or [])
        self._socket: FakeSocket | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def response_url(self) -> str:
        """A ``response_url`` for slash commands: what is posted to it is kept in ``responses()``."""
        return f"http://127.0.0.1:{self._server.server_port}/response/T0TEAM/1/abc"

    def responses(self) -> list[dict[str, Any]]:
        """The JSON messages posted to ``response_url``, oldest first."""
        with self.state.lock:
            return [c.params for c in self.state.calls if c.method == RESPONSE_URL and c.status == 200]

    @property
    def base_url(self) -> str:
        """The Web API base URL, ending with a slash as slack_sdk expects."""
        return f"http://127.0.0.1:{self._server.server_port}/api/"

    def start(self) -> FakeSlack:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def socket(self) -> FakeSocket:
        """The Socket Mode endpoint ``apps.connections.open`` hands out, started on first use."""
        with self.state.lock:
            if self._socket is None:
                self._socket = FakeSocket().start()
            return self._socket

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._socket is not None:
            self._socket.stop()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def set_channel(self, channel: str, *, bot_is_member: bool = True, name: str = "sales") -> None:
        """Create or change a channel the bot can see."""
        with self.state.lock:
            self.state.channels[channel] = {"id": channel, "name": name, "is_member": bot_is_member}
            self.state.messages.setdefault(channel, [])

    def set_members(self, channel: str, users: list[str]) -> None:
        """Who is in ``channel`` (what ``conversations.members`` answers)."""
        with self.state.lock:
            self.state.members[channel] = list(users)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
        after_store: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``status`` (0: drop the connection),
        or start after ``delay``; ``after_store`` does the work first, then answers late or badly."""
        with self.state.lock:
            queue = self.state.faults.setdefault(method, [])
            queue.extend(Fault(status, retry_after, delay, after_store) for _ in range(times))

    def calls(self, method: str | None = None) -> list[Call]:
        """Calls received (of one method, or all), oldest first; only those answered ok."""
        with self.state.lock:
            return [
                c
                for c in self.state.calls
                if (method is None or c.method == method) and c.status == 200 and c.response.get("ok")
            ]

    def all_calls(self, method: str | None = None) -> list[Call]:
        """Every call received, refused ones included."""
        with self.state.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in ``channel`` (thread replies included), oldest first."""
        with self.state.lock:
            return list(self.state.messages.get(channel, []))

    @property
    def invalid_blocks(self) -> list[dict[str, Any]]:
        """Every message or view refused for invalid Block Kit."""
        with self.state.lock:
            return list(self.state.invalid_blocks)

    @property
    def rate_limited(self) -> int:
        """How many posts were refused with 429 by the per-channel rate."""
        return self.state.rate_limited

    def reset(self) -> None:
        """Forget recorded calls (channels, members and messages stay)."""
        with self.state.lock:
            self.state.calls.clear()


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            return

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if url.path.startswith("/response/"):
                self._response_url(raw)
                return
            if url.path.startswith("/upload/"):
                self._upload(url.path.rsplit("/", 1)[-1], raw)
                return
            method = url.path.removeprefix("/api/")
            params = _params(url.query, raw, self.headers.get("Content-Type", ""))
            call = Call(method, params, dict(self.headers.items()), time.time())
            with fake.state.lock:
                fake.state.calls.append(call)
            answer = self._answer(method, params)
            call.status, call.response = answer.status, answer.body
            self._send(answer)

        def _answer(self, method: str, params: dict[str, Any]) -> Answer:
            fault = fake.state.take_fault(method)
            if fault is not None and fault.after_store:
                return spoil(self._handled(method, params), fault)
            if fault is not None and fault.drops:
                return Answer({}, drop=True)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            elif fault is not None:
                error = "ratelimited" if fault.status == 429 else "internal_error"
                headers = (
                    {"Retry-After": str(1 if fault.retry_after is None else fault.retry_after)}
                    if fault.status == 429
                    else {}
                )
                return Answer({"ok": False, "error": error}, fault.status, headers)
            return self._handled(method, params)

        def _handled(self, method: str, params: dict[str, Any]) -> Answer:
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            token = token or str(params.get("token", ""))
            if method == "apps.connections.open":
                if token not in fake.app_tokens:
                    return Answer({"ok": False, "error": "invalid_auth" if token else "not_authed"})
                return Answer({"ok": True, "url": fake.socket.url})
            if token not in fake.state.tokens:
                return Answer({"ok": False, "error": "invalid_auth" if token else "not_authed"})
            handler = METHODS.get(method)
            if handler is None:
                return Answer({"ok": False, "error": "unknown_method"})
            return handler(fake.state, params, fake.base_url)

        def _response_url(self, raw: bytes) -> None:
            # Slack answers a response_url post with a plain "ok", or 400 and the error's name.
            params = json.loads(raw) if raw else {}
            errors = block_errors(params.get("blocks") or [])
            with fake.state.lock:
                call = Call(RESPONSE_URL, params, dict(self.headers.items()), time.time())
                call.status, call.response = (400, {"ok": False}) if errors else (200, {"ok": True})
                fake.state.calls.append(call)
                if errors:
                    fake.state.invalid_blocks.append({"params": params, "errors": errors})
            answer = b"invalid_blocks" if errors else b"ok"
            self.send_response(call.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def _upload(self, file_id: str, raw: bytes) -> None:
            with fake.state.lock:
                entry = fake.state.files.get(file_id)
                if entry is not None:
                    entry["content"] = raw
            self._send(Answer({"ok": entry is not None}) if entry else Answer({"ok": False}, 404))

        def _send(self, answer: Answer) -> None:
            time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                return
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _params(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query))
    if "application/json" in content_type and raw:
        params.update(json.loads(raw))
    elif "multipart/form-data" not in content_type and raw:
        params.update(parse_qsl(raw.decode()))
    for name in ("blocks", "metadata", "view", "files", "attachments"):
        if isinstance(params.get(name), str):
            with contextlib.suppress(json.JSONDecodeError):
                params[name] = json.loads(params[name])
    return params
