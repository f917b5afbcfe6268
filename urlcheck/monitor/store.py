"""The monitor's connection to the history database, and its one kind of write transaction."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from ..history import BUSY_TIMEOUT_S, History, HistoryError


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection to the history at `path`, its schema created or migrated first."""
    # History creates the schema, migrates an older one and refuses a foreign database,
    # with the errors it documents; the monitor then keeps a connection of its own.
    History(path).close()
    try:
        db = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")  # a pruned message takes its deliveries along
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot use it as a history database ({exc})") from None
    return db


@contextmanager
def write(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, its lock taken up front so that overlapping runs queue."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
