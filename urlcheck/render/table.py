"""Results for a terminal, with rich: the status table, the summary line, the history's
table. The only renderer that needs rich, so only a run that prints a table loads it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from ..durations import human_duration, iso_utc
from ..models import CheckResult, Summary
from .cells import status_cells
from .labels import sparkline, summary_parts

if TYPE_CHECKING:
    from ..history import UrlStats
    from ..monitor import Incident

_SUMMARY_STYLES = {"ok": "green", "failed": "bold red", "dim": "dim", "warning": "yellow", "": ""}


def _table(title: str | None = None) -> Table:
    return Table(
        box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False, show_edge=False
    )


def results_table(results: Sequence[CheckResult], *, title: str | None = None) -> Table:
    """The status table (`cells`): URL, status, time and its bar, redirects → final URL,
    error; the links of documents grouped under a row naming each, with their
    ``line:column``."""
    table = _table(title)
    columns, rows = status_cells(results)
    for column in columns:
        table.add_column(
            column.header,
            justify=column.justify,
            style=column.style or None,
            width=column.width,
            overflow="fold" if column.fold else "ellipsis",
            no_wrap=not column.fold,
        )
    url_column = next(i for i, column in enumerate(columns) if column.header == "URL")
    started = False
    for row in rows:
        if isinstance(row, str):
            if started:
                table.add_section()
            heading = [Text("") for _ in columns]
            heading[url_column] = Text(row, style="bold")
            table.add_row(*heading)
        else:
            # Text, not str: rich would read "[...]" in a URL as markup (and may fail on it).
            table.add_row(*(Text(text, style=style) for text, style in row))
        started = True
    return table


def summary_text(summary: Summary, *, hidden_ok: int = 0, interrupted: bool = False) -> Text:
    """The one-line summary: ok / failed / total time / slowest."""
    text = Text()
    for piece, style in summary_parts(summary, hidden_ok=hidden_ok, interrupted=interrupted):
        text.append(piece, style=_SUMMARY_STYLES[style])
    return text


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def history_table(stats: Sequence[UrlStats], *, since_label: str) -> Table:
    """Per URL: uptime %, checks, p50/p95 response time, recent times, last failure."""
    table = _table(f"History over the last {since_label}")
    table.add_column("URL", overflow="fold")
    table.add_column("Uptime", justify="right", no_wrap=True)
    table.add_column("Checks", justify="right", no_wrap=True)
    table.add_column("p50", justify="right", no_wrap=True)
    table.add_column("p95", justify="right", no_wrap=True)
    table.add_column("Recent", no_wrap=True)
    monitored = any(s.state is not None for s in stats)
    if monitored:
        table.add_column("State", no_wrap=True)
    table.add_column("Last failure", overflow="fold")
    for s in stats:
        style = "green" if s.uptime >= 99.9 else "yellow" if s.uptime >= 95 else "bold red"
        failure = f"{_when(s.last_failure_at)} {s.last_failure}" if s.last_failure else ""
        cells: list[Text | str] = [
            Text(s.url),
            Text(f"{s.uptime:.2f}%", style=style),
            f"{s.checks:,}",
            f"{s.p50_ms:,.0f} ms",
            f"{s.p95_ms:,.0f} ms",
            Text(sparkline(s.recent_ms), style="cyan"),
        ]
        if monitored:
            cells.append(_state_text(s.state, s.since))
        cells.append(Text(failure))
        table.add_row(*cells)
    return table


def _state_text(state: str | None, since: float | None) -> Text:
    if state is None:
        return Text("")
    text = Text(state, style="green" if state == "up" else "bold red")
    if since is not None:
        text.append(f" since {_when(since)}", style="dim")
    return text


def incidents_table(incidents: Sequence[Incident], *, since_label: str) -> Table:
    """Outages, newest first: URL, file, start, end (or ongoing), duration, error kind."""
    table = _table(f"Incidents over the last {since_label}")
    table.add_column("URL", overflow="fold")
    table.add_column("File", overflow="fold")
    table.add_column("Start", no_wrap=True)
    table.add_column("End", no_wrap=True)
    table.add_column("Duration", justify="right", no_wrap=True)
    table.add_column("Error", overflow="fold")
    for i in incidents:
        end = Text("ongoing", style="bold red") if i.end is None else Text(iso_utc(i.end))
        table.add_row(
            Text(i.url),
            Text(i.file),
            iso_utc(i.start),
            end,
            human_duration(i.duration_s),
            Text(i.error_kind or ""),
        )
    return table
