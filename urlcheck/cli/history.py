"""``urlcheck history``: what the ``--db`` history says about each URL."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .params import CONTEXT_SETTINGS, DurationType, InputFailure, OneLineErrors
from .terminal import make_console


@click.command(
    cls=OneLineErrors,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Example:
  urlcheck --db ~/.local/state/urlcheck.db --keep 30d --quiet urls.txt   # from cron
  urlcheck history --db ~/.local/state/urlcheck.db --since 7d""",
)
@click.option(
    "--db",
    "db_path",
    envvar="URLCHECK_DB",
    type=click.Path(dir_okay=False),
    required=True,
    show_envvar=True,
    help="The SQLite history that 'urlcheck --db PATH FILE' records into.",
)
@click.option(
    "--since",
    type=DurationType(),
    default="24h",
    metavar="DURATION",
    show_envvar=True,
    help="How far back to look, e.g. 90m, 24h, 30d, 2w.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"], case_sensitive=False),
    default="table",
    help="A table, or a JSON array.",
)
def history_command(db_path: str, since: float, fmt: str) -> None:
    """Show, per URL, uptime %, checks, p50/p95 response time and the last failure."""
    from ..durations import duration_label
    from ..history import History, HistoryError
    from ..render.records import history_json
    from ..render.table import history_table

    if not Path(db_path).is_file():
        raise InputFailure(f"{db_path}: no history yet (record one: urlcheck --db {db_path} FILE)")
    try:
        with History(db_path) as history:
            stats = history.stats(time.time() - since)
    except HistoryError as exc:
        raise InputFailure(str(exc)) from None
    if fmt.lower() == "json":
        click.echo(history_json(stats))
        return
    console = make_console(sys.stdout)
    if not stats:
        console.print("no checks recorded in that period")
        return
    console.print(history_table(stats, since_label=duration_label(since)))
