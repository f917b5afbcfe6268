"""The web view's use of a ``--db`` history: record the page's checks, show a fresh run
(from cron, say) instead of checking again, and the uptime figures of each row."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import HistoryError
from ..history import History, Recorder, UrlStats
from ..models import CheckResult, Summary, in_input_order
from ..monitor import Incident, LineStatus, Monitor
from .cache import Snapshot
from .sources import UrlList

HISTORY_WINDOW_S = 24 * 3600
"""With --db, the page's uptime covers this much of the history."""
SPARK_POINTS = 30
"""Recent response times drawn in each row's sparkline."""
STATS_TTL_S = 10.0
"""With --db, the page's uptime figures are shared for this long between page views."""


@dataclass(frozen=True, slots=True)
class Monitored:
    """The monitor's view of the lines: their state by id, and what is down now."""

    states: dict[str, LineStatus]
    ongoing: list[Incident]

    def state_of(self, result: CheckResult) -> str:
        """``up`` or ``down`` for a result's line: as the runs left it, or (for a line no
        run has judged yet) by the result itself."""
        status = self.states.get(result.id)
        if status is not None:
            return str(status.state)
        return "up" if result.ok else "down"


class HistoryView:
    """The web view's use of a ``--db`` history: record checks, reuse fresh runs, figures.

    Every call opens its own SQLite connection: requests run in threads of their own.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        History(path).close()  # creates it, or fails now with a clear message
        self._lock = threading.Lock()
        self._stats: tuple[float, dict[str, UrlStats]] | None = None
        """(when, figures): shared by the page views of the next `STATS_TTL_S` seconds."""
        self._monitored: tuple[float, Monitored] | None = None

    def record(self, snapshot: Snapshot) -> None:
        """Store a check the page made, like a ``urlcheck --db`` run; a failure is logged."""
        try:
            with History(self.path) as history:
                recorder = Recorder(history)
                for result in snapshot.results:
                    recorder.add(result)
                recorder.finish(snapshot.summary, interrupted=False)
                error = recorder.error
            with self._lock:
                self._stats = None  # the figures now include this check
        except HistoryError as exc:
            error = str(exc)
        if error is not None:
            logging.getLogger(__name__).warning("%s", error)

    def fresh(self, urls: UrlList, max_age: float) -> Snapshot | None:
        """A run recorded less than `max_age` ago (by cron, say) of exactly this list."""
        with History(self.path) as history:
            run = history.latest(max_age)
        if run is None:
            return None
        listed = sorted((t.display, t.line, t.source) for t in urls.targets)
        if sorted((r.url, r.line, r.file) for r in run.results) != listed:
            return None  # a run of another list, or of an older version of this one
        summary = Summary(wall_s=run.finished_at - run.started_at)
        for result in run.results:
            summary.add(result)
        results = in_input_order(run.results, urls.files)
        return Snapshot(
            results=tuple(results),
            summary=summary,
            list_version=urls.version,
            checked_at=datetime.fromtimestamp(run.started_at, UTC),
            duration_s=summary.wall_s,
            finished=time.monotonic() - (time.time() - run.finished_at),
        )

    def monitored(self) -> Monitored:
        """The state of each URL line and the ongoing incidents, as the runs recorded them
        (the page's own checks never change them); shared like the figures."""
        with self._lock:
            cached = self._monitored
        if cached is not None and time.monotonic() - cached[0] < STATS_TTL_S:
            return cached[1]
        with Monitor(self.path) as monitor:
            states = {status.id: status for status in monitor.states().values()}
            ongoing = [i for i in monitor.incidents(time.time()) if i.end is None]
        found = Monitored(states, ongoing)
        with self._lock:
            self._monitored = (time.monotonic(), found)
        return found

    def stats(self, window_s: float = HISTORY_WINDOW_S) -> dict[str, UrlStats]:
        """Uptime and recent response times per URL over the last `window_s` seconds.

        Read again at most every `STATS_TTL_S` seconds, or after the page recorded a check:
        many open tabs do not each scan a day of rows.
        """
        with self._lock:
            cached = self._stats
        if cached is not None and time.monotonic() - cached[0] < STATS_TTL_S:
            return cached[1]
        with History(self.path) as history:
            figures = {s.url: s for s in history.stats(time.time() - window_s, recent=SPARK_POINTS)}
        with self._lock:
            self._stats = (time.monotonic(), figures)
        return figures
