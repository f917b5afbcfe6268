"""The lean client (`urlcheck.http.lean`): faster, and the same verdicts as aiohttp's.

Every check without a proxy goes through it, so the rest of the suite exercises it too; these
tests pin what is its own: the same results and request headers as aiohttp for every demo
route and fault (the kind of failure exactly, and what its message says went wrong), one
connection per request, keep-alive within the per-host limit, connections a server closed,
interim answers, bodies never read, deadlines, and that aiohttp is not even imported without
a proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from urlcheck import CheckOptions, CheckResult, check_urls
from urlcheck.http.aio import create_session
from urlcheck.http.config import request_headers, ssl_context
from urlcheck.http.failures import Failed
from urlcheck.http.lean import LeanPool
from urlcheck.http.resolver import AddrInfo, Resolver
from urlcheck.http.sockets import IDLE_PER_CHECK, SPARE_FILES, files_wanted, idle_cap

from .faults import FAULTS, FaultServer, urlcheck_env
from .servers import Served, serve_raw

OPTIONS = CheckOptions(timeout=0.6, retries=1, backoff=0.01, retry_wait_max=0.1)
COMPARED = ("ok", "status", "reason", "final_url", "redirects", "method", "attempts")
COMPARED += ("error_kind",)
MAX_MESSAGE = 300


async def run(
    urls: list[str], options: CheckOptions, *, aiohttp_only: bool = False
) -> dict[str, CheckResult]:
    session = create_session(options) if aiohttp_only else None
    try:
        async with contextlib.aclosing(check_urls(urls, options, session=session)) as results:
            return {result.url: result async for result in results}
    finally:
        if session is not None:
            await session.close()


def gist(message: str | None) -> str | None:
    """What a message says went wrong, without the details each client words its own way
    (llhttp's own complaint, say, which aiohttp quotes differently)."""
    return None if message is None else message.split(":", 1)[0]


def verdict(result: CheckResult) -> dict[str, object]:
    if result.error is not None:
        assert "\n" not in result.error
        assert len(result.error) <= MAX_MESSAGE, result.error
    return {**{name: getattr(result, name) for name in COMPARED}, "error": gist(result.error)}


DEMO_PATHS = [
    "/ok",
    "/ok#a-fragment",
    "/ok?q=a%20b&u=%C3%BC",
    "/status/404",
    "/status/204",
    "/status/503",
    "/status/599",
    "/head405",
    "/redirect/2",
    "/redirect/10",
    "/redirect/11",
    "/loop",
    "/auth",
    "/slow?delay=2",
    "/no-such-route",
]


@pytest.mark.parametrize("max_redirects", [10, 0])
async def test_the_same_verdicts_as_aiohttp_on_every_demo_route(
    server: Served, max_redirects: int
) -> None:
    options = dataclasses.replace(OPTIONS, max_redirects=max_redirects)
    urls = [server.url(path) for path in DEMO_PATHS]
    lean, plain = await asyncio.gather(run(urls, options), run(urls, options, aiohttp_only=True))
    assert {url: verdict(r) for url, r in lean.items()} == {
        url: verdict(r) for url, r in plain.items()
    }
    assert lean[server.url("/auth")].reason == "Who Are You"  # the server's own phrase


FAULT_APP_PATHS = [
    "/ok",
    "/head-refused",
    "/loop",
    "/ping",
    *(f"/to/{where}" for where in ("ftp", "mailto", "javascript", "unparsable", "bad-port")),
    "/to/nothing",
    "/any/%7Euser/a%2Fb?x=%41",
]


async def test_the_same_verdicts_as_aiohttp_on_every_redirect_fault(app: Served) -> None:
    urls = [app.url(path) for path in FAULT_APP_PATHS]
    for max_redirects in (1, 2, 10):
        options = dataclasses.replace(OPTIONS, max_redirects=max_redirects)
        lean = await run(urls, options)
        plain = await run(urls, options, aiohttp_only=True)
        assert {url: verdict(r) for url, r in lean.items()} == {
            url: verdict(r) for url, r in plain.items()
        }


async def test_a_redirect_chain_is_requested_once(server: Served) -> None:
    (result,) = (await run([server.url("/redirect/3")], OPTIONS)).values()
    assert (result.ok, result.redirects) == (True, 3)
    assert [path for _, path, _ in server.log] == [f"/redirect/{n}" for n in (3, 2, 1, 0)]


async def test_the_same_verdicts_as_aiohttp_on_every_fault(faults: FaultServer) -> None:
    urls = [faults.url(path) for path in FAULTS if path != "/dribble"]  # dribble: 1 byte/50 ms
    # One client after the other: run together, on two cores beside a fault server that
    # streams endless bodies, their 0.6 s timeouts fell differently now and then.
    lean = await run(urls, OPTIONS)
    plain = await run(urls, OPTIONS, aiohttp_only=True)
    assert {url: verdict(r) for url, r in lean.items()} == {
        url: verdict(r) for url, r in plain.items()
    }
    assert lean[faults.url("/ok")].ok
    assert not lean[faults.url("/not-http")].ok


async def test_the_same_request_headers_as_aiohttp(server: Served) -> None:
    options = dataclasses.replace(OPTIONS, headers=(("X-Token", "t"),), user_agent="probe/1")
    await run([server.url("/ok")], options)
    await run([server.url("/ok")], options, aiohttp_only=True)
    (lean_method, _, lean_headers), (plain_method, _, plain_headers) = server.log
    assert lean_method == plain_method == "HEAD"
    assert lean_headers == plain_headers
    assert lean_headers["User-Agent"] == "probe/1"
    assert lean_headers["X-Token"] == "t"


@dataclass
class KeepAlive:
    """What the keep-alive server saw: connections opened, closed, and requests per path."""

    opened: int = 0
    closed: int = 0
    requests: list[str] = field(default_factory=list)


@contextlib.contextmanager
def keep_alive_server() -> Iterator[tuple[Served, KeepAlive]]:
    """HTTP/1.1 with keep-alive on a raw socket; each path misbehaves in its own way:
    /ok answers, /close-after answers and hangs up at once (without saying so), /big sends
    a megabyte slowly, /interim sends 100 Continue first, /hang never answers."""
    seen = KeepAlive()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.opened += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                method, path, _ = head.decode("latin-1").split(" ", 2)
                seen.requests.append(path)
                body = b"" if method == "HEAD" else b"ok"
                if path == "/hang":
                    await asyncio.sleep(3600)
                if path == "/interim":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                if path == "/big":
                    size = 1 << 20
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                    if method == "GET":
                        for _ in range(size // 65536):
                            writer.write(b"x" * 65536)
                            await writer.drain()
                            await asyncio.sleep(0.01)
                    continue
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                if path == "/close-after":
                    return
        finally:
            seen.closed += 1

    with serve_raw(handle) as served:
        yield served, seen


def pool(per_host: int = 2, max_idle: int = 8) -> LeanPool:
    return LeanPool(
        request_headers(OPTIONS),
        per_host=per_host,
        max_idle=max_idle,
        tls=lambda: ssl_context(OPTIONS),
    )


async def ask(lean: LeanPool, url: str, method: str = "HEAD") -> int | str:
    """The status of one request by the pool alone, or the kind of its failure."""
    from yarl import URL

    host = await lean.acquire(URL(url))
    try:
        response = await lean.request(host, URL(url), method)
    except Failed as failed:
        return str(failed.kind)
    finally:
        lean.release(host)
    return response.status


async def test_keep_alive_stays_within_the_per_host_limit() -> None:
    with keep_alive_server() as (served, seen):
        options = dataclasses.replace(OPTIONS, per_host=2, concurrency=16)
        results = await run([served.url(f"/ok?n={n}") for n in range(200)], options)
    assert all(result.ok for result in results.values())
    assert len(seen.requests) == 200  # no request went twice, so none was handed over
    assert seen.opened <= 2


async def test_a_connection_the_server_closed_is_not_a_failure() -> None:
    with keep_alive_server() as (served, seen):
        lean = pool()
        try:
            statuses = [await ask(lean, served.url("/close-after")) for _ in range(20)]
            await asyncio.sleep(0.05)
            statuses.append(await ask(lean, served.url("/close-after")))
        finally:
            lean.close()
    assert statuses == [200] * 21
    assert lean.connections == 21  # one each, and none wasted on the closed ones
    assert seen.opened == 21


async def test_a_body_is_never_read_and_its_connection_not_reused() -> None:
    with keep_alive_server() as (served, seen):
        lean = pool()
        try:
            started = asyncio.get_running_loop().time()
            assert await ask(lean, served.url("/big"), "GET") == 200
            took = asyncio.get_running_loop().time() - started
            assert await ask(lean, served.url("/ok")) == 200
        finally:
            lean.close()
    assert took < 0.1  # the whole megabyte takes the server 0.16 s to send
    assert seen.opened == 2


async def test_an_interim_answer_is_skipped_for_the_final_one() -> None:
    with keep_alive_server() as (served, seen):
        lean = pool()
        try:
            assert await ask(lean, served.url("/interim")) == 200
            assert await ask(lean, served.url("/ok")) == 200  # the same connection, after it
        finally:
            lean.close()
        (result,) = (await run([served.url("/interim")], OPTIONS)).values()
    assert (result.ok, result.status, result.attempts) == (True, 200, 1)
    assert lean.connections == 1
    assert seen.opened == 2  # the pool's, then the run's


async def test_a_deadline_closes_the_connection_under_way() -> None:
    with keep_alive_server() as (served, seen):
        lean = pool()
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await ask(lean, served.url("/hang"))
            assert await ask(lean, served.url("/ok")) == 200
        finally:
            lean.close()
        await asyncio.sleep(0.05)
    assert seen.opened == 2  # the answer to /hang could never be read as /ok's


async def test_idle_connections_are_capped_least_recently_used_first() -> None:
    with (
        keep_alive_server() as (first, first_seen),
        keep_alive_server() as (second, second_seen),
        keep_alive_server() as (third, third_seen),
    ):
        lean = pool(max_idle=2)
        try:
            for served in (first, second, third):
                assert await ask(lean, served.url("/ok")) == 200
            await asyncio.sleep(0.1)
            closed = (first_seen.closed, second_seen.closed, third_seen.closed)
            assert await ask(lean, second.url("/ok")) == 200
        finally:
            lean.close()
    assert closed == (1, 0, 0)
    assert second_seen.opened == 1  # still idle, so used again


async def test_a_run_over_more_hosts_than_its_concurrency_keeps_each_hosts_connection() -> None:
    """Six hosts taking turns, two checks at once: each host's connection waits idle for
    its next check (an idle cap of --concurrency would close the oldest, then reopen it)."""
    with contextlib.ExitStack() as stack:
        hosts = [stack.enter_context(keep_alive_server()) for _ in range(6)]
        urls = [served.url(f"/ok?n={n}") for n in range(20) for served, _ in hosts]
        options = dataclasses.replace(OPTIONS, per_host=1, concurrency=2)
        results = await run(urls, options)
        opened = [seen.opened for _, seen in hosts]
    assert len(results) == 120
    assert all(result.ok for result in results.values())
    assert opened == [1] * 6


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX open-file limits")
def test_idle_connections_stay_within_the_open_file_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        assert idle_cap(128) == 128 * IDLE_PER_CHECK or soft < files_wanted(128)
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, hard))
        assert idle_cap(128) == 200 - 128 - SPARE_FILES  # what is left beside the checks
        resource.setrlimit(resource.RLIMIT_NOFILE, (150, hard))
        assert idle_cap(128) == 1
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_plain_run_does_not_import_aiohttp(
    server: Served, tmp_path: Path, refused_url: str
) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(server.url("/ok") + "\n" + server.url("/status/404") + "\n")
    command = [sys.executable, "-X", "importtime", "-m", "urlcheck", str(listing)]
    plain = subprocess.run(command, capture_output=True, text=True, env=urlcheck_env())
    assert plain.returncode == 1, plain.stderr[-2000:]
    assert "httptools" in plain.stderr
    assert " aiohttp" not in plain.stderr

    listing.write_text(server.url("/auth").replace("://", "://user:s3cret@") + "\n")
    signed_in = subprocess.run(command, capture_output=True, text=True, env=urlcheck_env())
    assert signed_in.returncode == 0, signed_in.stderr[-2000:]
    assert " aiohttp" not in signed_in.stderr  # credentials too: the lean client sends them

    # A proxy is what needs aiohttp; it is imported before the first check goes out.
    proxied = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=urlcheck_env(HTTP_PROXY=refused_url, NO_PROXY=""),
    )
    assert proxied.returncode == 1, proxied.stderr[-2000:]
    assert " aiohttp" in proxied.stderr


