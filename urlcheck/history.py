"""The history of past runs in the ``--db`` database: record results as a run goes, prune old
rows, and read back uptime figures and the latest complete run (`database` opens the file
and keeps it safe for overlapping cron runs; `schema` has its tables)."""

from __future__ import annotations

import os
import socket
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from . import schema
from .database import BUSY_TIMEOUT_S, open_database, write
from .durations import parse_duration
from .errors import HistoryError
from .models import CheckResult, Summary

__all__ = [
    "BATCH_SIZE",
    "BUSY_TIMEOUT_S",
    "History",
    "HistoryError",
    "RecordedRun",
    "Recorder",
    "UrlStats",
    "parse_duration",
]

_T = TypeVar("_T")

SCHEMA_VERSION = schema.SCHEMA_VERSION
BATCH_SIZE = 500
"""Results written per transaction while a run goes on."""
_INSERT = (
    f"INSERT INTO results (run_id, checked_at, {schema.RESULT_LIST})"
    f" VALUES (?, ?{', ?' * len(CheckResult.FIELDS)})"
)


@dataclass(frozen=True, slots=True)
class UrlStats:
    """What the history says about one URL over a period."""

    url: str
    checks: int
    ok: int
    p50_ms: float
    p95_ms: float
    last_failure_at: float | None
    last_failure: str | None
    recent_ms: tuple[float, ...]
    """Response times of the latest checks, oldest first (for a sparkline)."""
    state: str | None = None
    """``up`` or ``down`` as the monitor's runs left the URL (None: not monitored)."""
    since: float | None = None
    """When that state began."""

    @property
    def uptime(self) -> float:
        """Percentage of checks that were fine."""
        return 100.0 * self.ok / self.checks if self.checks else 0.0


def _percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(fraction * 100) - 1]


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """One complete run read back from the history."""

    started_at: float
    finished_at: float
    results: list[CheckResult]


