"""/metrics tells how delivery goes: entries by state, the oldest pending one's age, Slack calls by
outcome, retries by cause, and the process's own figures."""

from __future__ import annotations

import re

import httpx

from tests.e2e.conftest import AUTH, Served, wait_until
from tests.e2e.delivery_helpers import cards_per_handoff, sql_events
from tests.fakes.slack_api import FakeSlack


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_show_a_rate_limited_card_waiting_then_sent(served: Served, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=3)
    httpx.post(f"{served.url}/v1/events", json=sql_events(1), headers=AUTH, timeout=10)
    wait_until(lambda: fake_slack.all_calls("chat.postMessage"), what="the rate-limited post")

    waiting = wait_until(
        lambda: (
            (text := httpx.get(f"{served.url}/metrics").text)
            and _value(text, "handoff_outbox_oldest_pending_age_seconds") >= 1
            and text
        ),
        what="the card to wait a second",
    )
    assert _value(waiting, 'handoff_outbox_entries{status="pending"}') == 1
    wait_until(lambda: cards_per_handoff(fake_slack), timeout=20, what="the card")
    sent = httpx.get(f"{served.url}/metrics").text

    assert _value(sent, 'handoff_outbox_entries{status="sent"}') == 1
    assert _value(sent, "handoff_outbox_oldest_pending_age_seconds") == 0
    assert _value(sent, 'handoff_delivery_retries_total{cause="rate_limited"}') == 1
    assert _value(sent, 'handoff_slack_api_calls_total{method="chat.postMessage",outcome="ratelimited"}') == 1
    assert _value(sent, 'handoff_slack_api_calls_total{method="chat.postMessage",outcome="ok"}') == 1
    assert _value(sent, "process_resident_memory_bytes") > 0
    assert "python_info{" in sent
