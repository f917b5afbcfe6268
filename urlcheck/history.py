"""The SQLite store of past runs: record results, prune old rows, summarise uptime.

Safe for overlapping cron runs: WAL journal, a busy timeout, and every write in one short
``BEGIN IMMEDIATE`` transaction, so two processes writing at once wait for each other
instead of losing rows.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .errors import UrlcheckError
from .models import CheckResult, ErrorKind, Summary

_T = TypeVar("_T")

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another process's transaction before giving up."""
BATCH_SIZE = 500
"""Results written per transaction while a run goes on."""

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    total INTEGER,
    failed INTEGER,
    interrupted INTEGER
);
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    checked_at REAL NOT NULL,
    url TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    status INTEGER,
    reason TEXT,
    elapsed_ms REAL NOT NULL,
    final_url TEXT,
    redirects INTEGER NOT NULL,
    method TEXT,
    attempts INTEGER NOT NULL,
    error_kind TEXT,
    error TEXT,
    cert_days REAL
);
CREATE INDEX results_url_time ON results (url, checked_at);
CREATE INDEX results_time ON results (checked_at);
"""


def _migration(version: int) -> list[str]:
    """The statements that bring the schema from `version` - 1 to `version`."""
    # Imported here, not at the top: the monitor package imports this module.
    from .monitor.schema import MONITOR_SCHEMA

    steps = {2: MONITOR_SCHEMA}  # 2: the monitor's state, incidents and outbox
    return [statement for statement in steps[version].split(";") if statement.strip()]


_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class HistoryError(UrlcheckError):
    """The history database cannot be opened or is not urlcheck's."""


def parse_duration(text: str) -> float:
    """Seconds in a duration like ``90s``, ``15m``, ``24h``, ``30d`` or ``2w``."""
    match = _DURATION_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 24h, 30d or 2w")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


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
    """A history database at `path`; create it on first use."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(
                f"{self.path}: cannot use it as a history database ({exc})"
            ) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError, HistoryError) as exc:
            self._db.close()
            if isinstance(exc, HistoryError):
                raise
            raise HistoryError(
                f"{self.path}: cannot use it as a history database ({exc})"
            ) from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken up front so concurrent writers queue."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _schema_version(self) -> int | None:
        """The schema's version, read without a lock; None when there is no schema yet."""
        try:
            (version,) = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
        except sqlite3.OperationalError:  # no such table
            return None
        return int(version) if version is not None else None

    def _migrate(self) -> None:
        # Readers (the web page, `urlcheck history`) must not queue behind a writer's lock:
        # the write lock is taken only to create the schema or bring it up to date.
        version = self._schema_version()
        if version == SCHEMA_VERSION:
            return
        if version is not None:
            self._check_version(version)
        with self._write() as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "schema_version" not in tables:
                if tables - {"sqlite_sequence"}:
                    raise HistoryError(f"{self.path}: this database is not urlcheck's history")
                # executescript would commit the open transaction: run the statements one by one.
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                db.execute("INSERT INTO schema_version VALUES (1)")
            # Read again under the lock: another process may have migrated in the meantime.
            (version,) = db.execute("SELECT max(version) FROM schema_version").fetchone()
            self._check_version(version)
            if version == SCHEMA_VERSION:
                return
            # In the same transaction as the check: a failed step leaves version `version`.
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _migration(step):
                    db.execute(statement)
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def _check_version(self, version: int | None) -> None:
        if version is None or not 1 <= version <= SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path}: history schema {version} is not the {SCHEMA_VERSION} "
                "this urlcheck knows"
            )

    def start_run(self, started_at: float | None = None) -> int:
        """Open a run and return its id."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, host, pid) VALUES (?, ?, ?)",
                (started_at or time.time(), socket.gethostname(), os.getpid()),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def record(self, run_id: int, results: Iterable[tuple[CheckResult, float]]) -> None:
        """Store (result, when it was checked) pairs of a run, in one transaction."""
        rows = [
            (
                run_id, checked_at, r.url, r.file, r.line, int(r.ok), r.status, r.reason,
                r.elapsed_ms, r.final_url, r.redirects, r.method, r.attempts,
                None if r.error_kind is None else str(r.error_kind), r.error, r.cert_days,
            )
            for r, checked_at in results
        ]  # fmt: skip
        if not rows:
            return
        with self._write() as db:
            db.executemany(
                "INSERT INTO results (run_id, checked_at, url, file, line, ok, status, reason,"
                " elapsed_ms, final_url, redirects, method, attempts, error_kind, error,"
                " cert_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def finish_run(self, run_id: int, summary: Summary, *, interrupted: bool = False) -> None:
        """Close a run with its counts."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, total = ?, failed = ?, interrupted = ?"
                " WHERE id = ?",
                (time.time(), summary.total, summary.failed, int(interrupted), run_id),
            )

    def prune(self, older_than_s: float, now: float | None = None) -> int:
        """Delete results and runs older than `older_than_s` seconds; return results deleted."""
        cutoff = (now or time.time()) - older_than_s
        with self._write() as db:
            deleted = db.execute("DELETE FROM results WHERE checked_at < ?", (cutoff,)).rowcount
            db.execute(
                "DELETE FROM runs WHERE started_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM results WHERE results.run_id = runs.id)",
                (cutoff,),
            )
        return deleted

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
            "SELECT url, line, ok, status, reason, elapsed_ms, final_url, redirects, method,"
            " attempts, error_kind, error, file, cert_days FROM results WHERE run_id = ?"
            " ORDER BY id",
            (run_id,),
        )
        return RecordedRun(started_at, finished_at, [
            CheckResult(
                url=url, line=line, ok=bool(ok), status=status, reason=reason,
                elapsed_ms=elapsed_ms, final_url=final_url, redirects=redirects, method=method,
                attempts=attempts, error_kind=None if kind is None else ErrorKind(kind),
                error=error, file=file, cert_days=cert_days,
            )
            for (url, line, ok, status, reason, elapsed_ms, final_url, redirects, method,
                 attempts, kind, error, file, cert_days) in results
        ])  # fmt: skip


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
