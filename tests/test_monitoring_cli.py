"""Monitoring from cron through the real command: state with thresholds, alerts that fire
once, reminders, a notification kept until it is delivered, the heartbeat, the connectivity
check, ``urlcheck history`` and ``urlcheck incidents``.

Every part is real and on 127.0.0.1: a server that flaps on command, a json:// receiver
and an SMTP server (tests/notify_servers.py), the command in a subprocess.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiohttp import web

from .faults import run_urlcheck, urlcheck_command, urlcheck_env
from .notify_servers import Receiver, serve_receiver, serve_smtp
from .servers import SERVED, Served, serve_app

pytest.importorskip("apprise", reason="the notify extra is not installed")

BASE = ("--retries", "0", "--timeout", "2")


def flapping_app() -> web.Application:
    """``/service`` answers 200 or 503 as ``state["up"]`` says; ``/slow`` waits a moment
    first (for runs that overlap); ``/ping`` counts heartbeats."""

    async def service(request: web.Request) -> web.Response:
        served = request.app[SERVED]
        served.log.append((request.method, request.path, dict(request.headers)))
        delay = float(request.query.get("delay", "0"))
        if delay:
            await asyncio_sleep(delay)
        return web.Response(status=200 if served.state.get("up", True) else 503, text="svc")

    async def ping(request: web.Request) -> web.Response:
        served = request.app[SERVED]
        served.state["pings"] = int(served.state.get("pings", 0)) + 1  # type: ignore[call-overload]
        served.log.append((request.method, request.path, dict(request.headers)))
        return web.Response(text="pong")

    app = web.Application()
    app.router.add_route("*", "/service", service)
    app.router.add_get("/ping", ping)
    return app


async def asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@pytest.fixture
def flapping() -> Iterator[Served]:
    with serve_app(flapping_app()) as served:
        yield served


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as found:
        yield found


def listing(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("".join(url + "\n" for url in urls))
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_urlcheck(*BASE, *args)


def test_thresholds_both_ways_with_changes_and_one_message_each(
    tmp_path: Path, flapping: Served, receiver: Receiver
) -> None:
    urls = listing(tmp_path, flapping.url("/service"))
    db = str(tmp_path / "h.db")
    monitor = ("--db", db, "--changes", "--notify", receiver.url(), "--down-after", "2")
    first = run(*monitor, str(urls))
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")  # all fine: silence
    flapping.state["up"] = False
    once = run(*monitor, str(urls))
    assert (once.returncode, once.stdout) == (1, "")  # one failure is not yet down
    assert receiver.received == []
    twice = run(*monitor, str(urls))
    assert twice.returncode == 1
    (line,) = twice.stdout.splitlines()
    assert line.startswith(f"DOWN {flapping.url('/service')}: down since ")
    assert "(2 failed runs in a row): status (HTTP 503)" in line
    assert receiver.titles == [f"DOWN {flapping.url('/service')}"]
    assert receiver.received[0]["type"] == "failure"
    still = run(*monitor, str(urls))
    assert (still.stdout, receiver.titles) == ("", [f"DOWN {flapping.url('/service')}"])
    flapping.state["up"] = True
    back = run(*monitor, str(urls))
    assert back.returncode == 0
    (line,) = back.stdout.splitlines()
    assert line.startswith(f"UP {flapping.url('/service')}: up again after ")
    assert receiver.titles[-1] == f"UP {flapping.url('/service')}"
    assert receiver.received[-1]["type"] == "success"
    assert "down" in receiver.received[-1]["message"]
    assert len(receiver.received) == 2


def test_up_after_waits_for_good_runs_in_a_row(
    tmp_path: Path, flapping: Served, receiver: Receiver
) -> None:
    urls = listing(tmp_path, flapping.url("/service"))
    monitor = ("--db", str(tmp_path / "h.db"), "--notify", receiver.url(), "--quiet")
    monitor += ("--down-after", "1", "--up-after", "2")
    flapping.state["up"] = False
    run(*monitor, str(urls))
    flapping.state["up"] = True
    run(*monitor, str(urls))
    assert receiver.titles == [f"DOWN {flapping.url('/service')}"]
    run(*monitor, str(urls))
    assert receiver.titles[-1] == f"UP {flapping.url('/service')}"


def test_two_overlapping_runs_send_one_message(
    tmp_path: Path, flapping: Served, receiver: Receiver
) -> None:
    flapping.state["up"] = False
    urls = listing(tmp_path, flapping.url("/service?delay=0.5"))
    args = [*BASE, "--db", str(tmp_path / "h.db"), "--notify", receiver.url(), "--quiet"]
    args += ["--down-after", "1", str(urls)]
    with ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(lambda _: run_urlcheck(*args), range(2)))
    assert [(p.returncode, p.stderr) for p in procs] == [(1, ""), (1, "")]
    assert receiver.titles == [f"DOWN {flapping.url('/service?delay=0.5')}"]  # exactly once
    with sqlite3.connect(tmp_path / "h.db") as db:
        (count,) = db.execute("SELECT count(*) FROM monitor_transitions").fetchone()
    assert count == 1


def test_a_reminder_once_remind_has_passed(
    tmp_path: Path, flapping: Served, receiver: Receiver
) -> None:
    flapping.state["up"] = False
    urls = listing(tmp_path, flapping.url("/service"))
    monitor = ("--db", str(tmp_path / "h.db"), "--notify", receiver.url(), "--changes")
    monitor += ("--down-after", "1", "--remind", "2s")
    run(*monitor, str(urls))
    soon = run(*monitor, str(urls))
    assert soon.stdout == ""  # not yet
    time.sleep(2.1)
    later = run(*monitor, str(urls))
    assert later.stdout.startswith(f"STILL DOWN {flapping.url('/service')}: down for ")
    service = flapping.url("/service")
    assert receiver.titles == [f"DOWN {service}", f"STILL DOWN {service}"]
    assert receiver.received[-1]["type"] == "warning"
    again = run(*monitor, str(urls))
    assert again.stdout == ""  # the reminder's clock starts again


def test_an_undeliverable_notification_waits_for_the_next_run_and_goes_once(
    tmp_path: Path, flapping: Served, receiver: Receiver
) -> None:
    flapping.state["up"] = False
    urls = listing(tmp_path, flapping.url("/service"))
    monitor = ("--db", str(tmp_path / "h.db"), "--notify", receiver.url(auth="user:s3cret@"))
    monitor += ("--down-after", "1", "--quiet")
    receiver.status = 500
    failed = run(*monitor, str(urls))
    assert failed.returncode == 1  # the checks' exit code, not the notification's
    (line,) = failed.stderr.splitlines()
    assert line.startswith("urlcheck: error: ")
    assert "s3cret" not in failed.stderr + failed.stdout
    assert "Traceback" not in failed.stderr
    assert receiver.received == []
    receiver.status = 200
    delivered = run(*monitor, str(urls))
    assert delivered.stderr == ""
    assert receiver.titles == [f"DOWN {flapping.url('/service')}"]
    run(*monitor, str(urls))
    assert len(receiver.received) == 1  # never twice


def test_the_down_mail_reaches_an_smtp_server(tmp_path: Path, flapping: Served) -> None:
    flapping.state["up"] = False
    urls = listing(tmp_path, flapping.url("/service"))
    with serve_smtp() as smtp:
        proc = run("--db", str(tmp_path / "h.db"), "--notify", smtp.url(), "--down-after", "1",
                   "--quiet", str(urls))  # fmt: skip
        assert proc.stderr == ""
        (mail,) = smtp.messages
    assert mail["Subject"] == f"DOWN {flapping.url('/service')}"
    assert "status (HTTP 503)" in mail.get_content()


def test_the_heartbeat_is_pinged_once_per_completed_run(tmp_path: Path, flapping: Served) -> None:
    urls = listing(tmp_path, flapping.url("/service"))
    for _ in range(2):
        proc = run("--heartbeat", flapping.url("/ping"), "--quiet", str(urls))
        assert (proc.returncode, proc.stderr) == (0, "")
    flapping.state["up"] = False
    failing = run("--heartbeat", flapping.url("/ping"), "--quiet", str(urls))
    assert failing.returncode == 1  # a run that found failures completed too
    assert flapping.state["pings"] == 3
    assert [method for method, path, _ in flapping.log if path == "/ping"] == ["GET"] * 3


def test_a_heartbeat_that_fails_is_one_line_and_changes_nothing(
    tmp_path: Path, flapping: Served, refused_url: str
) -> None:
    urls = listing(tmp_path, flapping.url("/service"))
    proc = run("--heartbeat", refused_url, "--quiet", str(urls))
    assert proc.returncode == 0
    (line,) = proc.stderr.splitlines()
    assert line.startswith("urlcheck: warning: --heartbeat ")


def test_a_failed_connectivity_check_is_exit_3_with_no_state_and_no_alert(
    tmp_path: Path, flapping: Served, receiver: Receiver, refused_url: str
) -> None:
    flapping.state["up"] = False
    urls = listing(tmp_path, flapping.url("/service"))
    db = tmp_path / "h.db"
    monitor = ("--db", str(db), "--notify", receiver.url(), "--down-after", "1")
    proc = run(*monitor, "--connectivity", refused_url, "--heartbeat", flapping.url("/ping"),
               str(urls))  # fmt: skip
    assert proc.returncode == 3
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"urlcheck: error: --connectivity {refused_url} failed (refused")
    assert proc.stdout == ""
    assert flapping.requests_to("/service") == [], "nothing else was checked"
    assert "pings" not in flapping.state, "a run that did not happen sends no heartbeat"
    assert receiver.received == []
    if db.exists():
        with sqlite3.connect(db) as found:
            assert found.execute("SELECT count(*) FROM monitor_lines").fetchone() == (0,)
    good = run(*monitor, "--connectivity", flapping.url("/ping"), str(urls))
    assert good.returncode == 1
    assert receiver.titles == [f"DOWN {flapping.url('/service')}"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--notify", "nosuchscheme://x"], "--notify"),
        (["--notify", "json://"], "--notify"),
        (["--down-after", "0"], "--down-after"),
        (["--remind", "1h"], "--remind"),
        (["--remind", "1h", "--notify", "json://127.0.0.1:1/x", "--no-db"], "--db"),
    ],
)
def test_bad_monitoring_options_exit_2_before_anything_is_checked(
    tmp_path: Path, flapping: Served, args: list[str], says: str
) -> None:
    urls = listing(tmp_path, flapping.url("/service"))
    db = [] if "--no-db" in args else ["--db", str(tmp_path / "h.db")]
    proc = run(*db, *[a for a in args if a != "--no-db"], str(urls))
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith("urlcheck: error: ")
    assert says in line
    assert flapping.log == [], "nothing was checked"


@pytest.mark.parametrize("option", ["--down-after", "--up-after", "--changes", "--notify"])
def test_state_options_need_db(tmp_path: Path, flapping: Served, option: str) -> None:
    value = {"--down-after": ["3"], "--up-after": ["2"], "--notify": ["json://127.0.0.1:1/"]}
    proc = run(option, *value.get(option, []), str(listing(tmp_path, flapping.url("/service"))))
    assert proc.returncode == 2
    assert f"{option} keeps state: it needs --db" in proc.stderr


def test_urlcheck_notify_takes_one_url_a_line(
    tmp_path: Path, flapping: Served, receiver: Receiver
) -> None:
    flapping.state["up"] = False
    urls = listing(tmp_path, flapping.url("/service"))
    with serve_receiver() as second:
        env = urlcheck_env(URLCHECK_NOTIFY=f"{receiver.url()}\n\n# a comment\n{second.url()}\n")
        command = urlcheck_command(
            *BASE, "--db", str(tmp_path / "h.db"), "--down-after", "1", "--quiet", str(urls)
        )
        proc = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert proc.stderr == ""
        assert second.titles == receiver.titles == [f"DOWN {flapping.url('/service')}"]


def test_history_and_incidents_say_the_state_and_the_outages(
    tmp_path: Path, flapping: Served
) -> None:
    urls = listing(tmp_path, flapping.url("/service"))
    db = str(tmp_path / "h.db")
    flapping.state["up"] = False
    run("--db", db, "--down-after", "1", "--quiet", str(urls))
    flapping.state["up"] = True
    run("--db", db, "--quiet", str(urls))
    flapping.state["up"] = False
    run("--db", db, "--down-after", "1", "--quiet", str(urls))
    history = json.loads(run_urlcheck("history", "--db", db, "--format", "json").stdout)
    (entry,) = history
    assert entry["state"] == "down"
    assert entry["since"].endswith("Z")
    incidents = json.loads(run_urlcheck("incidents", "--db", db, "--format", "json").stdout)
    assert [i["end"] is None for i in incidents] == [True, False]  # newest first
    assert {i["error_kind"] for i in incidents} == {"status"}
    assert all(i["url"] == flapping.url("/service") for i in incidents)
    assert all(i["start"].endswith("Z") and i["duration_s"] >= 0 for i in incidents)
    table = run_urlcheck("incidents", "--db", db)
    assert "ongoing" in table.stdout
    assert table.returncode == 0
