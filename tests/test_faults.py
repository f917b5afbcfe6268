"""Faults from the network and from servers: each URL gets one honest result, in time.

For every fault: the run completes, the faulty URL has exactly one result with the right
`error_kind` and a clear one-line message, its neighbours in the same run are fine, the time
stays within timeout x attempts + backoff, and nothing prints a traceback. The servers are in
`tests/faults.py`; the important cases also go through the real command in a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from urlcheck import CheckOptions, CheckResult, ErrorKind, check_urls
from urlcheck.cli import cli
from urlcheck.http import config

from .faults import (
    FaultServer,
    TlsFaults,
    fault_app,
    request_times,
    run_urlcheck,
    slow_trust_store,
    tls_faults,
    urlcheck_env,
)
from .servers import Served, serve_app

OPTIONS = CheckOptions(timeout=1.0, retries=1, backoff=0.05, retry_wait_max=0.5)
SLACK_S = 1.5
"""Room for a noisy machine on top of every time budget."""
MAX_MESSAGE = 300
UNKNOWN_HOST = "http://no-such-host.invalid/"


def budget_s(options: CheckOptions) -> float:
    """The longest a check may take: every attempt runs out its timeout, every wait is capped."""
    attempts = options.retries + 1
    return options.timeout * attempts + options.retry_wait_max * options.retries + SLACK_S


async def collect(
    urls: list[str], options: CheckOptions = OPTIONS, session: aiohttp.ClientSession | None = None
) -> dict[str, CheckResult]:
    """Check `urls` in one run; fail unless every URL got exactly one result."""
    async with contextlib.aclosing(check_urls(urls, options, session=session)) as results:
        got = [result async for result in results]
    assert sorted(r.url for r in got) == sorted(urls), "every URL gets exactly one result"
    return {r.url: r for r in got}


def assert_clear(result: CheckResult, kind: ErrorKind, fragment: str) -> None:
    """The result failed as `kind` with a one-line message that says `fragment`."""
    assert not result.ok
    assert result.error_kind == kind, result.error
    assert result.error is not None
    assert fragment in result.error, result.error
    assert "\n" not in result.error
    assert len(result.error) <= MAX_MESSAGE, result.error


@dataclass(frozen=True)
class Fault:
    """One misbehaving URL and the result it must get."""

    name: str
    server: str
    """``raw`` (the socket server) or ``app`` (the aiohttp app)."""
    path: str
    kind: ErrorKind | None
    fragment: str = ""
    attempts: int = 1
    method: str = "HEAD"
    waits_for_timeout: bool = False
    """Only the clock can end it: it must take the whole budget, and no longer."""


FAULTS = [
    # attempts: the requests sent, with OPTIONS' one retry: a HEAD that fails as protocol or
    # disconnected is followed by a GET (the documented fallback), then the pair is retried
    # after a timeout or a dropped connection.
    Fault("never-answers", "raw", "/hang", ErrorKind.TIMEOUT, "within 1 s", 2, "HEAD", True),
    Fault(
        "closes-without-reply",
        "raw",
        "/close",
        ErrorKind.DISCONNECTED,
        "closed the connection",
        attempts=4,
        method="GET",
    ),
    Fault("reset", "raw", "/reset", ErrorKind.DISCONNECTED, "reset", 4, "GET"),
    Fault("not-http", "raw", "/not-http", ErrorKind.PROTOCOL, "invalid HTTP response", 2, "GET"),
    Fault("huge-header", "raw", "/huge-header", ErrorKind.PROTOCOL, "102,400 bytes", 2, "GET"),
    Fault("many-headers", "raw", "/many-headers", ErrorKind.PROTOCOL, "head is over", 2, "GET"),
    Fault("dribbled-headers", "raw", "/dribble", ErrorKind.TIMEOUT, "within 1 s", 2, "HEAD", True),
    Fault("endless-body", "raw", "/endless", None, attempts=2, method="GET"),
    Fault("claims-10-GB", "raw", "/10gb", None, attempts=2, method="GET"),
    Fault("http-1.0-no-length", "raw", "/http10", None),
    Fault("http-1.0-endless", "raw", "/http10-endless", None, attempts=2, method="GET"),
    Fault("head-refused-get-fine", "app", "/head-refused", None, attempts=2, method="GET"),
    Fault("redirect-loop", "app", "/loop", ErrorKind.TOO_MANY_REDIRECTS, "more than 10 redirects"),
    Fault("redirect-cycle", "app", "/ping", ErrorKind.TOO_MANY_REDIRECTS, "more than 10"),
    Fault(
        "redirect-to-ftp",
        "app",
        "/to/ftp",
        ErrorKind.INVALID_URL,
        "not http(s): ftp://files.example.invalid/pub/file.txt",
    ),
    Fault("redirect-to-mailto", "app", "/to/mailto", ErrorKind.INVALID_URL, "not http(s): mailto:"),
    Fault(
        "redirect-unparsable",
        "app",
        "/to/unparsable",
        ErrorKind.PROTOCOL,
        "redirected to an invalid URL: http://[::1",
        attempts=2,
        method="GET",
    ),
    Fault(
        "redirect-bad-port",
        "app",
        "/to/bad-port",
        ErrorKind.PROTOCOL,
        "redirected to an invalid URL",
        attempts=2,
        method="GET",
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_a_fault_gets_one_clear_result_and_spares_its_neighbours(
    fault: Fault, faults: FaultServer, app: Served, capfd: pytest.CaptureFixture[str]
) -> None:
    url = (faults.url if fault.server == "raw" else app.url)(fault.path)
    neighbours = [faults.url("/ok"), app.url("/ok")]
    started = time.perf_counter()
    results = await collect([neighbours[0], url, neighbours[1]])
    took = time.perf_counter() - started

    result = results[url]
    if fault.kind is None:
        assert result.ok, result.error
        assert (result.status, result.error_kind, result.error) == (200, None, None)
    else:
        assert_clear(result, fault.kind, fault.fragment)
    assert (result.attempts, result.method) == (fault.attempts, fault.method)
    assert all(results[n].ok for n in neighbours)
    assert took < budget_s(OPTIONS)
    if fault.waits_for_timeout:
        assert result.elapsed_ms >= OPTIONS.timeout * 1000 * fault.attempts * 0.95
    else:
        assert result.elapsed_ms < OPTIONS.timeout * 1000, "it must not need the clock"
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


RAW_FAULTS = [f for f in FAULTS if f.server == "raw"]


@pytest.mark.parametrize("fault", RAW_FAULTS, ids=[f.name for f in RAW_FAULTS])
async def test_each_request_is_one_connection_and_attempts_counts_them(
    fault: Fault, faults: FaultServer
) -> None:
    url = faults.url(fault.path)
    result = (await collect([url], dataclasses.replace(OPTIONS, retries=0)))[url]
    # Without retries: HEAD, and the GET the fallback sends after it; nothing more.
    methods = ["HEAD", "GET"] if fault.method == "GET" else ["HEAD"]
    assert result.attempts == len(methods)
    assert faults.record.methods(fault.path) == methods
    assert faults.record.accepted == len(methods), "one connection per request"


async def test_a_refused_connection_is_reported_at_once(
    refused_url: str, app: Served, capfd: pytest.CaptureFixture[str]
) -> None:
    # Nothing listens there: an answer, as for curl's --retry, not a failure to retry.
    options = dataclasses.replace(OPTIONS, retries=2, backoff=5.0, retry_wait_max=5.0)
    started = time.perf_counter()
    results = await collect([refused_url, app.url("/ok")], options)
    result = results[refused_url]
    assert_clear(result, ErrorKind.REFUSED, "connection refused by 127.0.0.1:")
    assert result.attempts == 1
    assert results[app.url("/ok")].ok
    assert time.perf_counter() - started < 4.0, "no backoff waited"
    assert "Traceback" not in capfd.readouterr().err


async def test_retry_refused_retries_a_refusal_until_the_service_is_up() -> None:
    # A port bound but not listening refuses connections; it starts listening (a service
    # coming back) after the first refusal, and the retry finds it.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    accepted: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def come_up() -> asyncio.Server:
        await asyncio.sleep(0.3)
        return await asyncio.start_server(answer, sock=sock)

    options = dataclasses.replace(OPTIONS, retries=3, backoff=0.5, retry_refused=True)
    up = asyncio.create_task(come_up())
    try:
        result = (await collect([url], options))[url]
    finally:
        (await up).close()
    assert (result.ok, result.status, result.error_kind) == (True, 200, None)
    assert result.attempts >= 2, "the first attempt was refused"
    assert len(accepted) == 1
    assert accepted[0].startswith(b"HEAD / HTTP/1.1")


async def test_retry_refused_still_reports_a_port_that_stays_closed(refused_url: str) -> None:
    options = dataclasses.replace(OPTIONS, retry_refused=True)
    result = (await collect([refused_url], options))[refused_url]
    assert_clear(result, ErrorKind.REFUSED, "connection refused by 127.0.0.1:")
    assert result.attempts == OPTIONS.retries + 1


async def test_an_unknown_host_is_dns_and_not_retried(app: Served) -> None:
    results = await collect([UNKNOWN_HOST, app.url("/ok")])
    assert_clear(results[UNKNOWN_HOST], ErrorKind.DNS, "cannot resolve host 'no-such-host.invalid'")
    assert results[UNKNOWN_HOST].attempts == 1
    assert results[app.url("/ok")].ok


@pytest.mark.parametrize("path", ["/endless", "/10gb", "/http10-endless"])
async def test_an_endless_or_huge_body_is_never_downloaded(path: str, faults: FaultServer) -> None:
    # A long timeout: if the check finishes quickly, it finished on the headers, not the clock.
    options = CheckOptions(timeout=10, retries=0)
    started = time.perf_counter()
    results = await collect([faults.url(path)], options)
    took = time.perf_counter() - started
    result = results[faults.url(path)]
    assert (result.ok, result.status, result.method) == (True, 200, "GET")
    assert took < 2
    assert faults.record.methods(path) == ["HEAD", "GET"]
    time.sleep(0.3)  # the server writes until the client's close reaches it
    sent = faults.record.sent[path]
    time.sleep(0.3)
    assert faults.record.sent[path] == sent, "the connection was closed, not left to fill up"
    assert sent < 16 * 1024**2, f"{sent:,} bytes were sent for a check that needs the headers"


async def test_http_1_0_without_content_length_by_get(faults: FaultServer) -> None:
    results = await collect([faults.url("/http10")], CheckOptions(timeout=5, method="get"))
    result = results[faults.url("/http10")]
    assert (result.ok, result.status, result.method) == (True, 200, "GET")
    assert result.elapsed_ms < 2000


# Retry-After: the wait is measured on the server, between the requests it saw.


def gaps(app: Served, path: str) -> list[float]:
    times = request_times(app, path)
    return [later - earlier for earlier, later in itertools.pairwise(times)]


RETRY_GET = CheckOptions(timeout=2, retries=1, backoff=0.01, retry_wait_max=5, method="get")


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        ("code=429&after=1", 0.95, 2.0),  # delta-seconds
        ("code=503&date=2", 0.8, 2.5),  # an HTTP-date ~2 s ahead (whole seconds: 1-2 s)
        ("code=429&date=-60", 0.0, 0.5),  # a date in the past: retry at once
        ("code=503&after=soon", 0.0, 0.5),  # garbage: the backoff (10 ms) applies
    ],
)
async def test_retry_after_is_honoured(app: Served, query: str, low: float, high: float) -> None:
    url = app.url(f"/retry/k?{query}")
    result = (await collect([url], RETRY_GET))[url]
    assert (result.ok, result.attempts) == (True, 2)
    (gap,) = gaps(app, "/retry/k")
    assert low <= gap < high
    assert result.elapsed_ms >= low * 1000


@pytest.mark.parametrize("query", ["code=429&after=3600", "code=503&date=86400"])
async def test_retry_after_is_capped(app: Served, query: str) -> None:
    options = CheckOptions(timeout=2, retries=1, backoff=0.01, retry_wait_max=0.5, method="get")
    url = app.url(f"/retry/c?{query}")
    started = time.perf_counter()
    result = (await collect([url], options))[url]
    assert result.ok
    (gap,) = gaps(app, "/retry/c")
    assert 0.45 <= gap < 1.5
    assert time.perf_counter() - started < 2


async def test_retry_after_when_retries_run_out_reports_the_status(app: Served) -> None:
    options = CheckOptions(timeout=2, retries=2, backoff=0.01, retry_wait_max=0.3, method="get")
    url = app.url("/retry/out?code=429&after=60&fail=99")
    started = time.perf_counter()
    result = (await collect([url], options))[url]
    took = time.perf_counter() - started
    assert (result.status, result.attempts) == (429, 3)
    assert_clear(result, ErrorKind.RATE_LIMITED, "still 429 Too Many Requests")
    assert 0.55 <= took < 0.6 + SLACK_S  # two waits, each capped at 0.3 s


async def test_retry_after_with_head_then_get(app: Served) -> None:
    """HEAD gets 429, GET too: the wait is the GET's Retry-After, then HEAD succeeds."""
    options = CheckOptions(timeout=2, retries=1, backoff=0.01, retry_wait_max=5)
    url = app.url("/retry/h?code=429&after=1&fail=2")
    result = (await collect([url], options))[url]
    assert (result.ok, result.attempts, result.method) == (True, 3, "HEAD")
    assert app.requests_to("/retry/h?code=429&after=1&fail=2") == ["HEAD", "GET", "HEAD"]
    assert gaps(app, "/retry/h")[1] >= 0.95


