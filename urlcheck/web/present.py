"""How the page shows results: a row per result (badge, bar, certificate, uptime), the
summary as JSON, the app's own gauges beside the blackbox_exporter-style metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..history import UrlStats
from ..models import CheckResult
from ..monitor import LineStatus
from ..render.labels import cert_level, status_class, status_label
from ..render.prometheus import family
from .cache import Snapshot
from .sources import UrlList

MEDIUM_MS = 300.0
"""Response times from here on get an amber bar."""
SLOW_MS = 1000.0
"""Response times from here on get a red bar."""


@dataclass(frozen=True, slots=True)
class Row:
    """One result as the page shows it."""

    result: CheckResult
    badge: str
    """CSS class of the status badge: ``ok``, ``warn``, ``fail`` or ``invalid``."""
    label: str
    bar: float
    """Bar length in percent of the slowest timed result."""
    speed: str
    """``fast``, ``medium`` or ``slow``: the colour of the bar."""
    linked: bool
    """Whether the URL is an http(s) URL that was requested, and so safe to link."""
    cert: str
    """``ok``, ``warn`` or ``fail``: how soon the certificate expires ('' when unknown)."""
    uptime: float | None = None
    """Percentage of the recorded checks that were fine (with ``--db``)."""
    spark: str = ""
    """SVG polyline points of the recent response times (with ``--db``)."""
    down_since: float | None = None
    """With ``--db``: when the runs turned the line down, while it is down."""


def _spark_points(values: Sequence[float]) -> str:
    """Points for an SVG polyline in a 100 x 20 box, highest value at the top."""
    if len(values) < 2:
        return ""
    top = max(values) or 1.0
    step = 100 / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{20 - 18 * v / top:.1f}" for i, v in enumerate(values))


def _rows(
    results: Sequence[CheckResult],
    stats: Mapping[str, UrlStats] | None = None,
    states: Mapping[str, LineStatus] | None = None,
) -> list[Row]:
    longest = max((r.elapsed_ms for r in results if r.attempts), default=0.0)
    rows = []
    for r in results:
        bar = 0.0 if not r.attempts or longest <= 0 else max(1.0, 100 * r.elapsed_ms / longest)
        speed = (
            "slow" if r.elapsed_ms >= SLOW_MS else "medium" if r.elapsed_ms >= MEDIUM_MS else "fast"
        )
        linked = r.attempts > 0 and r.url.lower().startswith(("http://", "https://"))
        history = None if stats is None else stats.get(r.url)
        status = None if states is None else states.get(r.id)
        down = status is not None and status.state == "down"
        rows.append(
            Row(
                r,
                status_class(r),
                status_label(r),
                round(bar, 2),
                speed,
                linked,
                cert_level(r.cert_days),
                None if history is None else history.uptime,
                "" if history is None else _spark_points(history.recent_ms),
                status.since if down and status is not None else None,
            )
        )
    return rows


def _format_ms(value: float) -> str:
    return f"{value:,.0f} ms"


def _format_seconds(value: float) -> str:
    if value == int(value) or value >= 10:
        return f"{value:,.0f} s"
    return f"{value:.2f} s"


def _summary_dict(snapshot: Snapshot) -> dict[str, Any]:
    summary = snapshot.summary
    return {
        "total": summary.total,
        "ok": summary.ok,
        "failed": summary.failed,
        "slowest": None if summary.slowest is None else summary.slowest.url,
        "slowest_ms": None if summary.slowest is None else round(summary.slowest.elapsed_ms, 3),
    }


def _extra_metrics(snapshot: Snapshot, urls: UrlList) -> str:
    """App-level gauges after the blackbox_exporter-style series."""
    gauges = (
        (
            "urlcheck_last_check_timestamp_seconds",
            "When the results were checked, as Unix time.",
            f"{snapshot.checked_at.timestamp():.3f}",
        ),
        (
            "urlcheck_check_duration_seconds",
            "How long the last check of the whole list took.",
            f"{snapshot.duration_s:.6f}",
        ),
        ("urlcheck_urls", "URL lines in the files.", str(len(snapshot.results))),
        ("urlcheck_input_errors", "Files that could not be read.", str(len(urls.errors))),
    )
    lines = []
    for name, help_text, value in gauges:
        lines += family(name, help_text, [f"{name} {value}"])
    return "\n".join(lines) + "\n"
