"""The tables of the ``--db`` database, every one of them: the history's runs and results,
and the monitor's state, incidents and outbox; how a fresh database is made and how an
older one is brought up to date (`database.open_database` runs these).

The results table's columns are `CheckResult`'s fields, made from the dataclass: a new
field is a new column, added to older databases as they are opened (`missing_columns`).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from .models import CheckResult, ErrorKind

SCHEMA_VERSION = 2
"""1: runs and results. 2: the monitor's tables."""

# No ';' inside a statement, comments included: the statements are run one by one, inside
# the migration's own transaction (executescript would commit it).
_RUNS = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    total INTEGER,
    failed INTEGER,
    interrupted INTEGER
)
"""
_RESULT_INDEXES = """
CREATE INDEX results_url_time ON results (url, checked_at);
CREATE INDEX results_time ON results (checked_at)
"""
# A URL line is known by its key: the SHA-256 of its file's absolute path and its unmasked
# URL, so a password in the URL tells lines apart without being stored. Notify URLs hold
# secrets too: a delivery names its target by the SHA-256 of the URL and shows it masked.
# No foreign key points at the history's runs: pruning old runs keeps the monitor's rows.
_MONITOR = """
CREATE TABLE monitor_lines (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,              -- masked, for display
    file TEXT NOT NULL,             -- absolute path, '-' for standard input
    state TEXT NOT NULL CHECK (state IN ('up', 'down')),
    since REAL NOT NULL,            -- when the current state began
    fails INTEGER NOT NULL,         -- failed runs in a row
    oks INTEGER NOT NULL,           -- good runs in a row
    fail_since REAL,                -- the first failed run of the current failure streak
    checked_at REAL NOT NULL,       -- the latest run that judged the line
    error_kind TEXT,                -- the latest failure
    status INTEGER,
    error TEXT,
    notified_at REAL,               -- the latest transition or reminder, for reminders
    incident_id INTEGER             -- the open incident while down
);
CREATE TABLE monitor_incidents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    url TEXT NOT NULL,
    file TEXT NOT NULL,
    started_at REAL NOT NULL,       -- the first failed run of the streak that turned it down
    ended_at REAL,                  -- the run that turned it up, NULL while it lasts
    error_kind TEXT,                -- as the run that turned it down saw it
    status INTEGER,
    error TEXT
);
CREATE INDEX monitor_incidents_started ON monitor_incidents (started_at);
CREATE TABLE monitor_transitions (
    id INTEGER PRIMARY KEY,
    run_id INTEGER,                 -- the history's runs.id, when the caller gave it
    key TEXT NOT NULL,
    at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('up', 'down')),
    incident_id INTEGER
);
CREATE INDEX monitor_transitions_at ON monitor_transitions (at);
CREATE TABLE monitor_messages (
    id INTEGER PRIMARY KEY,         -- the queue's order: oldest first
    created_at REAL NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('down', 'up', 'reminder')),
    notify_type TEXT NOT NULL,      -- Apprise's: failure, success or warning
    title TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE monitor_deliveries (
    target TEXT NOT NULL,           -- SHA-256 of the notify URL, never the URL
    message_id INTEGER NOT NULL REFERENCES monitor_messages(id) ON DELETE CASCADE,
    label TEXT NOT NULL,            -- the notify URL, masked
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent')),
    claimed_by TEXT,                -- the delivering process while 'sending'
    claimed_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,                     -- why the latest attempt failed
    sent_at REAL,
    PRIMARY KEY (target, message_id)
) WITHOUT ROWID;
CREATE INDEX monitor_deliveries_message ON monitor_deliveries (message_id);
CREATE INDEX monitor_deliveries_unsent ON monitor_deliveries (target, message_id)
    WHERE state != 'sent'
"""

_SQL_TYPES: dict[Any, str] = {str: "TEXT", int: "INTEGER", bool: "INTEGER", float: "REAL"}
_SQL_TYPES[ErrorKind] = "TEXT"


def _column_type(kind: Any) -> str:
    """A dataclass field's type as SQLite's: ``int`` is INTEGER NOT NULL, ``int | None``
    INTEGER."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _SQL_TYPES[inner[0]]
    return f"{_SQL_TYPES[kind]} NOT NULL"


_COLUMN_NAMES = {"id": "line_id"}
"""A field whose name the results table has already (its row id) has a column of its own."""

RESULT_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (_COLUMN_NAMES.get(name, name), _column_type(kind))
    for name, kind in typing.get_type_hints(CheckResult).items()
    if name in CheckResult.FIELDS
)
"""(column, SQL type) of every `CheckResult` field, in `CheckResult.FIELDS` order."""
assert len(RESULT_COLUMNS) == len(CheckResult.FIELDS)
_BOOLEAN_FIELDS = tuple(
    name for name, kind in typing.get_type_hints(CheckResult).items() if kind is bool
)
"""The fields SQLite keeps as 0 and 1."""


def _results_table() -> str:
    columns = "".join(f",\n    {name} {kind}" for name, kind in RESULT_COLUMNS)
    return (
        "CREATE TABLE results (\n    id INTEGER PRIMARY KEY,\n"
        "    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
        f"    checked_at REAL NOT NULL{columns}\n)"
    )


def statements(script: str) -> list[str]:
    """A script's statements, one by one."""
    return [statement for statement in script.split(";") if statement.strip()]


def create() -> list[str]:
    """Every statement that makes a fresh database at `SCHEMA_VERSION`."""
    return [
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        *statements(_RUNS),
        _results_table(),
        *statements(_RESULT_INDEXES),
        *statements(_MONITOR),
        f"INSERT INTO schema_version VALUES ({SCHEMA_VERSION})",
    ]


PRUNE_MONITOR = (
    "DELETE FROM monitor_messages WHERE created_at < ?",
    "DELETE FROM monitor_transitions WHERE at < ?",
    "DELETE FROM monitor_incidents WHERE ended_at < ?",  # an ongoing one stays, however old
)
"""What ``--keep`` deletes of the monitor's rows older than a cutoff; each line's state stays."""

MIGRATIONS: dict[int, str] = {2: _MONITOR}
"""The script that brings the schema from version N - 1 to N."""


def missing_columns(existing: Iterable[str]) -> list[str]:
    """``ALTER TABLE`` statements for the results columns a database does not have yet."""
    have = set(existing)
    statements = []
    for name, kind in RESULT_COLUMNS:
        if name in have:
            continue
        # SQLite adds a NOT NULL column only with a default: the old rows' value.
        default = ""
        if kind.endswith("NOT NULL"):
            default = " DEFAULT ''" if kind.startswith("TEXT") else " DEFAULT 0"
        statements.append(f"ALTER TABLE results ADD COLUMN {name} {kind}{default}")
    return statements


def result_row(result: CheckResult) -> tuple[object, ...]:
    """A result's values in `RESULT_COLUMNS` order, as SQLite stores them."""
    return tuple(_stored(getattr(result, name)) for name in CheckResult.FIELDS)


def _stored(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, ErrorKind):
        return str(value)
    return value


def result_from_row(values: Sequence[Any]) -> CheckResult:
    """A result from its values in `RESULT_COLUMNS` order."""
    fields = dict(zip(CheckResult.FIELDS, values, strict=True))
    for name in _BOOLEAN_FIELDS:
        fields[name] = bool(fields[name])
    if fields["error_kind"] is not None:
        fields["error_kind"] = ErrorKind(fields["error_kind"])
    return CheckResult(**fields)


RESULT_LIST = ", ".join(name for name, _ in RESULT_COLUMNS)
"""The results columns, comma-separated, for SQL."""