# TLS: certificates made on the spot with trustme (and cryptography for the self-signed one).


@pytest.fixture(scope="module")
def tls() -> TlsFaults:
    return tls_faults()


@pytest.fixture
def tls_servers(tls: TlsFaults) -> Iterator[dict[str, Served]]:
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_app(fault_app(), ssl_context=getattr(tls, name)))
            for name in ("valid", "expired", "mismatch", "self_signed")
        }


async def test_a_self_signed_certificate_is_tls(tls_servers: dict[str, Served]) -> None:
    url = tls_servers["self_signed"].url("/ok")
    result = (await collect([url]))[url]
    assert_clear(result, ErrorKind.TLS, "self-signed certificate")
    assert result.attempts == 1


async def test_expired_and_mismatched_certificates_are_tls_when_the_ca_is_trusted(
    tls: TlsFaults, tls_servers: dict[str, Served]
) -> None:
    urls = {name: served.url("/ok") for name, served in tls_servers.items()}
    connector = aiohttp.TCPConnector(ssl=tls.client_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        results = await collect(list(urls.values()), session=session)
    assert results[urls["valid"]].ok, "the CA is trusted: only the faults fail"
    assert_clear(results[urls["expired"]], ErrorKind.TLS, "certificate has expired")
    assert_clear(results[urls["mismatch"]], ErrorKind.TLS, "mismatch")
    assert_clear(results[urls["self_signed"]], ErrorKind.TLS, "self-signed")


def test_tls_faults_through_the_command(
    tls: TlsFaults, tls_servers: dict[str, Served], tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    tls.ca.cert_pem.write_to_path(str(ca_file))
    urls = {name: served.url("/ok") for name, served in tls_servers.items()}
    listing = tmp_path / "tls.txt"
    listing.write_text("\n".join(urls.values()) + "\n")
    env = urlcheck_env(SSL_CERT_FILE=str(ca_file))
    proc = run_urlcheck(
        "--timeout", "2", "--retries", "0", "--format", "jsonl", str(listing), env=env
    )
    assert (proc.returncode, proc.stderr) == (1, "")
    kinds = {r["url"]: r["error_kind"] for r in map(json.loads, proc.stdout.splitlines())}
    assert kinds == {
        urls["valid"]: None,
        urls["expired"]: "tls",
        urls["mismatch"]: "tls",
        urls["self_signed"]: "tls",
    }
    insecure = run_urlcheck("--insecure", "--timeout", "2", "--retries", "0", str(listing), env=env)
    assert insecure.returncode == 0, insecure.stdout + insecure.stderr


async def test_loading_the_trust_store_is_not_the_servers_time(
    tls: TlsFaults, tls_servers: dict[str, Served], tmp_path: Path
) -> None:
    """The trust store loads before the first https request's clock starts: one as big as
    a thousand copies of the CA takes hundreds of ms to load, and the check still takes
    only the server's few."""
    bundle = tmp_path / "big-ca.pem"
    load_ms = slow_trust_store(tls.ca, bundle)
    url = tls_servers["valid"].url("/ok")
    options = dataclasses.replace(OPTIONS, ca_bundle=str(bundle))
    result = (await collect([url], options))[url]
    assert result.ok, result.error
    assert result.elapsed_ms < load_ms / 2, (result.elapsed_ms, load_ms)


@pytest.mark.parametrize("secure", [True, False])
def test_a_list_with_https_loads_the_trust_store_ahead_and_once(
    secure: bool,
    tls: TlsFaults,
    tls_servers: dict[str, Served],
    app: Served,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command's first pass sees an https URL and starts loading the trust store in a
    thread of its own at once; the first https request takes that one. A list without https
    loads none."""
    ca_file = tmp_path / "ca.pem"
    tls.ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    loads: list[str] = []
    load = config._load_ssl_context

    def noted(options: CheckOptions) -> ssl.SSLContext:
        loads.append(threading.current_thread().name)
        return load(options)

    monkeypatch.setattr(config, "_load_ssl_context", noted)
    urls = [app.url("/ok"), *([tls_servers["valid"].url("/ok")] if secure else [])]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    result = CliRunner().invoke(cli, ["--retries", "0", "--format", "jsonl", str(listing)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["ok"] for line in result.output.splitlines()] == [True] * len(urls)
    assert loads == (["urlcheck-trust-store"] if secure else [])
    assert not config._loading  # taken by the run, nothing left for the next one


def test_a_trust_store_loaded_ahead_and_not_taken_is_not_the_next_runs(
    tls_servers: dict[str, Served], app: Served, tmp_path: Path
) -> None:
    """The first pass sees an https URL that --exclude then leaves out: the load started
    ahead is dropped when the run ends, not kept for a later run in the same process."""
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{app.url('/ok')}\n{tls_servers['valid'].url('/ok')}\n")
    argv = ["--retries", "0", "--format", "jsonl", "--exclude", "^https:", str(listing)]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["url"] for line in result.output.splitlines()] == [app.url("/ok")]
    assert not config._loading


def test_no_thread_for_the_trust_store_leaves_the_first_request_to_load_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where no thread can be started (``ulimit -u``), loading ahead is given up, silently:
    nothing is left to wait for, and the first request loads the trust store itself."""

    class NoThread(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(config.threading, "Thread", NoThread)
    config.load_ssl_context_soon(OPTIONS)
    assert not config._loading
    assert isinstance(config.ssl_context(OPTIONS), ssl.SSLContext)


# Every fault at once, through the real command.


def test_every_fault_in_one_run_of_the_command(
    faults: FaultServer, app: Served, refused_url: str, tmp_path: Path
) -> None:
    expected: dict[str, str | None] = {
        faults.url(f.path) if f.server == "raw" else app.url(f.path): (
            None if f.kind is None else str(f.kind)
        )
        for f in FAULTS
    }
    expected |= {
        refused_url: "refused",
        UNKNOWN_HOST: "dns",
        faults.url("/ok"): None,
        app.url("/ok"): None,
        "javascript:alert(1)": "invalid_url",
    }
    listing = tmp_path / "faults.txt"
    listing.write_text("# every fault at once\n" + "\n".join(expected) + "\n")
    started = time.perf_counter()
    proc = run_urlcheck("--timeout", "1", "--retries", "1", "--format", "jsonl", str(listing))
    took = time.perf_counter() - started
    assert proc.returncode == 1
    assert proc.stderr == ""  # no traceback, no warning, no noise
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(r["line"] for r in records) == list(range(2, len(expected) + 2))
    assert {r["url"]: r["error_kind"] for r in records} == expected
    assert all(r["error"] is None or "\n" not in r["error"] for r in records)
    # Two attempts of 1 s and one default backoff (0.5 s + jitter) at most, all in parallel.
    worst_s = 1 * 2 + 0.55
    assert max(r["elapsed_ms"] for r in records) < (worst_s + SLACK_S) * 1000
    assert took < worst_s + SLACK_S + 2  # and the start-up of a Python process
