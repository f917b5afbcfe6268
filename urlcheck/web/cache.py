"""The results every request shares: one check of the list at a time, reused for a while.

Flask runs every async view in a thread with an event loop of its own, so no asyncio object
outlives one request. What requests share is the results: `ResultCache` hands them out under
a lock, and requests that arrive while a check runs wait on that check's
`concurrent.futures.Future`, which any thread can wait on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ..checker import check_urls
from ..errors import ServeError
from ..models import CheckResult, Summary, in_input_order
from ..options import CheckOptions
from .sources import UrlList


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One finished check of the whole list, shared read-only by every request."""

    results: tuple[CheckResult, ...]
    """In input order: files as given, then line numbers."""
    summary: Summary
    list_version: int
    checked_at: datetime
    duration_s: float
    finished: float
    """`time.monotonic()` when the check ended, for the cache's age."""

    def age(self) -> float:
        """Seconds since the check ended."""
        return time.monotonic() - self.finished


class Recorded(Protocol):
    """What the cache needs of a ``--db`` history (`records.HistoryView`)."""

    def fresh(self, urls: UrlList, max_age: float) -> Snapshot | None:
        """A complete run of exactly this list, recorded less than `max_age` seconds ago."""

    def record(self, snapshot: Snapshot) -> None:
        """Store a check the page made."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a request got from the cache, and how (for Server-Timing)."""

    snapshot: Snapshot
    how: str
    """``hit`` (cached), ``ran`` (this request checked) or ``joined`` (waited for a check)."""
    waited_ms: float


@dataclass(slots=True)
class _Pending:
    """A check under way: which list it checks and the future its followers wait on."""

    list_version: int
    future: concurrent.futures.Future[Snapshot]


class ResultCache:
    """Results shared by every request and thread: reused for `ttl` seconds, one check at once.

    Thread-safe: a `threading.Lock` guards the state, and followers wait on the leader's
    `concurrent.futures.Future`, which any thread and event loop can await.
    """

    def __init__(self, options: CheckOptions, ttl: float, history: Recorded | None = None) -> None:
        self.options = options
        self.ttl = ttl
        self.history = history
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._pending: _Pending | None = None
        self._running: set[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = set()
        self.checks = 0
        """How many checks of the list have been started (for /healthz and the tests)."""

    @property
    def latest(self) -> Snapshot | None:
        """The latest finished check, however old."""
        return self._snapshot

    @property
    def checking(self) -> bool:
        """Whether a check is under way."""
        return self._pending is not None

    async def get(self, urls: UrlList, *, max_age: float | None = None) -> Fetched:
        """Results of `urls` younger than `max_age` (default: the ttl), checking if need be."""
        max_age = self.ttl if max_age is None else max_age
        started = time.perf_counter()
        with self._lock:
            snapshot = self._snapshot
            if (
                snapshot is not None
                and snapshot.list_version == urls.version
                and snapshot.age() < max_age
            ):
                return Fetched(snapshot, "hit", 0.0)
            checking = self._pending is not None
        if self.history is not None and not checking:
            # Read outside the lock: other requests must not queue behind SQLite.
            recorded = self.history.fresh(urls, max_age)
            if recorded is not None:
                with self._lock:
                    if self._snapshot is None or self._snapshot.finished < recorded.finished:
                        self._snapshot = recorded
                return Fetched(recorded, "history", 0.0)
        with self._lock:
            snapshot = self._snapshot
            if (  # a check may have ended while the history was read
                snapshot is not None
                and snapshot.list_version == urls.version
                and snapshot.age() < max_age
            ):
                return Fetched(snapshot, "hit", 0.0)
            pending = self._pending
            leader = pending is None or pending.list_version != urls.version
            if leader:
                pending = _Pending(urls.version, concurrent.futures.Future())
                self._pending = pending
                self.checks += 1
        assert pending is not None
        if not leader:
            # shield: a follower that goes away must not cancel the check others wait for.
            snapshot = await asyncio.shield(asyncio.wrap_future(pending.future))
            return Fetched(snapshot, "joined", (time.perf_counter() - started) * 1000)
        try:
            snapshot = await self._check(urls)
        except BaseException as exc:
            with self._lock:
                if self._pending is pending:
                    self._pending = None
            pending.future.set_exception(exc)
            raise
        with self._lock:
            if self._snapshot is None or self._snapshot.finished <= snapshot.finished:
                self._snapshot = snapshot
            if self._pending is pending:
                self._pending = None
        pending.future.set_result(snapshot)
        if self.history is not None:
            await asyncio.to_thread(self.history.record, snapshot)
        return Fetched(snapshot, "ran", (time.perf_counter() - started) * 1000)

    async def _check(self, urls: UrlList) -> Snapshot:
        """Check every target once through the core, in this request's own event loop."""
        task = asyncio.current_task()
        assert task is not None
        key = (asyncio.get_running_loop(), task)
        with self._lock:
            self._running.add(key)
        checked_at = datetime.now(UTC)
        started = time.perf_counter()
        summary = Summary()
        results: list[CheckResult] = []
        try:
            async with contextlib.aclosing(check_urls(urls.targets, self.options)) as stream:
                async for result in stream:
                    summary.add(result)
                    results.append(result)
        except asyncio.CancelledError:
            task.uncancel()
            raise ServeError("the server is stopping; the check was cancelled") from None
        finally:
            with self._lock:
                self._running.discard(key)
        results = in_input_order(results, urls.files)
        summary.wall_s = time.perf_counter() - started
        return Snapshot(
            results=tuple(results),
            summary=summary,
            list_version=urls.version,
            checked_at=checked_at,
            duration_s=summary.wall_s,
            finished=time.monotonic(),
        )

    def cancel_running(self) -> None:
        """Cancel every check under way (the server is stopping); callable from any thread."""
        with self._lock:
            running = list(self._running)
        for loop, task in running:
            with contextlib.suppress(RuntimeError):  # that loop has just closed
                loop.call_soon_threadsafe(task.cancel)
