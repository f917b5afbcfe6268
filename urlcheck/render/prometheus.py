"""Results as Prometheus text (the node_exporter textfile format), with blackbox_exporter's
metric names; the one home of every metric's HELP and TYPE lines, the web view's too."""

from __future__ import annotations

import time
from collections.abc import Iterable

from ..models import CheckResult

PROBE_METRICS = (
    ("probe_success", "Whether the URL's check succeeded (1) or failed (0)."),
    ("probe_http_status_code", "Final HTTP status code; 0 when there was no response."),
    ("probe_duration_seconds", "Seconds the whole check took, retries and redirects included."),
    ("probe_http_redirects", "Number of redirects followed."),
)
CERT_EXPIRY_METRIC = (
    "probe_ssl_earliest_cert_expiry",
    "When the TLS certificate expires, in seconds since the epoch (https URLs only).",
)


def label(value: str) -> str:
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


def family(name: str, help_text: str, samples: Iterable[str]) -> list[str]:
    """One gauge's HELP and TYPE lines, then its sample lines (``name{…} value``)."""
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", *samples]


def _unique_by_url(results: Iterable[CheckResult]) -> list[CheckResult]:
    """One result per URL (its first line): metric series must not repeat a label set."""
    seen: dict[str, CheckResult] = {}
    for result in results:
        seen.setdefault(result.url, result)
    return list(seen.values())


def _values(result: CheckResult) -> dict[str, float]:
    return {
        "probe_success": 1.0 if result.ok else 0.0,
        "probe_http_status_code": float(result.status or 0),
        "probe_duration_seconds": result.elapsed_ms / 1000,
        "probe_http_redirects": float(result.redirects),
    }


def to_prometheus(results: Iterable[CheckResult], *, now: float | None = None) -> str:
    """Prometheus text exposition, blackbox_exporter names, one series per URL (`url` label)."""
    unique = _unique_by_url(results)
    values = [(label(r.url), _values(r)) for r in unique]
    lines: list[str] = []
    for name, help_text in PROBE_METRICS:
        samples = (f'{name}{{url="{url}"}} {numbers[name]:.6g}' for url, numbers in values)
        lines += family(name, help_text, samples)
    certs = [r for r in unique if r.cert_days is not None]
    if certs:
        name, help_text = CERT_EXPIRY_METRIC
        start = time.time() if now is None else now
        samples = (
            f'{name}{{url="{label(r.url)}"}} {start + (r.cert_days or 0) * 86400:.0f}'
            for r in certs
        )
        lines += family(name, help_text, samples)
    return "\n".join(lines) + "\n"
