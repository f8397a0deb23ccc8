"""The ``handoff`` command line: translates arguments into use cases and prints their results."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bot.entrypoints.cli_accounts import accounts_app
from bot.entrypoints.cli_lab import backtest, model_app
from bot.entrypoints.cli_manifest import manifest
from bot.entrypoints.cli_rescore import rescore
from bot.entrypoints.cli_runtime import INTERRUPTED, ctrl_c_held, errors, fail, runtime, settings_or_fail
from bot.entrypoints.cli_webhooks import webhooks_app
from bot.entrypoints.problems import slack_problem
from bot.runtime import Runtime, utcnow
from bot.services.csv_input import decode_lines, parse_csv
from bot.services.event_input import InputFormatError
from bot.services.ingest import IngestResult, tune_garbage_collector_for_bulk_ingest
from bot.services.ingest_batch import ReadyBatch, batches_of
from bot.services.leads import lead_report
from bot.services.parse_ahead import ready_batches
from bot.services.scorer import ScorerPass
from bot.settings import SettingsError, load_settings
from bot.terminal import render
from bot.version import handoff_version

app = typer.Typer(help="Handoff: carries leads from marketing to sales in Slack.", no_args_is_help=True)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.command()(manifest)
app.command()(rescore)
app.command()(backtest)
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")
app.add_typer(accounts_app, name="accounts")
app.add_typer(webhooks_app, name="webhooks")
console = Console()


def _print_version(asked: bool) -> None:
    if asked:
        print(f"handoff {handoff_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """Handoff: carries leads from marketing to sales in Slack."""


@app.command()
def ingest(
    path: Annotated[str, typer.Argument(help="JSON Lines or CSV file, or - for standard input")],
    csv_format: Annotated[bool, typer.Option("--csv", help="read CSV (implied by a .csv file name)")] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=50_000, help="events per transaction, at most")
    ] = 10_000,
) -> None:
    """Ingest events, then score them; exits 1 if any were refused (the valid ones are stored)."""
    source = _open_source(path)
    tune_garbage_collector_for_bulk_ingest()
    is_csv = csv_format or path.lower().endswith(".csv")
    total = IngestResult()
    started = utcnow()
    try:
        with runtime() as rt:
            with source, _progress(source) as (progress, task):
                try:
                    batches = _batches(source, is_csv, size=batch_size, rt=rt)
                except InputFormatError as exc:
                    fail(f"{path}: {exc}", code=2)
                for batch in batches:
                    with ctrl_c_held():
                        total.add(rt.append_ready(batch))
                    progress.update(
                        task, completed=_position(source), events=total.accepted + total.duplicates
                    )
            _drain(rt, until=total.last_event_id)  # once the progress bar's thread has ended
            total.stage_changes, total.scored = rt.stage_changes_since(total.lead_ids, started), True
            total.below_fit = rt.below_fit_since(total.lead_ids, started)
    except KeyboardInterrupt:
        fail(
            f"interrupted: the {total.accepted + total.duplicates:,} events of the batches committed so far "
            "are stored (and scored as far as shown) and events already stored are skipped as duplicates, "
            "so re-run the same command",
            code=INTERRUPTED,
        )
    render.ingest_summary(console, total)
    if total.refused:
        raise typer.Exit(1)


def _drain(rt: Runtime, *, until: int) -> None:
    """Score what was appended, with a progress bar; another process scoring is waited for."""
    start = rt.checkpoint()
    columns = [TextColumn("scoring"), BarColumn(), TextColumn("{task.completed:,} of {task.total:,} events")]
    # Refreshed by hand, with no thread of its own: the scorer forks a worker only when it is the
    # process's one thread (see ``scorer_parts``).
    progress = Progress(*columns, console=errors, transient=True, auto_refresh=False)
    with progress, ctrl_c_held() as stop_if_asked:
        task = progress.add_task("score", total=max(0, until - start))
        progress.refresh()

        def show(done: ScorerPass) -> None:
            scored = max(0, min(done.checkpoint, until) - start, done.events)
            progress.update(task, completed=min(scored, until - start), refresh=True)
            stop_if_asked()  # between two groups: no transaction is open

        rt.drain(until=until, on_chunk=show, on_wait=stop_if_asked)


def _open_source(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


def _batches(source: BinaryIO, is_csv: bool, *, size: int, rt: Runtime) -> Iterator[ReadyBatch]:
    if is_csv:
        return batches_of(parse_csv(decode_lines(source)), size=size, values=rt.event_values)
    return ready_batches(source, batch=size, dialect=rt.engine.dialect.name)


def _position(source: BinaryIO) -> int:
    try:
        return source.tell()
    except OSError:
        return 0


@contextmanager
def _progress(source: BinaryIO) -> Iterator[tuple[Progress, TaskID]]:
    try:
        size = Path(source.name).stat().st_size if source is not sys.stdin.buffer else None
    except (OSError, TypeError):
        size = None
    columns = [
        TextColumn("ingesting"),
        BarColumn(),
        TextColumn("{task.fields[events]:,} events"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=errors, transient=True) as progress:
        yield progress, progress.add_task("ingest", total=size, events=0)


@app.command()
def lead(
    email: Annotated[str, typer.Argument(help="the lead's email")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show a lead's score with its explanation, stage and handoffs."""
    with runtime() as rt:
        now = utcnow()
        report = lead_report(uow=rt.read_uow(), email=email, model=rt.model, now=now)
    if report is None:
        errors.print(f"no lead found for {email}")
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        console.print(render.lead_panel(report, now=now))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations, then derive whatever the event log holds that is not yet scored
    (after the upgrade to the event log: every lead's history, once)."""
    with runtime(migrate=False) as rt:
        from storage.migrate import upgrade

        revision = upgrade(rt.engine)
        console.print(f"database is at revision {revision}")
        with rt.read_uow() as uow:
            last = uow.events.last_id()
        pending = last - rt.checkpoint()
        if pending > 0:
            console.print(f"deriving the history of {pending:,} events from the event log…")
            _drain(rt, until=last)
            console.print("history derived")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="address to listen on [default: HANDOFF_HOST, 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="port [default: HANDOFF_PORT, 8000]")
    ] = None,
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="Slack over a websocket (SLACK_APP_TOKEN)")
    ] = False,
) -> None:
    """Everything in one process: Slack endpoint, ingestion API, delivery worker; migrations first."""
    import uvicorn

    from bot.entrypoints import socket_mode as socket_mode_start
    from bot.entrypoints.logs import configure_logging
    from bot.entrypoints.server import build_server

    # Over Socket Mode nothing is signed: the app-level token opens the socket instead.
    inbound = "SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET"
    settings = settings_or_fail("SLACK_BOT_TOKEN", inbound)
    configure_logging(log_format=settings.log_format)
    if socket_mode:
        socket_mode_start.check_app_token(settings)
    with runtime(settings=settings) as rt:
        app, _, bolt_app = build_server(rt)
        if socket_mode:
            socket_mode_start.connect(bolt_app, app_token=rt.settings.slack_app_token or "")
        uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_config=None)


