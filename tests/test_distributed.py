"""The Celery path: a real Redis on 127.0.0.1, real workers in subprocesses, the same results.

Every test that talks to Redis gets a database of its own, so queues and workers never mix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from urlcheck.cli import cli
from urlcheck.cli.worker import worker_command
from urlcheck.distributed import check_broker_url, check_chunk, from_json, to_json
from urlcheck.errors import DistributedError
from urlcheck.inputs import parse_line, to_target
from urlcheck.models import CheckResult, ErrorKind, StatusRanges
from urlcheck.options import CheckOptions

from .servers import Served, demo_app, serve_app

pytest.importorskip("celery", reason="the distributed extra is not installed")

REDIS_SERVER = "/usr/bin/redis-server"
COMPARED = ("url", "line", "file", "ok", "status", "error_kind", "redirects", "method", "final_url")
SECRET = "s3cret"
"""The password of the demo server's /auth: it must never show up in output or worker logs."""
PY = [sys.executable, "-m", "urlcheck"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Redis:
    """A redis-server process and the port it listens on."""

    proc: subprocess.Popen[bytes]
    port: int


@contextlib.contextmanager
def redis_server() -> Iterator[Redis]:
    """A throwaway redis-server on a free port of 127.0.0.1, with no persistence."""
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    port = free_port()
    proc = subprocess.Popen(
        [
            *(REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--databases", "64"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield Redis(proc, port)
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    """The Redis of this module."""
    with redis_server() as redis:
        yield redis.port


_databases = itertools.count(1)


@pytest.fixture
def broker(redis_port: int) -> str:
    """A Redis database of this test's own."""
    return f"redis://127.0.0.1:{redis_port}/{next(_databases)}"


@pytest.fixture(scope="module")
def web() -> Iterator[Served]:
    """The demo server, shared by the module (each test marks its URLs apart)."""
    with serve_app(demo_app()) as served:
        yield served


@dataclass
class Worker:
    """A worker process (and its pool) in a session of its own, logging to a file."""

    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{self.text()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as if the machine died."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start workers (``urlcheck worker`` or Celery's own command); all are killed after."""
    started: list[Worker] = []

    def start(broker: str, *args: str, celery_cli: bool = False) -> Worker:
        log = tmp_path / f"worker{len(started)}.log"
        if celery_cli:  # the documented equivalent, at Celery's most talkative log level
            command = [sys.executable, "-m", "celery", "-A", "urlcheck.distributed", "worker"]
            command += ["--without-gossip", "--without-mingle", "-l", "debug"]
            command += ["-n", f"celery{len(started)}-{os.getpid()}@%h", *args]
            env = {**os.environ, "URLCHECK_BROKER": broker}
        else:
            command = [*PY, "worker", "--broker", broker, *args]
            env = dict(os.environ)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        worker = Worker(proc, log)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.kill()


def urlcheck(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PY, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def assert_one_clean_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("urlcheck: error: ")
    return lines[0]


def write_list(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# --- without a broker, and what travels --------------------------------------------------------


def test_a_local_run_never_imports_celery(tmp_path: Path, web: Served) -> None:
    urls = write_list(tmp_path / "urls.txt", [web.url("/ok?local=1")])
    code = f"""
import json, sys
from urlcheck.cli import main
try:
    main(["--format", "json", {urls!r}])
except SystemExit as exc:
    assert exc.code == 0, exc.code
loaded = [m for m in sys.modules if m.split(".")[0] in ("celery", "kombu", "redis", "billiard")]
print(json.dumps(loaded + [m for m in sys.modules if m == "urlcheck.distributed"]), file=sys.stderr)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
    assert json.loads(proc.stdout)[0]["ok"] is True


def test_targets_and_options_travel_as_plain_json() -> None:
    target = parse_line("https://user:pa%20ss@example.org/x status=200..299,404 contains=ok")
    assert target is not None
    options = CheckOptions(
        per_host=3,
        accept=StatusRanges("200..299,401"),
        headers=(("Authorization", "Bearer x"), ("X-A", "b")),
        max_ms=1500.0,
        method="get",
        retry_refused=True,
        unverified="warn",
    )
    for value in (target, options, to_target("not a url", source="f.txt", line=7)):
        text = json.dumps(to_json(value))
        assert from_json(type(value), json.loads(text)) == value
    result = CheckResult(url="u", line=1, ok=False, error_kind=ErrorKind.SLOW, cert_days=3.5)
    assert from_json(CheckResult, json.loads(json.dumps(result.to_dict()))) == result
    with pytest.raises(ValueError, match="unknown CheckOptions fields: brand_new"):
        from_json(CheckOptions, {**to_json(options), "brand_new": 1})
    # Every knob travels: a field the wire forgot would be the default on the workers.
    assert set(to_json(options)) == {f.name for f in dataclasses.fields(CheckOptions)}
    assert "retry_refused" not in to_json(CheckOptions()), "defaults stay off the wire"


def test_a_chunk_is_checked_by_the_core_in_order(web: Served) -> None:
    lines = [
        web.url("/ok?chunk=1"),
        web.url("/status/404?chunk=1"),
        "nonsense",
        web.url("/ok?chunk=1"),
        web.url("/redirect/2?chunk=1"),
    ]
    targets = [parse_line(text, source="list.txt", line=n) for n, text in enumerate(lines, 1)]
    out = check_chunk([to_json(t) for t in targets], to_json(CheckOptions(retries=0)))
    assert [(d["line"], d["file"], d["ok"], d["status"]) for d in out] == [
        (1, "list.txt", True, 200),
        (2, "list.txt", False, 404),
        (3, "list.txt", False, None),
        (4, "list.txt", True, 200),
        (5, "list.txt", True, 200),
    ]
    assert out[2]["error_kind"] == "invalid_url"
    assert out[4]["redirects"] == 2
    assert web.requests_to("/ok?chunk=1") == ["HEAD"]  # listed twice, requested once


@pytest.mark.parametrize(
    ("field", "value"),
    [("user_agent", "ua\r\nX-Injected: yes"), ("headers", [["X-A", "v\nX-B: w"]])],
)
def test_a_worker_refuses_options_with_a_header_that_would_inject_another(
    web: Served, field: str, value: object
) -> None:
    # The client refuses such options before sending them; a worker refuses them as well,
    # whoever sent them, before any request goes out.
    target = parse_line(web.url("/ok?refused=1"), source="list.txt", line=1)
    options = {**to_json(CheckOptions(retries=0)), field: value}
    with pytest.raises(ValueError, match=f"^{field}: "):
        check_chunk([to_json(target)], options)
    assert web.requests_to("/ok?refused=1") == []


@pytest.mark.parametrize("args", [["worker", "--broker"], ["--broker"]], ids=["worker", "client"])
def test_without_celery_installed_the_broker_path_says_what_to_install(
    args: list[str], tmp_path: Path
) -> None:
    urls = write_list(tmp_path / "urls.txt", ["http://127.0.0.1:9/"])
    argv = [*args, "redis://127.0.0.1:6379/0"] + ([] if args[0] == "worker" else [urls])
    code = (
        f"import sys; sys.modules['celery'] = None; from urlcheck.cli import main; main({argv!r})"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "pip install 'urlcheck[distributed]'" in assert_one_clean_line(proc.stderr)


def test_the_worker_does_not_read_the_clients_concurrency(tmp_path: Path) -> None:
    envvars = {param.name: param.envvar for param in worker_command.params}
    assert envvars["concurrency"] == "URLCHECK_WORKER_CONCURRENCY"  # not URLs at once
    assert envvars["name"] == "URLCHECK_WORKER_NAME"
    result = CliRunner().invoke(
        cli, ["--serve", "--broker", "redis://127.0.0.1:6379/0", str(tmp_path / "urls.txt")]
    )
    assert result.exit_code == 2
    assert "not with --serve" in result.output


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/0",
        "redis://127.0.0.1:port/0",
        "redis://127.0.0.1:6379/zero",
        "redis:///0",
        "redis://host name/0",
    ],
)
def test_a_bad_broker_url_is_one_line_and_exit_2(url: str, tmp_path: Path) -> None:
    with pytest.raises(DistributedError, match="bad broker URL"):
        check_broker_url(url)
    urls = write_list(tmp_path / "urls.txt", ["http://127.0.0.1:9/"])
    proc = urlcheck("--broker", url, urls, timeout=30)
    assert proc.returncode == 2
    assert "bad broker URL" in assert_one_clean_line(proc.stderr)
    worker = urlcheck("worker", "--broker", url, timeout=30)
    assert worker.returncode == 2
    assert "bad broker URL" in assert_one_clean_line(worker.stderr)


def test_an_unreachable_broker_fails_fast_with_the_password_masked(tmp_path: Path) -> None:
    urls = write_list(tmp_path / "urls.txt", ["http://127.0.0.1:9/"])
    broker = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    proc = urlcheck("--broker", broker, urls, timeout=60)
    assert time.monotonic() - started < 15
    assert proc.returncode == 2
    line = assert_one_clean_line(proc.stderr)
    assert "cannot reach the broker redis://:***@127.0.0.1:" in line
    assert "hunter2" not in proc.stdout + proc.stderr


# --- against a real Redis ----------------------------------------------------------------------


def test_no_worker_means_a_clear_error_not_a_hang(broker: str, tmp_path: Path) -> None:
    urls = write_list(tmp_path / "urls.txt", ["http://127.0.0.1:9/"])
    started = time.monotonic()
    proc = subprocess.run(
        [*PY, "--broker-timeout", "1.5", urls],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "URLCHECK_BROKER": broker},  # the environment works like --broker
    )
    assert time.monotonic() - started < 20
    assert proc.returncode == 2
    line = assert_one_clean_line(proc.stderr)
    assert f"no worker took a chunk from the broker {broker} within 1.5 s" in line
    assert f"urlcheck worker --broker {broker}" in line


def big_list(web: Served, tag: str) -> list[str]:
    """A few thousand lines: fine, failing, redirected, invalid, repeated, with a password."""
    lines = []
    for i in range(700):
        for path in ("/ok", "/status/404", "/redirect/2", "/status/500"):
            lines.append(web.url(f"{path}?{tag}={i}"))
    lines += ["# a comment", "not a url", "ftp://example.org/"]
    lines += [web.url(f"/ok?{tag}={i}") for i in range(0, 700, 7)]  # repeats, in later chunks
    lines.append(web.url("/auth").replace("://", f"://user:{SECRET}@"))
    lines.append(web.url("/auth").replace("://", "://user:wrong@"))
    return lines


def run_json(*args: str) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    proc = urlcheck("--format", "json", "--retries", "0", "--timeout", "10", *args)
    assert proc.returncode == 1, proc.stderr  # some URLs fail on purpose
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout), proc


@pytest.mark.parametrize("workers", [1, 2])
def test_the_cluster_gives_exactly_the_local_results(
    workers: int,
    broker: str,
    web: Served,
    tmp_path: Path,
    start_worker: Callable[..., Worker],
) -> None:
    lines = big_list(web, f"same{workers}")
    urls = write_list(tmp_path / "urls.txt", lines)
    started = [start_worker(broker, "--concurrency", "1")]
    if workers == 2:
        started.append(start_worker(broker, "--concurrency", "1", celery_cli=True))
    mark = len(web.log)
    local, _ = run_json("--per-host", "0", urls)
    local_requests, mark = len(web.log) - mark, len(web.log)
    remote, proc = run_json("--broker", broker, "--chunk-size", "300", "--per-host", "0", urls)
    remote_requests = len(web.log) - mark

    url_lines = len(lines) - 1  # the comment is no URL line
    assert len(remote) == len(local) == url_lines
    assert Counter(r["line"] for r in remote) == Counter(r["line"] for r in local)
    assert max(Counter(r["line"] for r in remote).values()) == 1
    key = {r["line"]: r for r in local}
    for result in remote:
        expected = key[result["line"]]
        assert {f: result[f] for f in COMPARED} == {f: expected[f] for f in COMPARED}
    # A URL listed twice is requested once, across chunks too: as many requests as locally.
    assert remote_requests == local_requests
    assert SECRET not in proc.stdout + proc.stderr
    for worker in started:
        log = worker.text()
        assert "check_chunk" in log  # every worker took part
        assert SECRET not in log
    if workers == 2:
        assert "DEBUG" in started[1].text()  # even Celery's debug log keeps the password out


def test_a_worker_killed_mid_chunk_loses_nothing_and_repeats_nothing(
    broker: str, web: Served, tmp_path: Path, start_worker: Callable[..., Worker]
) -> None:
    count = 15
    lines = [web.url(f"/slow?delay=1.5&killed={i}") for i in range(count)]
    urls = write_list(tmp_path / "urls.txt", lines)
    first = start_worker(broker, "--concurrency", "1", "--redelivery-timeout", "3")
    client = subprocess.Popen(
        [
            *(*PY, "--broker", broker, "--redelivery-timeout", "3", "--chunk-size", "5"),
            *("--per-host", "0", "--format", "jsonl", urls),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any("killed=" in path for _, path, _ in web.log):
            assert time.monotonic() < deadline, "the first worker never started a chunk"
            time.sleep(0.02)
        time.sleep(0.3)  # well inside the chunk: its requests take 1.5 s
        first.kill()
        start_worker(broker, "--concurrency", "2", "--redelivery-timeout", "3")
        stdout, stderr = client.communicate(timeout=60)
    finally:
        if client.poll() is None:
            client.kill()
            client.communicate()
    assert client.returncode == 0, stderr
    assert "Traceback" not in stderr
    results = [json.loads(line) for line in stdout.splitlines()]
    assert sorted(r["line"] for r in results) == list(range(1, count + 1))
    assert all(r["ok"] for r in results)
    requested = Counter(path for _, path, _ in web.log if "killed=" in path)
    assert len(requested) == count
    # The dead worker's chunk (5 URLs, all requested at once) was checked again, once.
    assert Counter(requested.values()) == {1: count - 5, 2: 5}


def test_ctrl_c_revokes_the_rest_and_prints_what_finished(
    broker: str, web: Served, tmp_path: Path, start_worker: Callable[..., Worker]
) -> None:
    count = 40
    lines = [web.url(f"/slow?delay=0.7&interrupted={i}") for i in range(count)]
    urls = write_list(tmp_path / "urls.txt", lines)
    worker = start_worker(broker, "--concurrency", "1")
    out = tmp_path / "out.jsonl"
    command = [*PY, "--broker", broker, "--chunk-size", "5", "--per-host", "0"]
    with out.open("w") as stdout:
        client = subprocess.Popen(
            [*command, "--format", "jsonl", urls],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not out.read_text():
                assert time.monotonic() < deadline, "no chunk finished"
                time.sleep(0.02)
            client.send_signal(signal.SIGINT)
            interrupted = time.monotonic()
            _, stderr = client.communicate(timeout=30)
            took = time.monotonic() - interrupted
        finally:
            if client.poll() is None:
                client.kill()
                client.communicate()
    assert client.returncode == 130
    assert took < 5
    assert "Traceback" not in stderr
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert 5 <= len(results) < count
    assert len({r["line"] for r in results}) == len(results)
    deadline = time.monotonic() + 10
    while "revoked" not in worker.text() and "Terminating" not in worker.text():
        assert time.monotonic() < deadline, worker.text()
        time.sleep(0.05)
    time.sleep(1)
    assert len({p for _, p, _ in web.log if "interrupted=" in p}) < count


def test_a_broker_lost_mid_run_is_one_line_and_exit_2(
    web: Served, tmp_path: Path, start_worker: Callable[..., Worker]
) -> None:
    lines = [web.url(f"/slow?delay=1&lost={i}") for i in range(20)]
    urls = write_list(tmp_path / "urls.txt", lines)
    with redis_server() as redis:
        broker = f"redis://127.0.0.1:{redis.port}/0"
        start_worker(broker, "--concurrency", "1")
        client = subprocess.Popen(
            [*PY, "--broker", broker, "--chunk-size", "5", "--per-host", "0", urls],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not any("lost=" in path for _, path, _ in web.log):
                assert time.monotonic() < deadline, "no chunk started"
                time.sleep(0.02)
            redis.proc.kill()
            gone = time.monotonic()
            _, stderr = client.communicate(timeout=60)
        finally:
            if client.poll() is None:
                client.kill()
                client.communicate()
    assert time.monotonic() - gone < 15
    assert client.returncode == 2
    assert f"lost the broker {broker}" in assert_one_clean_line(stderr)
