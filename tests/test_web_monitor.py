"""`urlcheck --serve --db` with monitoring: the state and the ongoing incidents the runs
recorded, on the page; status badges for the list and for each URL line, by its id."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from urlcheck.cli import cli
from urlcheck.web import create_app

from .servers import Served

FAST = {"retries": 0, "timeout": 5.0}
SVG = "{http://www.w3.org/2000/svg}"


def url_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cron(db: Path, urls: Path, *args: str) -> None:
    result = CliRunner().invoke(
        cli, ["--retries", "0", "--db", str(db), "--quiet", "--down-after", "1", *args, str(urls)]
    )
    assert result.exit_code in (0, 1), result.output


def svg_text(body: bytes) -> str:
    """The words a badge shows (each is drawn twice: its shadow, then itself)."""
    root = ET.fromstring(body)
    assert root.tag == f"{SVG}svg"
    words = [t.text or "" for t in root.iter(f"{SVG}text")]
    return " ".join(dict.fromkeys(words))


def test_the_page_shows_what_is_down_as_the_runs_recorded(tmp_path: Path, server: Served) -> None:
    urls = url_file(tmp_path, server.url("/ok"), server.url("/status/503"))
    db = tmp_path / "h.db"
    cron(db, urls)
    client = create_app([str(urls)], FAST, cache_ttl=0, db=str(db)).test_client()
    page = client.get("/").get_data(as_text=True)
    assert '<section class="incidents" aria-label="Ongoing incidents">' in page
    assert f'<span class="incident-url">{server.url("/status/503")}</span>' in page
    assert page.count('<span class="state-down"') == 1
    with sqlite3.connect(db) as found:
        transitions = found.execute("SELECT count(*) FROM monitor_transitions").fetchone()
    for _ in range(3):  # the page's own checks record history but never change the state
        client.get("/")
    with sqlite3.connect(db) as found:
        assert found.execute("SELECT count(*) FROM monitor_transitions").fetchone() == transitions


def test_the_list_badge_counts_down_lines_after_thresholds(tmp_path: Path, server: Served) -> None:
    urls = url_file(tmp_path, server.url("/ok"), server.url("/status/503"))
    db = tmp_path / "h.db"
    client = create_app([str(urls)], FAST, cache_ttl=0, db=str(db)).test_client()
    # No run has judged the lines yet: the badge goes by the latest results.
    response = client.get("/badge.svg")
    assert (response.status_code, response.content_type) == (200, "image/svg+xml")
    assert svg_text(response.data) == "urls 1 down"
    cron(db, urls, "--down-after", "3")  # one failed run of three: still up
    # A page reads the state again 10 s after it last did (STATS_TTL_S); a new one now.
    client = create_app([str(urls)], FAST, cache_ttl=0, db=str(db)).test_client()
    assert svg_text(client.get("/badge.svg").data) == "urls 2 up"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_line_badge_by_the_id_the_api_gives(tmp_path: Path, server: Served) -> None:
    urls = url_file(tmp_path, server.url("/ok"), server.url("/status/503"))
    db = tmp_path / "h.db"
    cron(db, urls)
    client = create_app([str(urls)], FAST, cache_ttl=0, db=str(db)).test_client()
    results = {r["url"]: r for r in client.get("/api/results").get_json()["results"]}
    good, bad = results[server.url("/ok")]["id"], results[server.url("/status/503")]["id"]
    assert len(good) == 16
    assert good != bad
    assert svg_text(client.get(f"/badge/{good}.svg").data) == "status up"
    assert svg_text(client.get(f"/badge/{bad}.svg").data) == "status down"
    missing = client.get("/badge/0123456789abcdef.svg")
    assert missing.status_code == 404
    assert client.get("/badge/not-an-id.svg").status_code == 404


def test_without_a_history_the_badges_follow_the_results(tmp_path: Path, server: Served) -> None:
    urls = url_file(tmp_path, server.url("/ok"))
    client = create_app([str(urls)], FAST, cache_ttl=0).test_client()
    assert svg_text(client.get("/badge.svg").data) == "urls 1 up"
    (result,) = client.get("/api/results").get_json()["results"]
    assert svg_text(client.get(f"/badge/{result['id']}.svg").data) == "status up"


def test_serve_refuses_the_options_that_belong_to_runs(tmp_path: Path) -> None:
    urls = url_file(tmp_path, "http://127.0.0.1:1/")
    result = CliRunner().invoke(
        cli, ["--serve", "--db", str(tmp_path / "h.db"), "--changes", str(urls)]
    )
    assert result.exit_code == 2
    assert "monitoring is theirs" in result.stderr