@app.command()
def digest(
    week_of: Annotated[
        str | None, typer.Option("--week-of", help="any day of the week to report (default: last week)")
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="post it to the digest channel")] = False,
    chart: Annotated[Path | None, typer.Option(help="where to save the chart PNG")] = None,
) -> None:
    """Print the weekly MQL-quality digest and save its chart; --send posts it to Slack."""
    from bot.services.digest import compute_digest, last_full_week, monday_of
    from bot.services.digest_chart import digest_chart
    from bot.slack.digest_post import week_label
    from bot.terminal.render_digest import print_digest

    with runtime() as rt:
        now = utcnow()
        try:
            day = date.fromisoformat(week_of) if week_of else last_full_week(now, rt.settings.zone)
        except ValueError:
            fail(f"--week-of must be a date like 2026-11-16, not {week_of!r}")
        monday = monday_of(day)
        report = compute_digest(
            uow=rt.uow(), week_of=monday, zone=rt.settings.zone, model=rt.model, now=now, routing=rt.routing
        )
        print_digest(console, report, week_label=week_label(monday))
        path = chart or Path(f"mql-quality-{monday}.png")
        try:
            path.write_bytes(
                digest_chart(report.history, title=f"MQL quality, 8 weeks to the {week_label(monday)}")
            )
        except OSError as exc:
            fail(f"cannot save the chart to {path}: {exc.strerror}")
        console.print(f"chart saved to {path}")
        if send:
            _send_digest(rt, monday, now)


