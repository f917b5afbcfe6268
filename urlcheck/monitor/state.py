"""Up or down per URL line: the pure decision, and the one write transaction per run that
applies it, records the transitions and incidents, and queues their messages.

Overlapping runs (two cron jobs on one database) are serialised by ``BEGIN IMMEDIATE``: a
run reads every state it decides from *inside* its write transaction, so the second run
sees what the first one decided and a transition is recorded, and its message queued,
exactly once.
"""

from __future__ import annotations

import enum
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..database import write
from ..inputs import STDIN
from ..urls import LINE_ID_LENGTH, line_id, scrub, secrets_in
from .messages import Message, down_message, failure_detail, reminder_message, up_message
from .outbox import enqueue

if TYPE_CHECKING:
    from ..models import CheckResult
    from .outbox import Channel

DEFAULT_DOWN_AFTER = 2
"""Failed runs in a row that turn an up URL line down."""
DEFAULT_UP_AFTER = 1
"""Good runs in a row that turn a down URL line up again."""
ID_LENGTH = LINE_ID_LENGTH
"""Hex digits of a line's public id (for badges): its whole key."""
_CHUNK = 500
"""Keys per ``IN (...)`` query: well below SQLite's limit on bound parameters."""


class State(enum.StrEnum):
    """Whether a URL line is taken to be up or down."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How many runs in a row change a state, and how often to remind while down."""

    down_after: int = DEFAULT_DOWN_AFTER
    up_after: int = DEFAULT_UP_AFTER
    remind_s: float | None = None
    """Seconds after the latest message about a down line before a run that finds it still
    failing sends a reminder; None: never."""

    def __post_init__(self) -> None:
        if self.down_after < 1:
            raise ValueError("down_after must be at least 1 (failed runs in a row)")
        if self.up_after < 1:
            raise ValueError("up_after must be at least 1 (good runs in a row)")
        if self.remind_s is not None and not self.remind_s > 0:
            raise ValueError("remind_s must be more than 0 seconds, or None for no reminders")


@dataclass(frozen=True, slots=True)
class LineState:
    """What the monitor remembers of one URL line from one run to the next."""

    state: State
    since: float
    """When the current state began: for down, the first failed run of its streak."""
    fails: int = 0
    """Failed runs in a row (0 after a good run)."""
    oks: int = 0
    """Good runs in a row (0 after a failed run)."""
    fail_since: float | None = None
    """When the current streak of failed runs began; None after a good run."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A URL line turned up or down in a run."""

    state: State
    """The new state."""
    at: float
    """The run that decided it."""
    since: float
    """Down: the first failed run of the streak. Up: when the line went down."""
    runs: int
    """The runs in a row that decided it."""


def decide(
    previous: LineState | None, ok: bool, now: float, thresholds: Thresholds
) -> tuple[LineState, Transition | None]:
    """The line's state after a run at `now` that found it `ok` or not, and the transition
    if this run made one; a line never seen before starts up."""
    current = previous or LineState(State.UP, now)
    if ok:
        new = replace(current, oks=current.oks + 1, fails=0, fail_since=None)
        if current.state is State.DOWN and new.oks >= thresholds.up_after:
            return replace(new, state=State.UP, since=now), Transition(
                State.UP, now, current.since, new.oks
            )
        return new, None
    fail_since = current.fail_since if current.fail_since is not None else now
    new = replace(current, fails=current.fails + 1, oks=0, fail_since=fail_since)
    if current.state is State.UP and new.fails >= thresholds.down_after:
        # The incident starts at the streak's first failed run, not at the confirming one.
        return replace(new, state=State.DOWN, since=fail_since), Transition(
            State.DOWN, now, fail_since, new.fails
        )
    return new, None


