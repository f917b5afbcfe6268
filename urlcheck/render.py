"""Results → text: table, JSON, JSON lines, CSV. Pure functions; the caller prints."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from .models import CheckResult, Summary

FORMATS = ("table", "json", "jsonl", "csv")
BAR_WIDTH = 8
_BAR_EIGHTHS = " ▏▎▍▌▋▊▉"


def to_jsonl(result: CheckResult) -> str:
    """One result as one line of JSON (no trailing newline)."""
    return json.dumps(result.to_dict(), ensure_ascii=False)


def to_json(results: Iterable[CheckResult]) -> str:
    """All results as one JSON array."""
    return json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2)


def csv_header() -> str:
    """The CSV header line, with its line ending."""
    return _csv_line(CheckResult.FIELDS)


def to_csv_row(result: CheckResult) -> str:
    """One result as a CSV line, with its line ending; null is an empty cell."""
    values = result.to_dict()
    return _csv_line(["" if values[f] is None else values[f] for f in CheckResult.FIELDS])


def to_csv(results: Iterable[CheckResult]) -> str:
    """A header and one row per result."""
    return csv_header() + "".join(to_csv_row(r) for r in results)


def _csv_line(values: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def time_bar(elapsed_ms: float, longest_ms: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells whose length shows `elapsed_ms` against the longest."""
    if longest_ms <= 0:
        return ""
    eighths = round(min(1.0, elapsed_ms / longest_ms) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_BAR_EIGHTHS[part] if part else "")).ljust(width)


def _status_style(result: CheckResult) -> str:
    if result.ok:
        return "green"
    if result.status is not None and result.status < 400:
        return "yellow"
    return "bold red"


def _status_text(result: CheckResult) -> Text:
    if result.status is None:
        return Text(str(result.error_kind or "—"), style=_status_style(result))
    label = f"{result.status} {result.reason}" if result.reason else str(result.status)
    return Text(label, style=_status_style(result))


def _redirect_text(result: CheckResult) -> str:
    if not result.redirects:
        return ""
    return f"{result.redirects} → {result.final_url}"


def results_table(results: Sequence[CheckResult], *, title: str | None = None) -> Table:
    """The status table: URL, status, time with a bar, redirects → final URL, error."""
    table = Table(
        box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False, show_edge=False
    )
    table.add_column("URL", overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Time", justify="right", no_wrap=True)
    table.add_column("Redirects", overflow="fold")
    table.add_column("Error", overflow="fold")
    longest = max((r.elapsed_ms for r in results if r.attempts), default=0.0)
    for result in results:
        timing = Text()
        if result.attempts:
            timing.append(f"{result.elapsed_ms:,.0f} ms ")
            timing.append(time_bar(result.elapsed_ms, longest), style="cyan")
        table.add_row(
            result.url,
            _status_text(result),
            timing,
            _redirect_text(result),
            Text(result.error or "", style="red"),
        )
    return table


def summary_text(summary: Summary, *, hidden_ok: int = 0, interrupted: bool = False) -> Text:
    """The one-line summary: ok / failed / total time / slowest."""
    text = Text()
    text.append(f"{summary.ok} ok", style="green")
    text.append(" · ")
    text.append(f"{summary.failed} failed", style="bold red" if summary.failed else "")
    text.append(f" · {summary.total} URLs in {summary.wall_s:.2f} s")
    if summary.slowest is not None:
        text.append(f" · slowest {summary.slowest.elapsed_ms:,.0f} ms {summary.slowest.url}")
    if hidden_ok:
        text.append(f"\n{hidden_ok} fine URLs not shown; --all shows every row", style="dim")
    if interrupted:
        text.append("\ninterrupted: only the checks that finished are shown", style="yellow")
    return text
