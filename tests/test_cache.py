"""``--cache DURATION`` with ``--db``: a URL whose latest check was fine within DURATION is
reported from the history without a request; failures, and what the cache cannot answer,
are checked again. Against a server on 127.0.0.1 that counts its requests."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from .faults import run_urlcheck
from .servers import Served

BASE = ("--retries", "0", "--timeout", "3", "--format", "jsonl")


def rows(proc: Any) -> dict[str, dict[str, Any]]:
    return {row["url"]: row for row in map(json.loads, proc.stdout.splitlines())}


def test_a_fine_url_is_answered_from_the_history_and_a_failure_asked_again(
    tmp_path: Path, server: Served
) -> None:
    ok, bad = server.url("/ok"), server.url("/status/500")
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{ok}\n{bad}\n{ok}  status=200\n")
    db = str(tmp_path / "h.db")
    first = run_urlcheck(*BASE, "--db", db, str(urls))
    assert first.returncode == 1
    server.log.clear()

    second = run_urlcheck(*BASE, "--db", db, "--cache", "1h", str(urls))
    assert second.returncode == 1
    results = [json.loads(line) for line in second.stdout.splitlines()]
    by_line = {row["line"]: row for row in results}
    assert by_line[1]["cached"] is True
    assert (by_line[1]["ok"], by_line[1]["status"], by_line[1]["attempts"]) == (True, 200, 0)
    assert by_line[2]["cached"] is False, "a failure is always checked again"
    assert by_line[3]["cached"] is False, "a line with expectations of its own is checked"
    assert server.requests_to("/ok") == ["HEAD"], "only the line with status= asked"
    assert server.requests_to("/status/500") == ["HEAD", "GET"]

    with sqlite3.connect(db) as history:
        stored = history.execute(
            "SELECT line, url, cached FROM results WHERE run_id = 2 ORDER BY line"
        ).fetchall()
    assert stored == [(1, ok, 1), (2, bad, 0), (3, ok, 0)], "recorded, and marked cached"


def test_a_cached_answer_never_feeds_the_cache(tmp_path: Path, server: Served) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(server.url("/ok") + "\n")
    db = str(tmp_path / "h.db")
    assert run_urlcheck(*BASE, "--db", db, str(urls)).returncode == 0
    with sqlite3.connect(db) as history:  # the only real check: now long ago
        history.execute("UPDATE results SET checked_at = checked_at - 7200")
    server.log.clear()
    again = rows(run_urlcheck(*BASE, "--db", db, "--cache", "1h", str(urls)))
    assert again[server.url("/ok")]["cached"] is False, "older than the cache: asked again"
    assert server.requests_to("/ok") == ["HEAD"]


def test_the_latest_check_decides(tmp_path: Path, server: Served) -> None:
    url = server.url("/ok")
    urls = tmp_path / "urls.txt"
    urls.write_text(url + "\n")
    db = str(tmp_path / "h.db")
    assert run_urlcheck(*BASE, "--db", db, str(urls)).returncode == 0
    with sqlite3.connect(db) as history:  # a later check of the same URL failed
        history.execute(
            "INSERT INTO results (run_id, checked_at, url, line, ok, elapsed_ms, redirects,"
            " attempts, file, line_id, skipped, warning, cached, error_kind)"
            " SELECT run_id, checked_at + 1, url, line, 0, 0, 0, 1, file, line_id, 0, 0, 0,"
            " 'timeout' FROM results"
        )
    server.log.clear()
    assert rows(run_urlcheck(*BASE, "--db", db, "--cache", "1h", str(urls)))[url]["cached"] is False
    assert server.requests_to("/ok") == ["HEAD"]


def test_cache_needs_db(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.org/\n")
    proc = run_urlcheck("--cache", "1h", str(urls))
    assert proc.returncode == 2
    assert "--cache answers from the history: it needs --db" in proc.stderr