def _send_digest(rt: Runtime, monday: date, now: datetime) -> None:
    """Post the week's digest unless it was posted (or is being posted) already, by a replica's
    scheduler or another ``digest --send``: the week is claimed exactly as the scheduler claims it."""
    from slack_sdk.errors import SlackApiError

    from bot.slack.app import make_client
    from bot.slack.digest_post import post_digest, week_label

    try:
        ts = post_digest(runtime=rt, client=make_client(rt), week_of=monday, now=now, claim=True)
    except SettingsError as exc:
        fail(str(exc))
    except SlackApiError as exc:
        fail(f"Slack refused the digest: {exc.response.get('error')} (try `handoff check`)", code=1)
    except OSError as exc:
        fail(f"{slack_problem(exc)}: the digest may have been posted (try `handoff check`)", code=1)
    channel = rt.settings.digest_channel_or_sales
    if ts is None:
        console.print(
            f"the digest of the {week_label(monday)} was already posted (or is being posted) to {channel}; "
            "not sent again"
        )
        return
    console.print(f"posted to {channel} (ts {ts})")


@app.command()
def check() -> None:
    """Validate settings, database, scoring model, Slack token and channel access."""
    from bot.entrypoints.checks import run_checks

    try:
        settings = load_settings()
    except SettingsError as exc:
        errors.print(f"[red]✗ settings[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print("[green]✓ settings[/] valid")
    results = list(run_checks(settings))
    for result in results:
        mark = "[green]✓" if result.ok else "[red]✗"
        console.print(f"{mark} {result.name}[/] {escape(result.detail)}", highlight=False, soft_wrap=True)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


@app.command()
def demo(
    leads: Annotated[int, typer.Option(min=1, max=100_000)] = 300,
    events: Annotated[int, typer.Option(min=1, max=1_000_000)] = 4000,
    save_events: Annotated[
        Path | None,
        typer.Option(help="also write the generated events as JSON Lines here, for `handoff ingest`"),
    ] = None,
    save_outcomes: Annotated[
        Path | None,
        typer.Option(
            help="also write outcomes of the generated leads as a CRM export (CSV), for the model lab"
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            help="also draw the card, reject modal, App Home and digest as Slack shows them, in one HTML page"
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="run the demo at this instant (ISO 8601, UTC if no zone); --html alone uses a fixed one"
        ),
    ] = None,
) -> None:
    """The whole flow on embedded defaults, no Slack account needed."""
    from bot.entrypoints.demo import run_demo

    try:
        moment = datetime.fromisoformat(at) if at else None
    except ValueError:
        raise typer.BadParameter(f"{at!r} is not an ISO 8601 instant", param_hint="--at") from None
    moment = moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
    if html is not None and not html.parent.is_dir():
        fail(f"cannot write {html}: {html.parent} is not a folder")
    run_demo(
        console,
        leads=leads,
        events=events,
        save_events=save_events,
        save_outcomes=save_outcomes,
        html=html,
        at=moment,
    )


def main() -> None:
    """Console-script entry point."""
    app()
