"""Results → text: table, JSON, JSON lines, CSV, JUnit, Prometheus, Markdown, and the
history's table. Pure functions; the caller prints."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from .models import CERT_FAIL_DAYS, CERT_WARN_DAYS, CheckResult, Summary

if TYPE_CHECKING:
    from .history import UrlStats

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


def status_class(result: CheckResult) -> str:
    """``ok``, ``warn`` (a non-error status not accepted), ``fail``, or ``invalid`` (never sent)."""
    if result.ok:
        return "ok"
    if result.attempts == 0:
        return "invalid"
    if result.status is not None and result.status < 400:
        return "warn"
    return "fail"


def status_label(result: CheckResult) -> str:
    """What the status column says: ``200 OK``, or the error kind when there was no answer."""
    if result.status is None:
        return str(result.error_kind or "—")
    return f"{result.status} {result.reason}" if result.reason else str(result.status)


_STATUS_STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red", "invalid": "bold red"}


def _status_text(result: CheckResult) -> Text:
    return Text(status_label(result), style=_STATUS_STYLES[status_class(result)])


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
    show_certs = any(r.cert_days is not None for r in results)
    if show_certs:
        table.add_column("Cert", justify="right", no_wrap=True)
    table.add_column("Redirects", overflow="fold")
    table.add_column("Error", overflow="fold")
    longest = max((r.elapsed_ms for r in results if r.attempts), default=0.0)
    for result in results:
        timing = Text()
        if result.attempts:
            timing.append(f"{result.elapsed_ms:,.0f} ms ")
            timing.append(time_bar(result.elapsed_ms, longest), style="cyan")
        # Text, not str: rich would read "[...]" in a URL as markup (and may fail on it).
        cells: list[Text] = [Text(result.url), _status_text(result), timing]
        if show_certs:
            cells.append(_cert_text(result.cert_days))
        cells += [Text(_redirect_text(result)), Text(result.error or "", style="red")]
        table.add_row(*cells)
    return table


def _cert_text(days: float | None) -> Text:
    if days is None:
        return Text("")
    style = "bold red" if days < CERT_FAIL_DAYS else "yellow" if days < CERT_WARN_DAYS else ""
    return Text(f"{days:,.0f} d", style=style)


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


def _unique_by_url(results: Iterable[CheckResult]) -> list[CheckResult]:
    """One result per URL (its first line): metric series must not repeat a label set."""
    seen: dict[str, CheckResult] = {}
    for result in results:
        seen.setdefault(result.url, result)
    return list(seen.values())


def _label(value: str) -> str:
    """A Prometheus label value, escaped as the text exposition format requires."""
    # The format knows only \\, \" and \n; a bare carriage return would end the line for some
    # parsers, so it is written as \n too.
    return (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


PROMETHEUS_METRICS = (
    ("probe_success", "Whether the URL's check succeeded (1) or failed (0)."),
    ("probe_http_status_code", "Final HTTP status code; 0 when there was no response."),
    ("probe_duration_seconds", "Seconds the whole check took, retries and redirects included."),
    ("probe_http_redirects", "Number of redirects followed."),
)


def _metric_values(result: CheckResult) -> dict[str, float]:
    return {
        "probe_success": 1.0 if result.ok else 0.0,
        "probe_http_status_code": float(result.status or 0),
        "probe_duration_seconds": result.elapsed_ms / 1000,
        "probe_http_redirects": float(result.redirects),
    }


CERT_EXPIRY_METRIC = (
    "probe_ssl_earliest_cert_expiry",
    "When the TLS certificate expires, in seconds since the epoch (https URLs only).",
)


def to_prometheus(results: Iterable[CheckResult], *, now: float | None = None) -> str:
    """Prometheus text exposition, blackbox_exporter names, one series per URL (`url` label)."""
    unique = _unique_by_url(results)
    values = [(_label(r.url), _metric_values(r)) for r in unique]
    lines: list[str] = []
    for name, help_text in PROMETHEUS_METRICS:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        lines.extend(f'{name}{{url="{url}"}} {numbers[name]:.6g}' for url, numbers in values)
    certs = [r for r in unique if r.cert_days is not None]
    if certs:
        name, help_text = CERT_EXPIRY_METRIC
        start = time.time() if now is None else now
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        lines.extend(
            f'{name}{{url="{_label(r.url)}"}} {start + (r.cert_days or 0) * 86400:.0f}'
            for r in certs
        )
    return "\n".join(lines) + "\n"


def _markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


def to_markdown(results: Sequence[CheckResult], summary: Summary | None = None) -> str:
    """A Markdown table for pull-request comments, failures marked, then the summary."""
    lines = ["| | URL | Status | Time | Redirects | Error |", "|---|---|---|---:|---|---|"]
    for r in results:
        status = "" if r.status is None else f"{r.status} {r.reason or ''}".strip()
        timing = f"{r.elapsed_ms:,.0f} ms" if r.attempts else ""
        lines.append(
            "| "
            + " | ".join(
                _markdown_cell(cell)
                for cell in (
                    "✅" if r.ok else "❌",
                    r.url,
                    status or str(r.error_kind or ""),
                    timing,
                    _redirect_text(r),
                    r.error or "",
                )
            )
            + " |"
        )
    if summary is not None:
        lines.append("")
        lines.append(_markdown_cell(summary_text(summary).plain))
    return "\n".join(lines) + "\n"


def to_junit(
    results: Sequence[CheckResult], *, started: datetime, hostname: str = "localhost"
) -> str:
    """JUnit XML (the Ant/Jenkins schema): a testsuite per input file, a testcase per URL line."""
    from xml.etree import ElementTree as ET

    suites = ET.Element("testsuites")
    by_file: dict[str, list[CheckResult]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    stamp = started.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    for number, (file, cases) in enumerate(by_file.items()):
        failures = sum(not c.ok for c in cases)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=file,
            package="urlcheck",
            id=str(number),
            timestamp=stamp,
            hostname=hostname or "localhost",
            tests=str(len(cases)),
            failures=str(failures),
            errors="0",
            time=f"{sum(c.elapsed_ms for c in cases) / 1000:.3f}",
        )
        ET.SubElement(suite, "properties")
        for case in cases:
            element = ET.SubElement(
                suite,
                "testcase",
                name=f"line {case.line}: {case.url}",
                classname=f"urlcheck.{file}",
                time=f"{case.elapsed_ms / 1000:.3f}",
            )
            if not case.ok:
                failure = ET.SubElement(
                    element,
                    "failure",
                    type=str(case.error_kind or "failure"),
                    message=case.error or "",
                )
                failure.text = to_jsonl(case)
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    """Values as a row of block characters, low to high (empty for no values)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    if span <= 0:
        return SPARK_BLOCKS[0] * len(values)
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round((v - low) / span * top)] for v in values)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def history_table(stats: Sequence[UrlStats], *, since_label: str) -> Table:
    """Per URL: uptime %, checks, p50/p95 response time, recent times, last failure."""
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"History over the last {since_label}",
        title_justify="left",
        pad_edge=False,
        show_edge=False,
    )
    table.add_column("URL", overflow="fold")
    table.add_column("Uptime", justify="right", no_wrap=True)
    table.add_column("Checks", justify="right", no_wrap=True)
    table.add_column("p50", justify="right", no_wrap=True)
    table.add_column("p95", justify="right", no_wrap=True)
    table.add_column("Recent", no_wrap=True)
    table.add_column("Last failure", overflow="fold")
    for s in stats:
        style = "green" if s.uptime >= 99.9 else "yellow" if s.uptime >= 95 else "bold red"
        failure = f"{_when(s.last_failure_at)} {s.last_failure}" if s.last_failure else ""
        table.add_row(
            Text(s.url),
            Text(f"{s.uptime:.2f}%", style=style),
            f"{s.checks:,}",
            f"{s.p50_ms:,.0f} ms",
            f"{s.p95_ms:,.0f} ms",
            Text(sparkline(s.recent_ms), style="cyan"),
            Text(failure),
        )
    return table


def history_json(stats: Sequence[UrlStats]) -> str:
    """Per-URL history figures as a JSON array."""
    return json.dumps(
        [
            {
                "url": s.url,
                "uptime_percent": round(s.uptime, 3),
                "checks": s.checks,
                "p50_ms": round(s.p50_ms, 3),
                "p95_ms": round(s.p95_ms, 3),
                "last_failure_at": s.last_failure_at,
                "last_failure": s.last_failure,
            }
            for s in stats
        ],
        ensure_ascii=False,
        indent=2,
    )