async def test_private_headers_never_follow_a_redirect_to_another_origin(server: Served) -> None:
    from aiohttp import web

    from .servers import serve_app

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(server.url("/ok"))  # 127.0.0.1:<other port>: another origin

    app = web.Application()
    app.router.add_route("*", "/away", away)
    options = dataclasses.replace(OPTIONS, headers=(("Authorization", "Bearer s3cret"),))
    with serve_app(app) as origin:
        lean = await run([origin.url("/away")], options)
        plain = await run([origin.url("/away")], options, aiohttp_only=True)
    assert verdict(next(iter(lean.values()))) == verdict(next(iter(plain.values())))
    assert [headers.get("Authorization") for _, _, headers in server.log] == [None, None]


async def test_a_location_with_trailing_blanks_is_read_as_aiohttp_reads_it() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            path = head.split(b" ", 2)[1]
            if path == b"/from":
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: /to \t\r\nContent-Length: 0\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()

    with serve_raw(handle) as served:
        lean = await run([served.url("/from")], OPTIONS)
        plain = await run([served.url("/from")], OPTIONS, aiohttp_only=True)
    (result,) = lean.values()
    assert verdict(result) == verdict(next(iter(plain.values())))
    assert result.final_url == served.url("/to")


async def test_hosts_pushed_out_of_the_idle_cap_are_forgotten() -> None:
    with keep_alive_server() as (served, _), keep_alive_server() as (other, _):
        lean = pool(max_idle=1)
        try:
            for _round in range(3):
                for each in (served, other):
                    assert await ask(lean, each.url("/ok")) == 200
            assert len(lean._hosts) == 1  # the evicted host left no entry behind
            assert len(lean._idle) == 1
        finally:
            lean.close()


