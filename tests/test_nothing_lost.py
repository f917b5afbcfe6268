"""Nothing lost, nothing leaked: through the real command, in every output format.

Every URL line yields exactly one result, also when the run is interrupted (Ctrl-C prints
what finished) or its output goes to a closed pipe (it stops quietly); a slow writer on
standard input neither stalls the checks nor falsifies their timing; and a password in a URL
never appears in any output, message or history, whatever the server does with it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from urlcheck.status import ExitStatus

from .faults import FaultServer, urlcheck_command, urlcheck_env
from .servers import Served

FORMATS = ("table", "json", "jsonl", "csv")
QUICK = ["--timeout", "1", "--retries", "0"]
NOISE = ("Traceback", "Exception ignored", "Fatal Python error", "Task was destroyed", "Unclosed")


def start(*args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        urlcheck_command(*args),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=urlcheck_env(),
    )


@contextlib.contextmanager
def running(*args: str) -> Iterator[subprocess.Popen[str]]:
    """The command with its standard input a pipe; killed at the end if still running, so
    that a failing test cannot hang on a process waiting for input."""
    proc = start(*args, stdin=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def results_of(fmt: str, out: str) -> list[tuple[str, int]]:
    """(url, line) of every result printed in `fmt`."""
    if fmt == "jsonl":
        return [(r["url"], r["line"]) for r in map(json.loads, out.splitlines())]
    if fmt == "json":
        return [(r["url"], r["line"]) for r in json.loads(out)]
    if fmt == "csv":
        return [(r["url"], int(r["line"])) for r in csv.DictReader(io.StringIO(out))]
    # The table: a header, a rule, one row per result (URL first), then the summary.
    lines = out.splitlines()
    rule = next(n for n, line in enumerate(lines) if line.startswith("─"))
    rows = []
    for line in lines[rule + 1 :]:
        if re.match(r"\d+ ok · \d+ failed", line):
            break
        rows.append((line.split("  ")[0], 0))
    return rows


def assert_quiet(err: str) -> None:
    for noise in NOISE:
        assert noise not in err, err


# Every line, one result, in every format.


def test_every_line_yields_exactly_one_result_in_every_format(
    faults: FaultServer, app: Served, refused_url: str, tmp_path: Path
) -> None:
    lines = [
        "# faults, duplicates and junk",
        app.url("/ok"),
        faults.url("/hang"),
        faults.url("/close"),
        faults.url("/not-http"),
        "",
        app.url("/loop"),
        app.url("/to/ftp"),
        refused_url,
        "http://no-such-host.invalid/",
        app.url("/ok"),  # listed twice: requested once, reported twice
        "javascript:alert(1)",
        "http://a..b/",
        app.url("/ok") + " status=301",
        "x" * 100_000,
        app.url("/any/last"),
    ]
    path = tmp_path / "everything.txt"
    path.write_text("\n".join(lines) + "\n")
    url_lines = [n for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    runs = {fmt: start(*QUICK, "--all", "--format", fmt, str(path)) for fmt in FORMATS}
    for fmt, proc in runs.items():
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1, (fmt, err)
        assert err == "", (fmt, err)
        got = results_of(fmt, out)
        assert len(got) == len(url_lines), fmt
        if fmt != "table":
            assert sorted(line for _, line in got) == url_lines, fmt
    # Once alone and once with status=301, per run: the duplicate line costs no request.
    assert app.requests_to("/ok").count("HEAD") == 2 * len(runs)


# Ctrl-C: what finished is printed, each once; nothing else; exit 130 within a second.


@pytest.mark.parametrize("fmt", FORMATS)
def test_ctrl_c_prints_each_finished_check_once(
    fmt: str, faults: FaultServer, app: Served, tmp_path: Path
) -> None:
    finished = [app.url("/ok"), app.url("/any/404-is-fine"), "javascript:alert(1)", app.url("/ok")]
    hanging = [faults.url(f"/hang?n={n}") for n in range(3)]
    path = tmp_path / "list.txt"
    path.write_text("\n".join(finished[:2] + hanging + finished[2:]) + "\n")
    proc = start("--timeout", "60", "--retries", "0", "--all", "--format", fmt, str(path))
    deadline = time.monotonic() + 20
    while len(faults.record.methods("/hang")) < 3 or len(app.log) < 2:
        assert time.monotonic() < deadline, "the checks did not start"
        time.sleep(0.05)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert time.monotonic() - sent < 1.5
    assert_quiet(err)
    got = results_of(fmt, out)
    assert sorted(url for url, _ in got) == sorted(finished)
    if fmt == "table":
        assert "interrupted: only the checks that finished are shown" in out


class Lines:
    """The lines a process prints, read in a thread, so a test can wait for one with a limit."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def next(self, timeout: float) -> str:
        """The next line; fails if none comes within `timeout` seconds or output ended."""
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no line printed within {timeout} s")
        assert line is not None, "the output ended"
        return line

    def rest(self, timeout: float) -> list[str]:
        """Every line until the output ends."""
        lines = []
        while (line := self._queue.get(timeout=timeout)) is not None:
            lines.append(line)
        return lines


