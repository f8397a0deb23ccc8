"""``handoff accounts import FILE``: account owners (email domain → Slack user) from a CRM export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.entrypoints.cli_runtime import fail, runtime
from bot.runtime import utcnow
from bot.services.account_owners import check_owners, owner_csv_rows, store_owners

accounts_app = typer.Typer(help="Account owners, for routes with account_owner: true.", no_args_is_help=True)
console = Console()
REFUSED = 1


@accounts_app.command("import")
def import_owners(
    path: Annotated[Path, typer.Argument(help="CSV file with the columns domain,owner (a Slack user id)")],
) -> None:
    """Store account owners; exits 1 if any row was refused (the others are stored)."""
    try:
        rows = owner_csv_rows(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{path}: {exc}")
    with runtime() as rt:
        checked = check_owners(rows, model=rt.model)
        total = store_owners(uow=rt.uow(), owners=checked.owners, now=utcnow())
    for problem in checked.problems:
        console.print(f"[red]refused[/] {escape(problem)}", highlight=False)
    console.print(f"{len(checked.owners)} account owners stored; {total} accounts have an owner.")
    if checked.problems:
        raise typer.Exit(REFUSED)
