"""``handoff webhooks list`` and ``handoff webhooks replay ID``: what the endpoints were sent."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.entrypoints.cli_runtime import fail, runtime
from bot.runtime import utcnow
from bot.webhooks.sender import message_id

webhooks_app = typer.Typer(help="Outbound webhooks (HANDOFF_WEBHOOKS).", no_args_is_help=True)
console = Console()


@webhooks_app.command("list")
def list_webhooks(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many of the latest messages")] = 20,
    failing: Annotated[
        bool, typer.Option("--failing", help="only messages not delivered that failed")
    ] = False,
) -> None:
    """The endpoints with their messages by state, then the latest messages, newest first."""
    with runtime() as rt:
        if rt.webhooks is None:
            fail("HANDOFF_WEBHOOKS is not set: no webhooks are sent")
        with rt.read_uow() as uow:
            counts = uow.webhooks.counts()
            latest = uow.webhooks.latest(limit=limit, failing_only=failing)
        endpoints = rt.webhooks.endpoints
    for endpoint in endpoints:
        states = {status: count for (name, status), count in counts.items() if name == endpoint.name}
        shown = ", ".join(f"{count} {status}" for status, count in sorted(states.items())) or "nothing yet"
        console.print(
            f"[bold]{escape(endpoint.name)}[/] {escape(str(endpoint.url))}: {shown}", highlight=False
        )
    if not latest:
        console.print("No failing webhook messages." if failing else "No webhook messages yet.")
        return
    for item in latest:
        queued = item.created_at.strftime("%Y-%m-%d %H:%M:%S")
        error = f" · {escape(item.last_error)}" if item.last_error else ""
        console.print(
            f"{message_id(item.id)}  {escape(item.endpoint)}  {escape(item.type)}  {item.status}"
            f" · {item.attempts} attempts · queued {queued}{error}",
            highlight=False,
            soft_wrap=True,
        )


@webhooks_app.command("replay")
def replay(
    webhook_id: Annotated[
        str, typer.Argument(help="a webhook-id from `handoff webhooks list` (msg_handoff_N)")
    ],
) -> None:
    """Send one message again now, with the same webhook-id (a receiver that has it drops it)."""
    number = webhook_id.removeprefix("msg_handoff_")
    if not number.isascii() or not number.isdigit():
        fail(f"{webhook_id!r} is not a webhook-id such as msg_handoff_42")
    with runtime() as rt, rt.uow() as uow:
        found = uow.webhooks.replay(int(number), now=utcnow())
        uow.commit()
    if not found:
        fail(f"no webhook message {webhook_id}")
    console.print(f"{webhook_id} is queued again; a running `handoff serve` sends it within a poll.")