def test_ctrl_c_with_standard_input_still_open(faults: FaultServer, app: Served) -> None:
    with running(*QUICK, "--timeout", "60", "--format", "jsonl", "-") as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        out = Lines(proc.stdout)
        proc.stdin.write(f"{app.url('/ok')}\n{faults.url('/hang')}\n")
        proc.stdin.flush()  # and the writer stays: no EOF will come
        first = json.loads(out.next(timeout=5))
        assert (first["url"], first["ok"]) == (app.url("/ok"), True)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == ExitStatus.INTERRUPTED
        assert time.monotonic() - sent < 1.5
        assert out.rest(timeout=5) == []
        assert_quiet(proc.stderr.read())


def test_a_slow_writer_on_standard_input_neither_stalls_nor_falsifies_checks(
    app: Served,
) -> None:
    # One worker and a short queue: the reader gets ahead of the checks, then waits for input
    # while a check is under way. Reading on the event loop froze it: nothing streamed, and
    # the check in flight timed out on the frozen clock although its answer had come.
    args = ("--timeout", "1", "--retries", "0", "--concurrency", "1", "--format", "jsonl", "-")
    with running(*args) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        out = Lines(proc.stdout)
        proc.stdin.write("".join(f"{app.url(f'/slow/{n}?delay=0.3')}\n" for n in range(3)))
        proc.stdin.flush()
        streamed = [json.loads(out.next(timeout=3)) for _ in range(3)]  # before any EOF
        time.sleep(1.5)  # the writer pauses longer than the timeout
        proc.stdin.write(app.url("/ok") + "\n")
        proc.stdin.close()
        records = streamed + [json.loads(line) for line in out.rest(timeout=10)]
        assert proc.wait(timeout=10) == 0, records
        assert proc.stderr.read() == ""
    assert [r["ok"] for r in records] == [True] * 4
    assert max(r["elapsed_ms"] for r in records) < 900


# A closed pipe: the run stops quietly, with the same status whatever the format.


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_pipe_stops_the_run_quietly(fmt: str, app: Served, tmp_path: Path) -> None:
    path = tmp_path / "many.txt"
    path.write_text("".join(f"{app.url(f'/any/{n}')}\n" for n in range(2000)))
    with start(*QUICK, "--all", "--format", fmt, str(path)) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        err = proc.stderr.read()
        assert proc.wait(timeout=30) == ExitStatus.BROKEN_PIPE
    assert first
    assert err == ""


def test_a_closed_pipe_through_a_shell_pipeline(app: Served, tmp_path: Path) -> None:
    path = tmp_path / "many.txt"
    path.write_text("".join(f"{app.url(f'/any/{n}')}\n" for n in range(2000)))
    command = " ".join(urlcheck_command(*QUICK, "--all", str(path)))
    proc = subprocess.run(
        ["bash", "-c", f"{command} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=urlcheck_env(),
    )
    assert proc.returncode == ExitStatus.BROKEN_PIPE
    assert proc.stdout.startswith("URL")
    assert proc.stderr == ""


# A password in a URL never shows: not in results, messages, redirects, history or stderr.

PASSWORD = "Hunter2Secret"
ENCODED = "Hunter2%40Secret"  # 'Hunter2@Secret' once decoded


def with_password(url: str, password: str = PASSWORD) -> str:
    return url.replace("://", f"://user:{password}@", 1)


def test_a_password_never_appears_anywhere(
    faults: FaultServer, app: Served, refused_url: str, tmp_path: Path
) -> None:
    lines = [
        *(with_password(app.url(f"/leak/{how}"))
          for how in ("redirect-userinfo", "redirect-query", "redirect-ftp",
                      "redirect-unparsable", "reason")),
        with_password(app.url("/leak/reason"), ENCODED),
        with_password(app.url("/leak/redirect-query"), ENCODED),
        with_password(faults.url("/echo-password")),
        with_password(faults.url("/hang")),
        with_password(refused_url),
        with_password("http://no-such-host.invalid/"),
        with_password("ftp://files.example/"),
        with_password("http://[::1/"),
        with_password("http://a..b/"),
        with_password("http://h.example/ not-an-expectation"),
        f"http://user:{PASSWORD[:4]} {PASSWORD[4:]}@h.example/",
        with_password("http://h.example/") + "x" * 70_000,
    ]  # fmt: skip
    path = tmp_path / "secret.txt"
    path.write_bytes(
        "\n".join(lines).encode() + b"\n" + with_password("http://caf\xe9.example/").encode()
        + b"\xff\n"
    )  # fmt: skip
    runs = {
        fmt: start(*QUICK, "--all", "--format", fmt, "--db", str(tmp_path / f"{fmt}.db"), str(path))
        for fmt in FORMATS
    }
    for fmt, proc in runs.items():
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1, err
        assert len(results_of(fmt, out)) == len(lines) + 1
        history = b"".join(p.read_bytes() for p in tmp_path.glob(f"{fmt}.db*"))
        assert history, "the history was written"
        for secret in (PASSWORD, "Hunter2@Secret", PASSWORD[4:]):
            assert secret not in out, (fmt, secret)
            assert secret not in err, (fmt, secret)
            assert secret.encode() not in history, (fmt, secret)
    # The requests did carry it: the servers were sent the credentials.
    assert all(
        headers.get("Authorization", "").startswith("Basic ")
        for _, path_qs, headers in app.log
        if path_qs.startswith("/leak/")
    )
