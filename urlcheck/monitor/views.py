"""What the monitor's tables say, for ``urlcheck history``, ``urlcheck incidents`` and badges.

Times are UNIX floats here; the renderers print them as ISO 8601 UTC.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from .state import ID_LENGTH, State


@dataclass(frozen=True, slots=True)
class LineStatus:
    """The state of one URL line, as its latest run left it."""

    id: str
    """Stable public id (for badges): the start of the line's key."""
    url: str
    """Masked."""
    file: str
    state: State
    since: float
    """When the current state began (for down: the incident's start)."""
    checked_at: float
    """The latest run that judged the line."""
    fails: int
    """Failed runs in a row."""
    error_kind: str | None
    """The latest run's failure, if it failed."""
    error: str | None


@dataclass(frozen=True, slots=True)
class Incident:
    """A time a URL line was down: from the first failed run of the streak that turned it
    down to the run that turned it up."""

    id: str
    """The line's public id."""
    url: str
    """Masked."""
    file: str
    start: float
    end: float | None
    """None while it lasts."""
    duration_s: float
    """Until `end`, or until now while it lasts."""
    error_kind: str | None
    """As the run that turned the line down saw it."""
    status: int | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        """The incident as plain JSON-ready values."""
        return asdict(self)


_STATUS_COLUMNS = "key, url, file, state, since, checked_at, fails, error_kind, error"


def _status(row: tuple[Any, ...]) -> LineStatus:
    key, url, file, state, since, checked_at, fails, error_kind, error = row
    return LineStatus(key, url, file, State(state), since, checked_at, fails, error_kind, error)


def line_states(db: sqlite3.Connection) -> dict[tuple[str, str], LineStatus]:
    """Every known URL line's state, keyed by (masked URL, file); where two lines mask
    alike (the same URL with other passwords) the one checked last stands."""
    rows = db.execute(f"SELECT {_STATUS_COLUMNS} FROM monitor_lines ORDER BY checked_at, key")
    return {(status.url, status.file): status for status in map(_status, rows)}


def line_status(db: sqlite3.Connection, line_id: str) -> LineStatus | None:
    """The state of the URL line with public id `line_id`, None if there is none."""
    if len(line_id) != ID_LENGTH or line_id.strip("0123456789abcdef"):
        return None
    row = db.execute(
        f"SELECT {_STATUS_COLUMNS} FROM monitor_lines WHERE key = ?", (line_id,)
    ).fetchone()
    return None if row is None else _status(row)


def incidents(db: sqlite3.Connection, since_ts: float, now: float) -> list[Incident]:
    """The incidents that lasted past `since_ts` (ongoing ones included), newest first."""
    rows = db.execute(
        "SELECT key, url, file, started_at, ended_at, error_kind, status, error"
        " FROM monitor_incidents WHERE ended_at IS NULL OR ended_at >= ?"
        " ORDER BY started_at DESC, id DESC",
        (since_ts,),
    )
    return [
        Incident(
            key, url, file, start, end,
            (now if end is None else end) - start, error_kind, status, error,
        )
        for key, url, file, start, end, error_kind, status, error in rows
    ]  # fmt: skip