def reminder_due(
    line: LineState, notified_at: float | None, now: float, thresholds: Thresholds
) -> bool:
    """Whether a down line is owed a reminder: `remind_s` have passed since the latest
    message about it (or since it went down, if none was ever sent)."""
    if thresholds.remind_s is None or line.state is not State.DOWN:
        return False
    last = notified_at if notified_at is not None else line.since
    return now - last >= thresholds.remind_s


def _absolute(file: str) -> str:
    return file if file == STDIN else os.path.abspath(file)


@dataclass(frozen=True, slots=True)
class Observation:
    """One URL line's outcome in a run: what the monitor needs of its result."""

    file: str
    ok: bool
    display: str
    """The URL with any password masked: the only form shown or stored."""
    error_kind: str | None = None
    status: int | None = None
    error: str | None = None
    url: str = field(default="", repr=False)
    """The URL as requested, password included, when the key is to be made from it (the
    result's id is made so already); never stored."""
    key: str = ""
    """The line's id (`urls.line_id`): its state's key."""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", line_id(self.file, self.url))

    @classmethod
    def of(cls, result: CheckResult) -> Observation:
        """A result (whose `url` is already the masked display, its error scrubbed)."""
        return cls(
            file=result.file,
            ok=result.ok,
            display=result.url,
            error_kind=None if result.error_kind is None else str(result.error_kind),
            status=result.status,
            error=result.error,
            key=result.id or line_id(result.file, result.url),
        )

    @property
    def safe_error(self) -> str | None:
        """The error message with any password of the URL scrubbed from it."""
        if not self.error or not self.url:
            return self.error
        return scrub(self.error, secrets_in(self.url))

    @property
    def failure(self) -> str:
        """The failure in one line: kind, HTTP status and (scrubbed) message."""
        return failure_detail(self.error_kind, self.status, self.safe_error)


@dataclass(frozen=True, slots=True)
class Change:
    """A transition as a run reports it: which line, which way, and why."""

    id: str
    url: str
    """Masked."""
    file: str
    state: State
    at: float
    since: float
    """Down: when the incident began. Up: when the line went down."""
    runs: int
    failure: str | None
    """Down (and a reminder): the latest error, in one line. Up: None."""
    reminder: bool = False
    """Not a transition: the line is still down, and a reminder is due."""

    @property
    def message(self) -> Message:
        """What to tell the notify targets (and ``--changes``) about it."""
        if self.reminder:
            assert self.failure is not None
            return reminder_message(
                self.url, self.file, down_since=self.since, at=self.at, runs=self.runs,
                failure=self.failure,
            )  # fmt: skip
        if self.state is State.DOWN:
            assert self.failure is not None
            return down_message(
                self.url, self.file, since=self.since, runs=self.runs, failure=self.failure
            )
        return up_message(self.url, self.file, down_since=self.since, at=self.at, runs=self.runs)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What applying one run's results did."""

    changes: list[Change]
    """Transitions, in the order of the run's results."""
    reminders: int
    """Reminders due for lines still down (queued for the notify targets, if any)."""
    queued: int
    """Messages queued (each for every notify target)."""
    down: int
    """Lines of this run that are down after it."""
    stale: int = 0
    """Lines left as they were: a run that checked later had already judged them."""
    reminded: list[Change] = field(default_factory=list)
    """The reminders themselves, in the order of the run's results."""


@dataclass(slots=True)
class _Row:
    line: LineState
    checked_at: float
    notified_at: float | None
    incident_id: int | None


_COLUMNS = "key, state, since, fails, oks, fail_since, checked_at, notified_at, incident_id"


