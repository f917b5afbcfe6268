"""Durations as people write them (``90s``, ``15m``, ``24h``, ``30d``, ``2w``) and as urlcheck
shows them (for ``--keep``, ``--since``, ``--remind`` and the like), and times as it prints
them: ISO 8601 UTC."""

from __future__ import annotations

import re
import time

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Seconds in a duration like ``90s``, ``15m``, ``24h``, ``30d`` or ``2w``."""
    match = _DURATION_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 24h, 30d or 2w")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def duration_label(seconds: float) -> str:
    """Seconds as the shortest exact duration: ``24h``, ``2w``, ``90m``, ``45s``."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def iso_utc(ts: float) -> str:
    """A UNIX time as ISO 8601 UTC to the second, e.g. ``2024-05-01T12:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def human_duration(seconds: float) -> str:
    """A duration in its two largest units, e.g. ``45s``, ``5m 3s``, ``2h 10m``, ``3d 4h``."""
    total = max(0, round(seconds))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size or (unit == "s" and not parts):
            parts.append(f"{total // size}{unit}")
            total %= size
    return " ".join(parts[:2])
