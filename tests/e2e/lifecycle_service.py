"""A ``handoff serve`` process whose clock the test moves (HANDOFF_CLOCK_FILE), and what a rep does
and sees in the fake Slack: cards, their threads, modals, ``/lead`` answers."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.slack import ids
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, wait_until
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import block_action, interactive, slash_command, view_submission

FAST_LIFE = {
    "HANDOFF_TICK_MINUTES": "0.01",  # time passes (recycle dates, cool-offs) every 0.6 s of real time
    "HANDOFF_SCORER_POLL_SECONDS": "0.2",
    "HANDOFF_DELIVERY_POLL_SECONDS": "0.2",
    "HANDOFF_SLA_MINUTES": str(7 * 24 * 60),  # months pass in these tests: no SLA follow-ups in the way
}


def write_instant(path: Path, moment: datetime) -> None:
    """Set the service's clock; replaced at once, so the service never reads half an instant."""
    partial = path.with_name(f"{path.name}.{uuid.uuid4().hex}")
    partial.write_text(moment.isoformat(), encoding="utf-8")
    os.replace(partial, path)


@dataclass
class LifeService:
    """A running ``serve`` on the fake Slack, its clock, and one lead's life through it."""

    process: subprocess.Popen[bytes]
    url: str
    clock: Path
    fake: FakeSlack
    now: datetime
    email: str = "ana@acme.io"
    _events: int = field(default=0)

    def move_to(self, moment: datetime) -> None:
        """Move the service's clock to ``moment``."""
        write_instant(self.clock, moment)
        self.now = moment

    def move_by(self, span: timedelta) -> None:
        """Move the service's clock on by ``span``."""
        self.move_to(self.now + span)

    def send(self, *types: str, lead: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST events of ``types`` that happen now (service time), waiting for the scorer."""
        events = []
        for type in types:
            self._events += 1
            item = {
                "event_id": f"{self.email}-{self._events}",
                "email": self.email,
                "type": type,
                "occurred_at": self.now.isoformat(),
                "properties": {"url": "https://acme.io/pricing"} if type == "page_view" else {},
            }
            events.append(item | ({"lead": lead} if lead and not events else {}))
        answer = httpx.post(f"{self.url}/v1/events?wait=10", json=events, headers=AUTH, timeout=20)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def lead(self) -> dict[str, Any]:
        """``GET /v1/leads/{email}``."""
        answer = httpx.get(f"{self.url}/v1/leads/{self.email}", headers=AUTH, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def slack(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """A signed request from Slack."""
        return httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=10)

    def click(self, action_id: str, card: dict[str, Any], user: str) -> None:
        """A rep clicks a button on ``card``."""
        payload = block_action(
            action_id=action_id,
            value=str(handoff_of(card)),
            user=user,
            channel=SALES_CHANNEL,
            message_ts=card["ts"],
        )
        assert self.slack(*interactive(payload)).status_code == 200

    def decide_in_modal(
        self,
        action_id: str,
        card: dict[str, Any],
        *,
        user: str,
        reason: str,
        note: str,
        until: date | None = None,
    ) -> None:
        """Reject or Recycle: click, then submit the modal that opens with a reason, a note, a date."""
        opened = len(self.fake.calls("views.open"))
        self.click(action_id, card, user)
        call = wait_until(lambda: self.fake.calls("views.open")[opened:], what="the decision modal")[0]
        modal = call.params["view"]
        modal = json.loads(modal) if isinstance(modal, str) else modal
        values: dict[str, Any] = {
            ids.REASON_BLOCK: {
                ids.REASON_ACTION: {"type": "static_select", "selected_option": {"value": reason}}
            },
            ids.NOTE_BLOCK: {ids.NOTE_ACTION: {"type": "plain_text_input", "value": note}},
        }
        if until is not None:
            picked = {"type": "datepicker", "selected_date": until.isoformat()}
            values[ids.RECYCLE_DATE_BLOCK] = {ids.RECYCLE_DATE_ACTION: picked}
        answer = self.slack(*interactive(view_submission(view=modal, values=values, user=user)))
        assert answer.status_code == 200
        assert answer.content in (b"", b"{}") or "errors" not in answer.json(), answer.text

    def lookup(self, user: str = "URITA") -> dict[str, Any]:
        """``/lead EMAIL``: the answer posted to the command's response_url."""
        before = len(self.fake.responses())
        command = slash_command(text=self.email, user=user, response_url=self.fake.response_url)
        assert self.slack(*command).status_code == 200
        return wait_until(lambda: self.fake.responses()[before:], what="the /lead answer")[0]  # type: ignore[no-any-return]


def start_instant() -> datetime:
    """Where the tests' service clock starts: the real time, to the minute."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def cards(fake: FakeSlack) -> list[dict[str, Any]]:
    """The handoff cards in the sales channel as they look now (updates applied), oldest first."""
    return [
        message
        for message in fake.channel_messages(SALES_CHANNEL)
        if (message.get("metadata") or {}).get("event_type") == ids.HANDOFF_CARD_EVENT
    ]


def wait_for_cards(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    """Wait until ``count`` cards are posted; returns them."""
    return wait_until(lambda: len(cards(fake)) >= count and cards(fake), what=f"{count} card(s)")  # type: ignore[no-any-return]


def handoff_of(card: dict[str, Any]) -> int:
    """The handoff id a card carries in its metadata."""
    return int(card["metadata"]["event_payload"]["handoff_id"])


def shown(message: dict[str, Any]) -> str:
    """Every text of a message's blocks, one per line."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") in ("mrkdwn", "plain_text"):
                found.append(str(item.get("text")))
            for child in item.values():
                walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(message.get("blocks") or [])
    return "\n".join(found)


def replies(fake: FakeSlack, card: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines in a card's thread, oldest first."""
    return [m for m in fake.channel_messages(SALES_CHANNEL) if m.get("thread_ts") == card["ts"]]


def current(fake: FakeSlack, card: dict[str, Any]) -> dict[str, Any]:
    """The card as it looks now."""
    return next(message for message in cards(fake) if message["ts"] == card["ts"])