class NamedResolver(Resolver):
    """The names a test gives, looked up in a table instead of DNS (which this machine has
    none of); everything after the look-up (connect, TLS, SNI, verification) is real."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names

    async def _look_up(self, host: str, port: int) -> list[AddrInfo]:
        import socket

        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (self.names[host], port))]


class AddressesResolver(Resolver):
    """A name with the addresses a test gives, in its order."""

    def __init__(self, addresses: list[tuple[str, int]]) -> None:
        super().__init__()
        self.addresses = addresses

    async def _look_up(self, host: str, port: int) -> list[AddrInfo]:
        import socket

        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", each) for each in self.addresses]


async def test_one_address_is_connected_at_once_and_several_are_raced(
    refused_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name of one IPv4 address is connected in one call; a name of several goes through
    Happy Eyeballs, so an address that refuses is passed over for the next, as aiohttp does."""
    import aiohappyeyeballs
    from yarl import URL

    raced: list[int] = []
    race = aiohappyeyeballs.start_connection

    async def counted(infos: list[AddrInfo], **kwargs: object) -> object:
        raced.append(len(infos))
        return await race(infos, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", counted)
    refused = ("127.0.0.1", URL(refused_url).port or 0)
    with keep_alive_server() as (served, seen):
        listening = ("127.0.0.1", served.port)
        url = URL(f"http://several.test:{served.port}/ok")
        outcomes = []
        for addresses in ([listening], [refused, listening], [refused]):
            lean = LeanPool(
                request_headers(OPTIONS),
                per_host=1,
                max_idle=1,
                tls=lambda: ssl_context(OPTIONS),
                resolver=AddressesResolver(addresses),
            )
            try:
                outcomes.append(await ask(lean, str(url)))
            finally:
                lean.close()
    assert outcomes == [200, 200, "refused"]
    assert seen.opened == 2
    assert raced == [2]  # only the name of two addresses was raced


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX open-file limits")
async def test_out_of_open_files_idle_connections_are_closed_and_the_connect_tried_again() -> None:
    """Another pool in the process (aiohttp's, a server's) may take the files the idle cap
    counted on: a connect that finds none left closes idle connections and tries again,
    and the check is not failed for a file the process could have had."""
    import os
    import resource

    with contextlib.ExitStack() as stack:
        hosts = [stack.enter_context(keep_alive_server()) for _ in range(5)]
        lean = pool(per_host=1, max_idle=8)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            for served, _ in hosts[:4]:
                assert await ask(lean, served.url("/ok")) == 200  # four idle now
            # Every number below the limit taken: only files closed here can be had again.
            fillers = [os.open(os.devnull, os.O_RDONLY)]
            highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
            while fillers[-1] < highest:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
            resource.setrlimit(resource.RLIMIT_NOFILE, (fillers[-1] + 1, hard))
            try:
                status = await ask(lean, hosts[4][0].url("/ok"))
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
                for fd in fillers:
                    os.close(fd)
            idle_after = len(lean._idle)
        finally:
            lean.close()
    assert status == 200
    assert idle_after < 4 + 1  # some were closed to make room
    assert lean.connections == 5


async def test_a_host_name_with_a_trailing_dot_is_verified_without_it() -> None:
    import ssl

    import trustme
    from aiohttp import web
    from yarl import URL

    from .servers import serve_app

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("service.test").configure_cert(server_context)
    names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,func-returns-value]

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/ok", ok)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with serve_app(app, ssl_context=server_context) as served:
        lean = LeanPool(
            request_headers(OPTIONS),
            per_host=2,
            max_idle=2,
            tls=lambda: client_context,
            resolver=NamedResolver({"service.test.": "127.0.0.1"}),
        )
        url = URL(f"https://service.test.:{served.port}/ok")
        host = await lean.acquire(url)
        try:
            response = await lean.request(host, url, "GET")
        finally:
            lean.release(host)
            lean.close()
            await asyncio.sleep(0)
    assert response.status == 200
    assert names == ["service.test"]  # the SNI, as aiohttp sends it: no dot
    assert response.cert_not_after is not None  # read from the check's own connection
