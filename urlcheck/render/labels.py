"""What every view of a result says the same way, the table, Markdown and the web page alike:
its status's class and label, its redirects, how soon its certificate expires, its time as a
bar, the summary's words. No rich here: the web page and the plain formats use it too."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import CheckResult, Summary

CERT_WARN_DAYS = 30
CERT_FAIL_DAYS = 14
"""Certificates expiring sooner are shown amber (30 days) or red (14), in the table and page."""
BAR_WIDTH = 8
_BAR_EIGHTHS = " ▏▎▍▌▋▊▉"
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def plural(count: int, noun: str) -> str:
    """``1 URL``, ``2 URLs``: a count and its noun, in the singular for one."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def status_class(result: CheckResult) -> str:
    """``ok``, ``warn`` (a non-error status not accepted), ``fail``, or ``invalid`` (never sent)."""
    if result.ok:
        return "ok"
    if result.warning:
        return "warn"
    if result.attempts == 0:
        return "invalid"
    if result.status is not None and result.status < 400:
        return "warn"
    return "fail"


def status_label(result: CheckResult) -> str:
    """What the status column says: ``200 OK``, or the error kind when there was no answer;
    ``skipped`` for a link that is not checked, ``found`` for a local file (and fragment)."""
    if result.status is None:
        if result.error_kind is not None:
            return str(result.error_kind)
        return "skipped" if result.skipped else "found" if result.ok else "—"
    label = f"{result.status} {result.reason}" if result.reason else str(result.status)
    return f"{label} (cached)" if result.cached else label


def redirect_text(result: CheckResult) -> str:
    """``2 → https://final/`` when redirects were followed, else empty."""
    if not result.redirects:
        return ""
    return f"{result.redirects} → {result.final_url}"


def cert_level(days: float | None) -> str:
    """``ok``, ``warn`` (under 30 days) or ``fail`` (under 14): how soon a certificate
    expires; empty when unknown."""
    if days is None:
        return ""
    return "fail" if days < CERT_FAIL_DAYS else "warn" if days < CERT_WARN_DAYS else "ok"


def time_bar(elapsed_ms: float, longest_ms: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells whose length shows `elapsed_ms` against the longest."""
    if longest_ms <= 0:
        return ""
    eighths = round(min(1.0, elapsed_ms / longest_ms) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_BAR_EIGHTHS[part] if part else "")).ljust(width)


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


def summary_parts(
    summary: Summary, *, hidden_ok: int = 0, interrupted: bool = False
) -> list[tuple[str, str]]:
    """The summary line's pieces and the style of each (``ok``, ``failed``, ``dim``,
    ``warning`` or ``""``): ok / failed / total time / slowest, then what was left out."""
    parts = [
        (f"{summary.ok - summary.skipped} ok", "ok"),
        (" · ", ""),
        (f"{summary.failed} failed", "failed" if summary.failed else ""),
    ]
    if summary.warnings:
        parts.append((f" · {plural(summary.warnings, 'warning')}", "warning"))
    if summary.skipped:
        parts.append((f" · {summary.skipped} skipped", "dim"))
    parts.append((f" · {plural(summary.total, 'URL')} in {summary.wall_s:.2f} s", ""))
    if summary.slowest is not None:
        slowest = summary.slowest
        parts.append((f" · slowest {slowest.elapsed_ms:,.0f} ms {slowest.url}", ""))
    if hidden_ok:
        parts.append((f"\n{plural(hidden_ok, 'fine URL')} not shown; --all shows every row", "dim"))
    if interrupted:
        parts.append(("\ninterrupted: only the checks that finished are shown", "warning"))
    return parts


def summary_line(summary: Summary) -> str:
    """The summary as plain text."""
    return "".join(text for text, _ in summary_parts(summary))
