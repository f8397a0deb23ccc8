"""Posting the weekly digest: Block Kit message, then its chart in the thread (files upload v2)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.runtime import Runtime
from bot.services.digest import compute_digest, monday_of
from bot.services.digest_report import DigestReport
from bot.slack import history
from bot.slack.digest_blocks import digest_message

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=15)
DIGEST_EVENT = "handoff_digest"


def week_label(monday: date) -> str:
    """'week of 16 Nov 2026'."""
    return f"week of {monday.day} {monday:%b %Y}"


def post_digest(
    *, runtime: Runtime, client: WebClient, week_of: date, now: datetime, claim: bool
) -> str | None:
    """Post the digest of ``week_of``'s week; with ``claim``, only if no one else has (returns its ts)."""
    settings = runtime.settings
    settings.require("SLACK_BOT_TOKEN")
    channel = settings.digest_channel_or_sales
    if channel is None:
        settings.require("HANDOFF_SALES_CHANNEL")
        return None
    monday = monday_of(week_of)
    if claim:
        with runtime.uow() as uow:
            if uow.digests.posted(week_start=monday, channel=channel):
                return None
            earlier = uow.digests.unposted_claim(week_start=monday, channel=channel)
            claimed = uow.digests.claim(week_start=monday, channel=channel, at=now, stale_after=STALE_CLAIM)
            uow.commit()
        if not claimed:
            return None
        lookback = timedelta(seconds=settings.doubt_lookback_seconds)
        if earlier is not None and (found := _find_digest(client, channel, monday, since=earlier - lookback)):
            with runtime.uow() as uow:  # its poster died or lost Slack's answer after posting it
                uow.digests.mark_posted(week_start=monday, channel=channel, at=now, message_ts=found)
                uow.commit()
            return None
    report = compute_digest(
        uow=runtime.uow(),
        week_of=monday,
        zone=settings.zone,
        model=runtime.model,
        now=now,
        routing=runtime.routing,
    )
    try:
        ts = _post_message(client, channel, monday, report)
    except Exception as exc:
        if claim and _definitely_not_posted(exc):
            with runtime.uow() as uow:
                uow.digests.release(week_start=monday, channel=channel)
                uow.commit()
        raise
    if claim:
        with runtime.uow() as uow:
            uow.digests.mark_posted(week_start=monday, channel=channel, at=now, message_ts=ts)
            uow.commit()
    _upload_chart(client, channel, monday, ts, report)
    return ts


def _definitely_not_posted(exc: Exception) -> bool:
    # A timeout, a dropped connection or a 5xx may come after Slack stored the message: keep the claim;
    # whoever takes it over (after STALE_CLAIM) looks for the digest in the channel before posting.
    return isinstance(exc, SlackApiError) and exc.response.status_code < 500


def _post_message(client: WebClient, channel: str, monday: date, report: DigestReport) -> str:
    text, blocks = digest_message(report, week_label=week_label(monday))
    metadata = {"event_type": DIGEST_EVENT, "event_payload": {"week_start": monday.isoformat()}}
    answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=metadata)
    log.info("digest of the %s posted to %s", week_label(monday), channel)
    return str(answer["ts"])


def _find_digest(client: WebClient, channel: str, monday: date, *, since: datetime) -> str | None:
    oldest = f"{since.timestamp():.6f}"

    def page(cursor: str | None) -> SlackResponse:
        return client.conversations_history(
            channel=channel, oldest=oldest, limit=history.PAGE_SIZE, include_all_metadata=True, cursor=cursor
        )

    for message in history.messages(page):
        if history.payload(message, DIGEST_EVENT).get("week_start") == monday.isoformat():
            return str(message["ts"])
    return None


def _upload_chart(client: WebClient, channel: str, monday: date, ts: str, report: DigestReport) -> None:
    from bot.services.digest_chart import digest_chart  # matplotlib: not a cost of every start

    label = week_label(monday)
    chart = digest_chart(report.history, title=f"MQL quality, 8 weeks to the {label}")
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            content=chart,
            filename=f"mql-quality-{monday}.png",
            title=f"MQL quality — {label}",
        )
    except (SlackApiError, OSError) as exc:
        log.error("the digest of the %s is posted but its chart could not be uploaded: %s", label, exc)
