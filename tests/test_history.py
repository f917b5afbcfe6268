"""The SQLite history: recording, figures, pruning, concurrent writers, the history command."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from urlcheck.cli import cli, history_command, main
from urlcheck.history import History, HistoryError, Recorder, parse_duration
from urlcheck.models import CheckResult, ErrorKind, Summary

from .servers import Served


def result(url: str, ok: bool = True, ms: float = 100.0) -> CheckResult:
    return CheckResult(
        url=url, line=1, ok=ok, status=200 if ok else 503, elapsed_ms=ms, attempts=1,
        method="HEAD", error_kind=None if ok else ErrorKind.STATUS,
        error=None if ok else "status 503 is not accepted",
    )  # fmt: skip


def test_figures_per_url(tmp_path: Path) -> None:
    with History(tmp_path / "h.db") as history:
        run = history.start_run()
        now = time.time()
        rows = [(result("https://a.test/", ms=float(ms)), now) for ms in range(1, 101)]
        rows += [(result("https://b.test/", ok=n % 4 != 0, ms=50.0), now + n) for n in range(8)]
        history.record(run, rows)
        stats = {s.url: s for s in history.stats(now - 60)}
    a, b = stats["https://a.test/"], stats["https://b.test/"]
    assert (a.checks, a.ok, a.uptime) == (100, 100, 100.0)
    assert a.p50_ms == pytest.approx(50.5)
    assert a.p95_ms == pytest.approx(95.05)
    assert a.last_failure is None
    assert len(a.recent_ms) == 20
    assert (b.checks, b.ok, b.uptime) == (8, 6, 75.0)
    assert b.last_failure == "status: status 503 is not accepted"
    assert b.last_failure_at == pytest.approx(now + 4)


def test_prune_keeps_recent_rows_only(tmp_path: Path) -> None:
    with History(tmp_path / "h.db") as history:
        old, new = history.start_run(time.time() - 40 * 86400), history.start_run()
        history.record(old, [(result("https://a.test/"), time.time() - 40 * 86400)])
        history.record(new, [(result("https://a.test/"), time.time())])
        assert history.prune(30 * 86400) == 1
        assert [s.checks for s in history.stats(0)] == [1]


def test_latest_gives_the_newest_fresh_run(tmp_path: Path) -> None:
    with History(tmp_path / "h.db") as history:
        assert history.latest(60) is None
        recorder = Recorder(history)
        recorder.add(result("https://a.test/"))
        recorder.add(result("https://b.test/", ok=False))
        summary = Summary(total=2, failed=1)
        recorder.finish(summary, interrupted=False)
        latest = history.latest(60)
        assert latest is not None
        assert latest.started_at <= latest.finished_at <= time.time()
        assert [(r.url, r.ok, r.error_kind) for r in latest.results] == [
            ("https://a.test/", True, None),
            ("https://b.test/", False, ErrorKind.STATUS),
        ]
        assert history.latest(60, now=time.time() + 120) is None


def test_a_foreign_or_newer_database_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes (x)")
    with pytest.raises(HistoryError, match="not urlcheck's history"):
        History(foreign)
    newer = tmp_path / "newer.db"
    History(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(HistoryError, match="schema 99"):
        History(newer)


def test_parse_duration() -> None:
    assert parse_duration("90s") == 90
    assert parse_duration("15m") == 900
    assert parse_duration("24h") == 86400
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("2w") == 14 * 86400
    with pytest.raises(ValueError, match="duration"):
        parse_duration("soon")


WRITER = textwrap.dedent(
    """
    import sys, time
    from urlcheck.history import History, Recorder
    from urlcheck.models import CheckResult, Summary
    path, name, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    with History(path) as history:
        while time.time() < start:
            time.sleep(0.001)
        recorder = Recorder(history)
        for n in range(count):
            recorder.add(CheckResult(url=f"https://{name}.test/{n}", line=n, ok=True,
                                     status=200, elapsed_ms=1.0, attempts=1))
            if n % 50 == 0:
                recorder.flush()
        recorder.finish(Summary(total=count), interrupted=False)
        assert recorder.error is None, recorder.error
    """
)


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    start = time.time() + 1.5
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{n}", "400", str(start)])
        for n in range(6)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * 6
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM results").fetchone() == (2400,)
        assert db.execute("SELECT count(DISTINCT url) FROM results").fetchone() == (2400,)
        assert db.execute("SELECT count(*), sum(total) FROM runs").fetchone() == (6, 2400)


OPENER = textwrap.dedent(
    """
    import sys, time
    from urlcheck.history import History
    start = float(sys.argv[2])
    time.sleep(max(0.0, start - time.time()))
    with History(sys.argv[1]) as history:
        history.start_run()
    """
)


def test_runs_that_make_the_same_new_database_at_once_all_get_it(tmp_path: Path) -> None:
    # Two cron jobs started by the same minute: the first open of a new file switches it to
    # WAL, and SQLite answers the second one's switch with "locked" without waiting.
    for attempt in range(6):
        path, start = tmp_path / f"new{attempt}.db", time.time() + 1.0
        openers = [
            subprocess.Popen([sys.executable, "-c", OPENER, str(path), str(start)],
                             stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]  # fmt: skip
        outcomes = [(p.communicate(timeout=120)[1], p.returncode) for p in openers]
        assert outcomes == [("", 0)] * 4
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM runs").fetchone() == (4,)


def test_cli_records_runs_and_history_reports_them(tmp_path: Path, server: Served) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{server.url('/ok')}\n{server.url('/status/500')}\n")
    db = tmp_path / "state" / "h.db"
    for _ in range(3):
        done = CliRunner().invoke(
            cli, ["--retries", "0", "--db", str(db), "--keep", "30d", "-q", str(urls)]
        )
        assert done.exit_code == 1
    report = CliRunner().invoke(history_command, ["--db", str(db), "--format", "json"])
    assert report.exit_code == 0
    figures = {row["url"]: row for row in json.loads(report.stdout)}
    assert figures[server.url("/ok")]["uptime_percent"] == 100.0
    assert figures[server.url("/ok")]["checks"] == 3
    assert figures[server.url("/status/500")]["uptime_percent"] == 0.0
    assert "status 500" in figures[server.url("/status/500")]["last_failure"]
    table = CliRunner().invoke(history_command, ["--db", str(db), "--since", "1h"])
    assert "History over the last 1h" in table.stdout
    assert server.url("/ok") in table.stdout
    assert "100.00%" in table.stdout


def test_history_is_reachable_as_a_subcommand(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["history", "--db", str(tmp_path / "none.db")])
    assert exit_info.value.code == 2


def test_history_errors_are_one_line(tmp_path: Path) -> None:
    missing = CliRunner().invoke(history_command, ["--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2
    assert "no history yet" in missing.stderr
    not_db = tmp_path / "junk.db"
    not_db.write_bytes(b"this is not sqlite" * 100)
    urls = tmp_path / "urls.txt"
    urls.write_text("http://a.test/\n")
    bad = CliRunner().invoke(cli, ["--db", str(not_db), str(urls)])
    assert bad.exit_code == 2
    assert "cannot use it as a history database" in bad.stderr
    keep_alone = CliRunner().invoke(cli, ["--keep", "30d", str(urls)])
    assert keep_alone.exit_code == 2
    assert "--keep" in keep_alone.stderr


def test_urlcheck_db_in_the_environment_serves_both_commands(
    tmp_path: Path, server: Served
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(server.url("/ok") + "\n")
    env = {"URLCHECK_DB": str(tmp_path / "env.db")}
    assert CliRunner().invoke(cli, ["-q", str(urls)], env=env).exit_code == 0
    report = CliRunner().invoke(history_command, ["--format", "json"], env=env)
    assert report.exit_code == 0
    assert json.loads(report.stdout)[0]["checks"] == 1


def test_keep_prunes_old_history_when_a_run_ends(tmp_path: Path, server: Served) -> None:
    db = tmp_path / "h.db"
    with History(db) as history:
        old = time.time() - 40 * 86400
        history.record(history.start_run(old), [(result("https://old.test/"), old)])
    urls = tmp_path / "urls.txt"
    urls.write_text(server.url("/ok") + "\n")
    done = CliRunner().invoke(cli, ["-q", "--db", str(db), "--keep", "30d", str(urls)])
    assert done.exit_code == 0
    with sqlite3.connect(db) as conn:
        kept = [row[0] for row in conn.execute("SELECT url FROM results")]
    assert kept == [server.url("/ok")]
