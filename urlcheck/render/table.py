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
from .labels import (
    BAR_WIDTH,
    cert_level,
    redirect_text,
    sparkline,
    status_class,
    status_label,
    summary_parts,
    time_bar,
)

if TYPE_CHECKING:
    from ..history import UrlStats
    from ..monitor import Incident

_STATUS_STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red", "invalid": "bold red"}
_CERT_STYLES = {"fail": "bold red", "warn": "yellow", "ok": "", "": ""}
_SUMMARY_STYLES = {"ok": "green", "failed": "bold red", "dim": "dim", "warning": "yellow", "": ""}


def _table(title: str | None = None) -> Table:
    return Table(
        box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False, show_edge=False
    )


def results_table(results: Sequence[CheckResult], *, title: str | None = None) -> Table:
    """The status table: URL, status, time and its bar, redirects → final URL, error.

    When some results are the links of documents, rows are grouped by file (a row naming
    it, then its links by position, each with its ``line:column``).
    """
    table = _table(title)
    by_document = any(r.column is not None for r in results)
    if by_document:
        table.add_column("Line", justify="right", no_wrap=True, style="dim")
    table.add_column("URL", overflow="fold")
    table.add_column("Status", no_wrap=True)
    # The time and its bar in columns of their own: the figures line up on the right,
    # whatever the bar's length.
    table.add_column("Time", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, width=BAR_WIDTH)
    show_certs = any(r.cert_days is not None for r in results)
    if show_certs:
        table.add_column("Cert", justify="right", no_wrap=True)
    table.add_column("Redirects", overflow="fold")
    table.add_column("Error", overflow="fold")
    longest = max((r.elapsed_ms for r in results if r.attempts), default=0.0)
    current_file = None
    for result in results:
        if by_document and result.file != current_file:
            if current_file is not None:
                table.add_section()
            current_file = result.file
            table.add_row("", Text(result.file, style="bold"))
        timing, bar = Text(), Text()
        if result.attempts:
            timing.append(f"{result.elapsed_ms:,.0f} ms")
            bar.append(time_bar(result.elapsed_ms, longest), style="cyan")
        # Text, not str: rich would read "[...]" in a URL as markup (and may fail on it).
        status = Text(status_label(result), style=_STATUS_STYLES[status_class(result)])
        cells: list[Text] = [Text(result.url), status, timing, bar]
        if by_document:
            where = (
                f"{result.line}:{result.column}" if result.column is not None else str(result.line)
            )
            cells.insert(0, Text(where))
        if show_certs:
            cells.append(_cert_text(result.cert_days))
        cells += [Text(redirect_text(result)), Text(result.error or "", style="red")]
        table.add_row(*cells)
    return table


def _cert_text(days: float | None) -> Text:
    if days is None:
        return Text("")
    return Text(f"{days:,.0f} d", style=_CERT_STYLES[cert_level(days)])


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
