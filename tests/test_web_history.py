"""`urlcheck --serve --db`: the page records its checks, reuses fresh runs, shows uptime."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner

from urlcheck.cli import cli
from urlcheck.history import History
from urlcheck.web import create_app

from .servers import Served

FAST = {"retries": 0, "timeout": 5.0}


def url_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def runs_in(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL"
        ).fetchone()
    return int(count)


def test_page_checks_are_recorded_and_uptime_is_shown(tmp_path: Path, server: Served) -> None:
    urls = url_file(tmp_path, server.url("/ok"), server.url("/status/500"))
    db = tmp_path / "h.db"
    client = create_app([str(urls)], FAST, cache_ttl=0, db=str(db)).test_client()
    for _ in range(3):
        page = client.get("/").get_data(as_text=True)
    assert runs_in(db) == 3
    assert '<th scope="col" class="uptime"' in page
    assert '<span class="pct">100.0%</span>' in page
    assert '<span class="pct">0.0%</span>' in page
    assert page.count('<svg class="spark"') == 2  # three recorded points a row


def test_a_fresh_run_from_cron_is_shown_without_checking(tmp_path: Path, server: Served) -> None:
    urls = url_file(tmp_path, server.url("/ok"), server.url("/status/404"))
    db = tmp_path / "h.db"
    cron = CliRunner().invoke(cli, ["--retries", "0", "--db", str(db), "-q", str(urls)])
    assert cron.exit_code == 1
    requests_by_cron = len(server.log)
    client = create_app([str(urls)], FAST, cache_ttl=60, db=str(db)).test_client()
    response = client.get("/api/results")
    assert response.status_code == 200
    assert len(server.log) == requests_by_cron  # the page checked nothing itself
    assert 'history;desc="a recent run from the history"' in response.headers["Server-Timing"]
    data = response.get_json()
    assert [(r["url"], r["ok"]) for r in data["results"]] == [
        (server.url("/ok"), True),
        (server.url("/status/404"), False),
    ]
    assert runs_in(db) == 1  # and recorded nothing twice


def test_a_stale_or_foreign_run_is_not_reused(tmp_path: Path, server: Served) -> None:
    urls = url_file(tmp_path, server.url("/ok"))
    other = tmp_path / "other.txt"
    other.write_text(server.url("/status/404") + "\n")
    db = tmp_path / "h.db"
    CliRunner().invoke(cli, ["--retries", "0", "--db", str(db), "-q", str(other)])
    before = len(server.log)
    client = create_app([str(urls)], FAST, cache_ttl=60, db=str(db)).test_client()
    assert client.get("/api/results").get_json()["results"][0]["ok"] is True
    assert len(server.log) == before + 1  # the other list's run was not taken for this one
    with History(db) as history:
        latest = history.latest(60)
    assert latest is not None
    assert [r.url for r in latest.results] == [server.url("/ok")]
    assert latest.finished_at <= time.time()


def test_serve_rejects_keep_and_a_foreign_db(tmp_path: Path) -> None:
    urls = url_file(tmp_path, "http://a.test/")
    keep = CliRunner().invoke(cli, ["--serve", "--db", str(tmp_path / "h.db"), "--keep", "1d",
                                    str(urls)])  # fmt: skip
    assert keep.exit_code == 2
    assert "--keep" in keep.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 50)
    bad = CliRunner().invoke(cli, ["--serve", "--port", "0", "--db", str(junk), str(urls)])
    assert bad.exit_code == 2
    assert "cannot use it as a history database" in bad.stderr
    assert "Traceback" not in bad.stderr