def _read(db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT {_COLUMNS} FROM monitor_lines WHERE key IN ({marks})"
        for key, state, since, fails, oks, fail_since, checked, notified, incident in db.execute(
            query, chunk
        ):
            line = LineState(State(state), since, fails, oks, fail_since)
            rows[key] = _Row(line, checked, notified, incident)
    return rows


def _merge(observations: Iterable[Observation]) -> dict[str, Observation]:
    """One observation per key: a URL listed twice in a file (with other expectations) is
    one line to the monitor, and failed in this run if any of its checks failed."""
    merged: dict[str, Observation] = {}
    for observation in observations:
        key = observation.key
        seen = merged.get(key)
        if seen is None or (seen.ok and not observation.ok):
            merged[key] = observation
    return merged


def apply_run(
    db: sqlite3.Connection,
    observations: Iterable[Observation],
    *,
    now: float,
    thresholds: Thresholds,
    run_id: int | None = None,
    targets: Sequence[Channel] = (),
) -> RunOutcome:
    """Decide one run's transitions and reminders in one write transaction, and queue
    their messages for `targets` in it too, so that nothing is decided twice or lost."""
    merged = _merge(observations)
    changes: list[Change] = []
    reminded: list[Change] = []
    queued = down = stale = 0
    with write(db):
        rows = _read(db, list(merged))
        updates = []
        for key, seen in merged.items():
            row = rows.get(key)
            if row is not None and row.checked_at > now:
                # An overlapping run that checked later has judged the line already: this
                # older result must not undo what it decided.
                stale += 1
                down += row.line.state is State.DOWN
                continue
            line, transition = decide(row.line if row else None, seen.ok, now, thresholds)
            notified_at = row.notified_at if row else None
            incident_id = row.incident_id if row else None
            url, file = seen.display, _absolute(seen.file)
            message: Message | None = None
            if transition is not None:
                notified_at = now
                incident_id = _record(db, key, url, file, seen, transition, incident_id, run_id)
                change = _change(key, url, file, seen, transition)
                changes.append(change)
                message = change.message
            elif not seen.ok and reminder_due(line, notified_at, now, thresholds):
                notified_at = now
                reminder = Change(
                    key, url, file, State.DOWN, now, line.since, line.fails, seen.failure, True
                )
                reminded.append(reminder)
                message = reminder.message
            if message is not None and targets:
                enqueue(db, key, message, targets, now)
                queued += 1
            down += line.state is State.DOWN
            failed = not seen.ok
            updates.append(
                (
                    key, url, file, str(line.state), line.since, line.fails, line.oks,
                    line.fail_since, now,
                    seen.error_kind if failed else None, seen.status if failed else None,
                    seen.safe_error if failed else None,
                    notified_at, incident_id,
                )
            )  # fmt: skip
        db.executemany(
            "INSERT OR REPLACE INTO monitor_lines (key, url, file, state, since, fails, oks,"
            " fail_since, checked_at, error_kind, status, error, notified_at, incident_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            updates,
        )
    return RunOutcome(changes, len(reminded), queued, down, stale, reminded)


def _change(key: str, url: str, file: str, seen: Observation, transition: Transition) -> Change:
    failure = seen.failure if transition.state is State.DOWN else None
    return Change(
        key, url, file, transition.state, transition.at, transition.since,
        transition.runs, failure,
    )  # fmt: skip


def _record(
    db: sqlite3.Connection,
    key: str,
    url: str,
    file: str,
    seen: Observation,
    transition: Transition,
    incident_id: int | None,
    run_id: int | None,
) -> int | None:
    """Open or close the line's incident and log the transition; the open incident's id."""
    if transition.state is State.DOWN:
        cursor = db.execute(
            "INSERT INTO monitor_incidents (key, url, file, started_at, error_kind, status,"
            " error) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, url, file, transition.since, seen.error_kind, seen.status, seen.safe_error),
        )
        logged, incident_id = cursor.lastrowid, cursor.lastrowid
    else:
        if incident_id is not None:
            db.execute(
                "UPDATE monitor_incidents SET ended_at = ? WHERE id = ?",
                (transition.at, incident_id),
            )
        logged, incident_id = incident_id, None
    db.execute(
        "INSERT INTO monitor_transitions (run_id, key, at, state, incident_id)"
        " VALUES (?, ?, ?, ?, ?)",
        (run_id, key, transition.at, str(transition.state), logged),
    )
    return incident_id
