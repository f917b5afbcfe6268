"""Results as records for programs: a JSON array, JSON lines, CSV; and the history's figures
as JSON. Every record has `CheckResult.FIELDS`, in that order."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..durations import iso_utc
from ..models import CERT_DAYS_DIGITS, ELAPSED_DIGITS, CheckResult

if TYPE_CHECKING:
    from ..history import UrlStats
    from ..monitor import Incident


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
"""`json.dumps` with its options, made once: dumps makes an encoder per call for them."""


_STRING = json.encoder.encode_basestring  # json's own, in C: what _ENCODE does to a str
_BOOL = {True: "true", False: "false"}


def to_jsonl(result: CheckResult) -> str:
    """One result as one line of JSON (no trailing newline): ``_ENCODE(result.to_dict())``,
    written out field by field, 2.5x as fast (a crawl prints a row for every link it finds;
    tests/test_render.py holds the two equal)."""
    r = result
    cert_days = None if r.cert_days is None else round(r.cert_days, CERT_DAYS_DIGITS)
    return (
        f'{{"url": {_STRING(r.url)}, "line": {r.line}, "ok": {_BOOL[r.ok]},'
        f' "status": {_int(r.status)}, "reason": {_str(r.reason)},'
        f' "elapsed_ms": {_number(round(r.elapsed_ms, ELAPSED_DIGITS))},'
        f' "final_url": {_str(r.final_url)},'
        f' "redirects": {r.redirects}, "method": {_str(r.method)}, "attempts": {r.attempts},'
        f' "error_kind": {_str(r.error_kind)}, "error": {_str(r.error)},'
        f' "file": {_STRING(r.file)}, "cert_days": {_number(cert_days)}, "id": {_STRING(r.id)},'
        f' "column": {_int(r.column)}, "skipped": {_BOOL[r.skipped]},'
        f' "warning": {_BOOL[r.warning]}, "cached": {_BOOL[r.cached]}}}'
    )


def _str(value: str | None) -> str:
    return "null" if value is None else _STRING(value)


def _int(value: int | None) -> str:
    return "null" if value is None else str(value)


def _number(value: float | None) -> str:
    if value is None:
        return "null"
    return repr(value) if math.isfinite(value) else _ENCODE(value)  # NaN, Infinity as json


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
                "state": s.state,
                "since": None if s.since is None else iso_utc(s.since),
            }
            for s in stats
        ],
        ensure_ascii=False,
        indent=2,
    )


def incidents_json(incidents: Sequence[Incident]) -> str:
    """Outages as a JSON array, newest first: times in ISO 8601 UTC, `end` null while one
    lasts."""
    return json.dumps(
        [
            {
                "url": i.url,
                "file": i.file,
                "start": iso_utc(i.start),
                "end": None if i.end is None else iso_utc(i.end),
                "duration_s": round(i.duration_s, 3),
                "error_kind": i.error_kind,
                "id": i.id,
            }
            for i in incidents
        ],
        ensure_ascii=False,
        indent=2,
    )
