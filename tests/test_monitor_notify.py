"""The monitor's notifications through Apprise, to real receivers on 127.0.0.1: a json://
HTTP endpoint and an SMTP server. Queued with the transition, delivered in order, kept
when undeliverable, never sent twice, and secrets masked in every line shown."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from urlcheck.errors import NotifyError
from urlcheck.monitor import (
    INSTALL_HINT,
    Monitor,
    Observation,
    Thresholds,
    load_targets,
    notify_urls_from_env,
    validate_notify_urls,
)

from .notify_servers import Receiver, Smtp, free_port, serve_receiver, serve_smtp

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
URL = "https://example.test/health"
FILE = os.path.abspath("urls.txt")


def failed(url: str = URL) -> Observation:
    return Observation(
        url=url, file="urls.txt", ok=False, display=url, error_kind="status", status=503,
        error="status 503 is not accepted",
    )  # fmt: skip


def good(url: str = URL) -> Observation:
    return Observation(url=url, file="urls.txt", ok=True, display=url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as served:
        yield served


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    with serve_smtp() as server:
        yield server


def run(
    monitor: Monitor, observations: list[Observation], now: float, urls: list[str]
) -> list[str]:
    """One cron run: decide, then deliver; the failure lines it would print."""
    targets = load_targets(urls)
    monitor.apply_run(observations, now=now, targets=targets)
    return monitor.deliver(targets, now=now).failures


def test_down_then_up_reach_the_receiver_once_each(tmp_path: Path, receiver: Receiver) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=2)) as monitor:
        assert run(monitor, [failed()], T0, [receiver.url()]) == []
        assert receiver.received == []  # one failure: still up, nothing to say
        assert run(monitor, [failed()], T0 + 300, [receiver.url()]) == []
        assert run(monitor, [failed()], T0 + 600, [receiver.url()]) == []
        assert run(monitor, [good()], T0 + 3900, [receiver.url()]) == []
    down, up = receiver.received
    assert (down["title"], down["type"]) == (f"DOWN {URL}", "failure")
    assert down["message"] == (
        f"{URL} is down since 2023-11-14T22:13:20Z, after 2 failed runs in a row.\n"
        "error: status (HTTP 503): status 503 is not accepted\n"
        f"file: {FILE}"
    )
    assert (up["title"], up["type"]) == (f"UP {URL}", "success")
    assert up["message"] == (
        f"{URL} is up again after 1h 5m down (since 2023-11-14T22:13:20Z), 1 good run in a row.\n"
        f"file: {FILE}"
    )


def test_up_after_two_good_runs(tmp_path: Path, receiver: Receiver) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1, up_after=2)) as monitor:
        run(monitor, [failed()], T0, [receiver.url()])
        run(monitor, [good()], T0 + 60, [receiver.url()])
        assert receiver.titles == [f"DOWN {URL}"]  # one good run: still down
        run(monitor, [good()], T0 + 120, [receiver.url()])
        run(monitor, [good()], T0 + 180, [receiver.url()])
    assert receiver.titles == [f"DOWN {URL}", f"UP {URL}"]
    assert "2 good runs in a row" in receiver.received[1]["message"]


def test_the_down_mail_reaches_an_smtp_server(tmp_path: Path, smtp: Smtp) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        assert run(monitor, [failed()], T0, [smtp.url()]) == []
    [mail] = smtp.messages
    assert mail["Subject"] == f"DOWN {URL}"
    assert mail["To"].addresses[0].addr_spec == "ops@example.test"
    assert smtp.mailbox.envelopes == [("urlcheck@example.test", ["ops@example.test"])]
    body = mail.get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n").strip() == (
        f"{URL} is down since 2023-11-14T22:13:20Z, after 1 failed run in a row.\n"
        "error: status (HTTP 503): status 503 is not accepted\n"
        f"file: {FILE}"
    )


def test_a_reminder_once_remind_s_has_passed_not_before(tmp_path: Path, receiver: Receiver) -> None:
    thresholds = Thresholds(down_after=1, remind_s=3600)
    with Monitor(tmp_path / "h.db", thresholds=thresholds) as monitor:
        for minutes in (0, 30, 59):
            run(monitor, [failed()], T0 + 60 * minutes, [receiver.url()])
        assert receiver.titles == [f"DOWN {URL}"]
        run(monitor, [failed()], T0 + 3600, [receiver.url()])
        assert receiver.titles == [f"DOWN {URL}", f"STILL DOWN {URL}"]
        run(monitor, [failed()], T0 + 3600 + 1800, [receiver.url()])  # an hour after that one
        assert len(receiver.received) == 2
        run(monitor, [failed()], T0 + 7200, [receiver.url()])
        run(monitor, [good()], T0 + 7300, [receiver.url()])
    assert receiver.titles == [f"DOWN {URL}", f"STILL DOWN {URL}", f"STILL DOWN {URL}", f"UP {URL}"]
    reminder = receiver.received[1]
    assert reminder["type"] == "warning"
    assert reminder["message"] == (
        f"{URL} is still down, for 1h (since 2023-11-14T22:13:20Z), 4 failed runs in a row.\n"
        "latest error: status (HTTP 503): status 503 is not accepted\n"
        f"file: {FILE}"
    )


def test_a_refused_message_is_kept_and_sent_next_run_in_order_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    other = "https://other.test/"
    receiver.status = 500
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        [line] = run(monitor, [failed(), good(other)], T0, [receiver.url()])
        assert line.startswith(f"notify json://{receiver.served.host}:{receiver.served.port}/hook:")
        assert f"'DOWN {URL}' not delivered" in line
        assert "500" in line
        assert line.endswith("1 message kept for the next run")
        [line] = run(monitor, [failed(), failed(other)], T0 + 60, [receiver.url()])
        assert line.endswith("2 messages kept for the next run")
        assert receiver.refused == 2  # one try per run: the newer message waits behind
        receiver.status = 200
        assert run(monitor, [failed(), failed(other)], T0 + 120, [receiver.url()]) == []
        assert receiver.titles == [f"DOWN {URL}", f"DOWN {other}"]  # oldest first
        assert run(monitor, [failed(), failed(other)], T0 + 180, [receiver.url()]) == []
        report = monitor.deliver(load_targets([receiver.url()]))
    assert (report.sent, report.pending, report.failures) == (0, 0, [])
    assert receiver.titles == [f"DOWN {URL}", f"DOWN {other}"]  # and only once


def test_a_receiver_that_was_down_gets_the_queue_when_back(tmp_path: Path) -> None:
    port = free_port()
    url = f"json://127.0.0.1:{port}/hook"
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        [line] = run(monitor, [failed()], T0, [url])  # nothing listens
        assert "not delivered" in line
        assert run(monitor, [good()], T0 + 60, [url])[0].endswith(
            "2 messages kept for the next run"
        )
        with serve_receiver(port) as back:
            assert run(monitor, [good()], T0 + 120, [url]) == []
            assert run(monitor, [good()], T0 + 180, [url]) == []
    assert back.titles == [f"DOWN {URL}", f"UP {URL}"]


def test_a_failing_target_does_not_hold_up_another(tmp_path: Path, receiver: Receiver) -> None:
    dead = f"json://127.0.0.1:{free_port()}/hook"
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        failures = run(monitor, [failed()], T0, [dead, receiver.url()])
        assert len(failures) == 1
        assert failures[0].startswith(f"notify {dead}:")
    assert receiver.titles == [f"DOWN {URL}"]


def test_no_message_is_queued_without_targets(tmp_path: Path, receiver: Receiver) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        outcome = monitor.apply_run([failed()], now=T0)
        assert (len(outcome.changes), outcome.queued) == (1, 0)
        # A target given later gets the transitions from then on, not the old ones.
        assert run(monitor, [good()], T0 + 60, [receiver.url()]) == []
    assert receiver.titles == [f"UP {URL}"]


def test_secrets_are_masked_in_failure_lines_and_the_database(tmp_path: Path) -> None:
    port = free_port()
    urls = [
        f"json://user:s3cret-pw@127.0.0.1:{port}/hook",
        f"mailto://user:m4il-pw@127.0.0.1:{port}?mode=insecure&from=u@example.test&to=ops@example.test",
        f"gotify://127.0.0.1:{port}/AAbotT0kenSecret",  # a token in the path
    ]
    path = tmp_path / "h.db"
    with Monitor(path, thresholds=Thresholds(down_after=1)) as monitor:
        failures = run(monitor, [failed()], T0, urls)
    assert len(failures) == 3
    shown = "\n".join(failures + validate_notify_urls(urls))
    with sqlite3.connect(path) as db:
        stored = "\n".join(db.iterdump())
    for secret in ("s3cret-pw", "m4il-pw", "AAbotT0kenSecret"):
        assert secret not in shown
        assert secret not in stored
    assert f"notify json://user:****@127.0.0.1:{port}/hook:" in shown
    assert f"notify mailto://user:****@127.0.0.1:{port}/" in shown
    assert f"notify gotify://127.0.0.1:{port}/A...t/:" in shown


def test_apprise_logs_nothing_to_the_program(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    dead = f"json://user:s3cret@127.0.0.1:{free_port()}/hook"
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        [line] = run(monitor, [failed()], T0, [dead])
    assert "Connection error" in line  # Apprise's reason, in our one line
    assert [r for r in caplog.records if r.name.startswith("apprise")] == []
    assert capfd.readouterr() == ("", "")


def test_a_bad_notify_url_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match=r"^notify URL \(nosuch://…\): Apprise has no nosuch://"):
        validate_notify_urls(["nosuch://user:pw-123@example.test/tok"])
    with pytest.raises(NotifyError, match=r"^notify URL 2 \(json://…\) cannot be used"):
        validate_notify_urls(["json://127.0.0.1/ok", "json://127.0.0.1:notaport/"])
    with pytest.raises(NotifyError, match="not an Apprise URL"):
        validate_notify_urls(["hooks.example.test/abc"])
    for bad in ("nosuch://user:pw-123@example.test/tok", "mailto://user:pw-123@"):
        with pytest.raises(NotifyError) as caught:
            validate_notify_urls([bad])
        message = str(caught.value)
        assert "\n" not in message
        assert "pw-123" not in message


def test_good_notify_urls_give_masked_labels_each_once() -> None:
    urls = [
        "json://user:pw-123@127.0.0.1:8080/hook?x=1",
        "json://user:pw-123@127.0.0.1:8080/hook?x=1",
    ]
    assert validate_notify_urls(urls) == ["json://user:****@127.0.0.1:8080/hook"]
    assert validate_notify_urls([]) == []


def test_notify_urls_from_the_environment_one_per_line() -> None:
    text = "\n json://a.test/x?list=1,2 \n\n# mail\nmailto://u:p@b.test\n"
    assert notify_urls_from_env(text) == ["json://a.test/x?list=1,2", "mailto://u:p@b.test"]


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_apprise_is_imported_only_for_notify_urls(tmp_path: Path) -> None:
    proc = python(
        f"""
        import sys
        from urlcheck.monitor import Monitor, Observation, load_targets, validate_notify_urls
        with Monitor({str(tmp_path / "h.db")!r}) as monitor:
            seen = Observation(url="https://a.test/", file="-", ok=False, display="https://a.test/")
            monitor.apply_run([seen], targets=load_targets([]))
            monitor.apply_run([seen], targets=load_targets([]))
            monitor.deliver(load_targets([]))
        assert validate_notify_urls([]) == []
        assert "apprise" not in sys.modules, "imported"
        validate_notify_urls(["json://127.0.0.1/"])
        assert "apprise" in sys.modules
        """
    )
    assert proc.returncode == 0, proc.stderr


def test_without_apprise_it_says_how_to_install_it() -> None:
    proc = python(
        """
        import sys
        sys.modules["apprise"] = None  # as if it were not installed: importing it fails
        from urlcheck.monitor import validate_notify_urls
        try:
            validate_notify_urls(["json://127.0.0.1/"])
        except ValueError as exc:
            print(exc)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"notifications need Apprise: {INSTALL_HINT}"
    assert INSTALL_HINT == "pip install 'urlcheck[notify]'"
