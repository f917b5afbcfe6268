"""``urlcheck history`` and ``urlcheck incidents``: what the ``--db`` history says about
each URL, and the outages its runs recorded."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .params import CONTEXT_SETTINGS, DurationType, InputFailure, OneLineErrors
from .terminal import make_console

if TYPE_CHECKING:
    from ..history import UrlStats
    from ..monitor import LineStatus


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
    """Show, per URL, uptime %, checks, p50/p95 response time, state and the last failure."""
    from ..durations import duration_label
    from ..errors import HistoryError
    from ..history import History
    from ..monitor import Monitor
    from ..render.records import history_json
    from ..render.table import history_table

    _must_exist(db_path)
    try:
        with History(db_path) as history:
            stats = history.stats(time.time() - since)
        with Monitor(db_path) as monitor:
            stats = with_state(stats, monitor.states())
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


def _must_exist(db_path: str) -> None:
    if not Path(db_path).is_file():
        raise InputFailure(f"{db_path}: no history yet (record one: urlcheck --db {db_path} FILE)")


def with_state(
    stats: list[UrlStats], states: Mapping[tuple[str, str], LineStatus]
) -> list[UrlStats]:
    """The figures of each URL with its state, as the runs left it: down if any line of it
    is down (since the earliest such line went down), up otherwise."""
    by_url: dict[str, list[LineStatus]] = {}
    for (url, _file), status in states.items():
        by_url.setdefault(url, []).append(status)
    merged = []
    for figures in stats:
        lines = by_url.get(figures.url)
        if not lines:
            merged.append(figures)
            continue
        down = [line for line in lines if line.state == "down"]
        chosen = down or lines
        since = min(line.since for line in chosen)
        merged.append(dataclasses.replace(figures, state="down" if down else "up", since=since))
    return merged


@click.command(
    cls=OneLineErrors,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Example:
  urlcheck incidents --db ~/.local/state/urlcheck.db --since 30d
  urlcheck incidents --format json | jq '.[] | select(.end == null)'   # what is down now""",
)
@click.option(
    "--db",
    "db_path",
    envvar="URLCHECK_DB",
    type=click.Path(dir_okay=False),
    required=True,
    show_envvar=True,
    help="The history that 'urlcheck --db PATH FILE' records the state of each URL into.",
)
@click.option(
    "--since",
    type=DurationType(),
    default="30d",
    metavar="DURATION",
    show_envvar=True,
    help="Outages that lasted into this period, e.g. 24h, 30d, 2w (ongoing ones always).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"], case_sensitive=False),
    default="table",
    help="A table, or a JSON array: url, file, start, end (null while ongoing), duration_s, "
    "error_kind; times in ISO 8601 UTC.",
)
def incidents_command(db_path: str, since: float, fmt: str) -> None:
    """List the outages the runs recorded, newest first: from the first failed run of the
    streak that turned a URL down to the run that turned it up."""
    from ..durations import duration_label
    from ..errors import HistoryError
    from ..monitor import Monitor
    from ..render.records import incidents_json
    from ..render.table import incidents_table

    _must_exist(db_path)
    try:
        with Monitor(db_path) as monitor:
            found = monitor.incidents(time.time() - since)
    except HistoryError as exc:
        raise InputFailure(str(exc)) from None
    if fmt.lower() == "json":
        click.echo(incidents_json(found))
        return
    console = make_console(sys.stdout)
    if not found:
        console.print("no incidents in that period")
        return
    console.print(incidents_table(found, since_label=duration_label(since)))
