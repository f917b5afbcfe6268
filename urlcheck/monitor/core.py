"""`Monitor`: the monitor's side of one history database, behind one object.

A run with ``--db`` does, in order: `apply_run` with the run's observations (one write
transaction that decides and records its transitions and queues their messages), then
`deliver` to the notify targets (what this run queued and whatever earlier runs could not
deliver), then prints `DeliveryReport.failures`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import schema
from ..database import open_database, write
from ..errors import HistoryError
from . import outbox, state, views
from .outbox import Channel, DeliveryReport
from .state import Observation, RunOutcome, Thresholds
from .views import Incident, LineStatus


class Monitor:
    """The state per URL line, the incidents and the outbox in the history at `path`
    (created, or migrated from an older schema, on first use)."""

    def __init__(
        self, path: str | os.PathLike[str], *, thresholds: Thresholds | None = None
    ) -> None:
        self.path = Path(path)
        self.thresholds = thresholds or Thresholds()
        self._db = open_database(self.path)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _failed(self, exc: sqlite3.Error, what: str) -> HistoryError:
        return HistoryError(f"{self.path}: {what} ({exc})")

    def apply_run(
        self,
        observations: Iterable[Observation],
        *,
        now: float | None = None,
        run_id: int | None = None,
        targets: Sequence[Channel] = (),
    ) -> RunOutcome:
        """Decide the run's transitions (and reminders) and queue their messages for
        `targets`, all in one write transaction; `now` is when the run checked."""
        try:
            return state.apply_run(
                self._db,
                observations,
                now=time.time() if now is None else now,
                thresholds=self.thresholds,
                run_id=run_id,
                targets=targets,
            )
        except sqlite3.Error as exc:
            raise self._failed(exc, "the monitor's state was not updated") from None

    def deliver(self, targets: Sequence[Channel], *, now: float | None = None) -> DeliveryReport:
        """Send each target its queued messages, oldest first; `failures` in the report has
        one masked line per target that failed (its messages wait for the next run)."""
        clock = time.time if now is None else (lambda: now)
        try:
            return outbox.deliver(self._db, targets, clock=clock)
        except sqlite3.Error as exc:
            raise self._failed(exc, "the notifications were not delivered") from None

    def states(self) -> dict[tuple[str, str], LineStatus]:
        """Every known URL line's state and since when, keyed by (masked URL, file)."""
        return views.line_states(self._db)

    def status(self, line_id: str) -> LineStatus | None:
        """The state of the URL line with this public id (see `line_id`), if known."""
        return views.line_status(self._db, line_id)

    def incidents(self, since_ts: float, *, now: float | None = None) -> list[Incident]:
        """The incidents that lasted past `since_ts` (ongoing ones too), newest first."""
        return views.incidents(self._db, since_ts, time.time() if now is None else now)

    def prune(self, older_than_s: float, *, now: float | None = None) -> int:
        """Delete messages, transitions and ended incidents older than `older_than_s`
        seconds (a message still queued by then goes too); return messages deleted.
        The state of each line stays."""
        cutoff = (time.time() if now is None else now) - older_than_s
        try:
            with write(self._db) as db:
                cursors = [db.execute(sql, (cutoff,)) for sql in schema.PRUNE_MONITOR]
                deleted = cursors[0].rowcount  # the messages
        except sqlite3.Error as exc:
            raise self._failed(exc, "the monitor's old rows were not pruned") from None
        return int(deleted)