class History:
    """A history database at `path`; made on first use, migrated from an older schema."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._db = open_database(self.path)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_run(self, started_at: float | None = None) -> int:
        """Open a run and return its id."""
        with write(self._db) as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, host, pid) VALUES (?, ?, ?)",
                (started_at or time.time(), socket.gethostname(), os.getpid()),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def record(self, run_id: int, results: Iterable[tuple[CheckResult, float]]) -> None:
        """Store (result, when it was checked) pairs of a run, in one transaction."""
        rows = [(run_id, checked_at, *schema.result_row(r)) for r, checked_at in results]
        if not rows:
            return
        with write(self._db) as db:
            db.executemany(_INSERT, rows)

    def finish_run(self, run_id: int, summary: Summary, *, interrupted: bool = False) -> None:
        """Close a run with its counts."""
        with write(self._db) as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, total = ?, failed = ?, interrupted = ?"
                " WHERE id = ?",
                (time.time(), summary.total, summary.failed, int(interrupted), run_id),
            )

    def prune(self, older_than_s: float, now: float | None = None) -> int:
        """Delete results, runs and the monitor's messages, transitions and ended incidents
        older than `older_than_s` seconds (each line's state stays); return results deleted."""
        cutoff = (now or time.time()) - older_than_s
        with write(self._db) as db:
            deleted = db.execute("DELETE FROM results WHERE checked_at < ?", (cutoff,)).rowcount
            db.execute(
                "DELETE FROM runs WHERE started_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM results WHERE results.run_id = runs.id)",
                (cutoff,),
            )
            for statement in schema.PRUNE_MONITOR:
                db.execute(statement, (cutoff,))
        return int(deleted)

    def stats(self, since: float, *, recent: int = 20) -> list[UrlStats]:
        """Per URL since `since` (a UNIX time): uptime, checks, p50/p95, last failure."""
        rows = self._db.execute(
            "SELECT url, ok, elapsed_ms, checked_at, error_kind, error FROM results"
            " WHERE checked_at >= ? ORDER BY url, checked_at, id",
            (since,),
        )
        stats: list[UrlStats] = []
        current: str | None = None
        times: list[float] = []
        oks = 0
        failure: tuple[float, str] | None = None

        def flush() -> None:
            if current is not None:
                ordered = sorted(times)
                stats.append(
                    UrlStats(
                        url=current,
                        checks=len(times),
                        ok=oks,
                        p50_ms=_percentile(ordered, 0.50),
                        p95_ms=_percentile(ordered, 0.95),
                        last_failure_at=None if failure is None else failure[0],
                        last_failure=None if failure is None else failure[1],
                        recent_ms=tuple(times[-recent:]),
                    )
                )

        for url, ok, elapsed_ms, checked_at, error_kind, error in rows:
            if url != current:
                flush()
                current, times, oks, failure = url, [], 0, None
            times.append(elapsed_ms)
            if ok:
                oks += 1
            else:
                failure = (checked_at, f"{error_kind}: {error}" if error else str(error_kind))
        flush()
        return stats

    def fresh_successes(self, max_age_s: float, now: float | None = None) -> dict[str, CheckResult]:
        """URL → its latest check, for each URL whose latest check (a request, not a cached
        answer) was fine less than `max_age_s` ago: what ``--cache`` need not ask again."""
        cutoff = (now or time.time()) - max_age_s
        rows = self._db.execute(
            f"SELECT {schema.RESULT_LIST} FROM results WHERE checked_at >= ?"
            " AND NOT cached AND attempts > 0 ORDER BY checked_at, id",
            (cutoff,),
        )
        latest: dict[str, CheckResult] = {}
        for row in rows:
            result = schema.result_from_row(row)
            latest[result.url] = result
        return {url: result for url, result in latest.items() if result.ok}

    def latest(self, max_age_s: float, now: float | None = None) -> RecordedRun | None:
        """The newest complete run if it finished less than `max_age_s` ago, else None."""
        cutoff = (now or time.time()) - max_age_s
        row = self._db.execute(
            "SELECT id, started_at, finished_at FROM runs WHERE finished_at IS NOT NULL"
            " AND NOT interrupted AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1",
            (cutoff,),
        ).fetchone()
        if row is None:
            return None
        run_id, started_at, finished_at = row
        results = self._db.execute(
            f"SELECT {schema.RESULT_LIST} FROM results WHERE run_id = ? ORDER BY id", (run_id,)
        )
        return RecordedRun(started_at, finished_at, [schema.result_from_row(r) for r in results])


class Recorder:
    """Writes one run's results into a history as they arrive, a batch per transaction.

    A failing write stops the recording but not the run: `error` says what happened.
    """

    def __init__(self, history: History, *, keep_s: float | None = None) -> None:
        self.history = history
        self.keep_s = keep_s
        self.error: str | None = None
        self._pending: list[tuple[CheckResult, float]] = []
        self.run_id: int | None = self._guard(history.start_run)

    def _guard(self, call: Callable[[], _T]) -> _T | None:
        if self.error is not None:
            return None
        try:
            return call()
        except sqlite3.Error as exc:
            self.error = f"{self.history.path}: the history was not recorded ({exc})"
            return None

    def add(self, result: CheckResult) -> bool:
        """Queue a result; True when a batch is full and `flush` is due."""
        self._pending.append((result, time.time()))
        return len(self._pending) >= BATCH_SIZE

    def flush(self) -> None:
        """Write what is queued."""
        pending, self._pending = self._pending, []
        run_id = self.run_id
        if run_id is not None and pending:
            self._guard(lambda: self.history.record(run_id, pending))

    def finish(self, summary: Summary, *, interrupted: bool) -> None:
        """Write the rest, close the run, and prune rows older than `keep_s`."""
        self.flush()
        run_id, keep_s = self.run_id, self.keep_s
        if run_id is not None:
            self._guard(lambda: self.history.finish_run(run_id, summary, interrupted=interrupted))
        if keep_s is not None:
            self._guard(lambda: self.history.prune(keep_s))
