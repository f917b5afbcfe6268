"""The ``--db`` SQLite file: opened, made or brought up to date (`schema`), and written in
short transactions that overlapping cron runs queue for.

Safe for overlapping runs: WAL journal, a busy timeout, and every write in one
``BEGIN IMMEDIATE`` transaction, so two processes writing at once wait for each other
instead of losing rows. Readers (the web page, ``urlcheck history``) never take the write
lock: it is taken only to make or migrate the schema.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import schema
from .errors import HistoryError

BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another process's transaction before giving up."""


def open_database(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection to the database at `path`: made on first use, migrated from an older
    schema, refused (`HistoryError`, one line) when it is not urlcheck's."""
    where = Path(path)
    try:
        if where.parent and not where.parent.exists():
            where.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            where, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(f"{where}: cannot use it as a history database ({exc})") from None
    try:
        _use_wal(db)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")  # a pruned run or message takes its rows along
        _bring_up_to_date(db, where)
    except (sqlite3.Error, OSError, HistoryError) as exc:
        db.close()
        if isinstance(exc, HistoryError):
            raise
        raise HistoryError(f"{where}: cannot use it as a history database ({exc})") from None
    return db


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch to the WAL journal, waiting out another process doing the same: SQLite answers
    that pragma with SQLITE_BUSY at once, without the busy timeout, while a second
    connection opens a new file."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause_s = 0.001
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # any SQLITE_BUSY_*
            if not busy or time.monotonic() > deadline:
                raise
        time.sleep(pause_s)
        pause_s = min(pause_s * 2, 0.05)


@contextmanager
def write(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One short write transaction, its lock taken up front so that concurrent writers queue."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _version(db: sqlite3.Connection) -> int | None:
    """The schema's version; None when there is no schema yet."""
    try:
        (version,) = db.execute("SELECT max(version) FROM schema_version").fetchone()
    except sqlite3.OperationalError:  # no such table
        return None
    return int(version) if version is not None else None


def _result_columns(db: sqlite3.Connection) -> list[str]:
    return [row[1] for row in db.execute("PRAGMA table_info(results)")]


def _up_to_date(db: sqlite3.Connection) -> bool:
    return _version(db) == schema.SCHEMA_VERSION and not schema.missing_columns(_result_columns(db))


def _bring_up_to_date(db: sqlite3.Connection, where: Path) -> None:
    if _up_to_date(db):  # the usual case, read without a lock
        return
    _check(_version(db), where)
    with write(db):
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "schema_version" not in tables:
            if tables - {"sqlite_sequence"}:
                raise HistoryError(f"{where}: this database is not urlcheck's history")
            for statement in schema.create():
                db.execute(statement)
            return
        # Read again under the lock: another process may have migrated it meanwhile. In the
        # same transaction as the steps: a failed step leaves the version as it was.
        version = _version(db)
        _check(version, where)
        assert version is not None
        for step in range(version + 1, schema.SCHEMA_VERSION + 1):
            for statement in schema.statements(schema.MIGRATIONS[step]):
                db.execute(statement)
        for statement in schema.missing_columns(_result_columns(db)):
            db.execute(statement)
        db.execute("UPDATE schema_version SET version = ?", (schema.SCHEMA_VERSION,))


def _check(version: int | None, where: Path) -> None:
    if version is not None and not 1 <= version <= schema.SCHEMA_VERSION:
        raise HistoryError(
            f"{where}: history schema {version} is not the {schema.SCHEMA_VERSION} "
            "this urlcheck knows"
        )
