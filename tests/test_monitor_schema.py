"""The history schema 1 -> 2 migration: a database from before the monitor opens as
version 2, in place, with every old result and run intact."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from urlcheck.history import SCHEMA_VERSION, History, HistoryError
from urlcheck.monitor import Monitor, Observation, State

DATA = Path(__file__).parent / "data"
MONITOR_TABLES = {
    "monitor_lines",
    "monitor_incidents",
    "monitor_transitions",
    "monitor_messages",
    "monitor_deliveries",
}


def version_1(path: Path) -> Path:
    """A history database as urlcheck made it before schema version 2 (tests/data)."""
    with sqlite3.connect(path) as db:
        db.executescript((DATA / "history-v1.sql").read_text())
        # A dump does not keep the journal mode: urlcheck's were WAL from their first open.
        db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return path


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        found = db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    db.close()
    return found


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        found = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    return found


def schema_version(path: Path) -> list[tuple[int]]:
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT version FROM schema_version").fetchall()
    db.close()
    return found


def test_a_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    path = version_1(tmp_path / "old.db")
    results, runs = rows(path, "results"), rows(path, "runs")
    assert len(results) == 2
    assert schema_version(path) == [(1,)]
    with History(path) as history:
        stats = {s.url: s for s in history.stats(0)}
        assert (stats["https://b.example/"].checks, stats["https://b.example/"].ok) == (1, 0)
        run = history.latest(max_age_s=1e10)
        assert run is not None
        assert [r.url for r in run.results] == ["https://a.example/", "https://b.example/"]
    assert SCHEMA_VERSION == 2
    assert schema_version(path) == [(2,)]
    assert tables(path) >= MONITOR_TABLES
    # Every old row intact; a result field added since is a new column at the end.
    assert [row[: len(results[0])] for row in rows(path, "results")] == results
    assert rows(path, "runs") == runs
    # The migrated database works for both: new runs, new states.
    with Monitor(path) as monitor:
        seen = Observation(url="https://b.example/", file="urls.txt", ok=False, display="x")
        monitor.apply_run([seen], now=time.time())
        outcome = monitor.apply_run([seen], now=time.time() + 1)
        assert [c.state for c in outcome.changes] == [State.DOWN]
    History(path).close()  # opening again migrates nothing
    assert schema_version(path) == [(2,)]
    assert [row[: len(results[0])] for row in rows(path, "results")] == results


def test_a_new_database_starts_at_version_2(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Monitor(path).close()
    assert schema_version(path) == [(2,)]
    assert tables(path) >= MONITOR_TABLES


def test_a_failed_migration_leaves_version_1_untouched(tmp_path: Path) -> None:
    path = version_1(tmp_path / "old.db")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE monitor_messages (x)")  # in the way of step 2
    db.close()
    with pytest.raises(HistoryError, match="already exists"):
        History(path)
    assert schema_version(path) == [(1,)]
    assert "monitor_lines" not in tables(path)  # the step's first statements rolled back
    assert len(rows(path, "results")) == 2


MIGRATE = textwrap.dedent(
    """
    import sys, time
    from urlcheck.history import History
    path, start = sys.argv[1], float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.001)
    History(path).close()
    """
)


def test_processes_opening_a_version_1_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = version_1(tmp_path / "old.db")
    start = time.time() + 1.0
    openers = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, str(path), str(start)]) for _ in range(4)
    ]
    assert [opener.wait(timeout=60) for opener in openers] == [0] * 4
    assert schema_version(path) == [(2,)]
    assert len(rows(path, "results")) == 2
