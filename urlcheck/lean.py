"""A lean HTTP/1.1 client for the plain request: HEAD or GET, status line and headers, keep-alive.

aiohttp's request path costs about 100 µs of CPU per URL, most of a check's cost when the
server is fast (see benchmarks/findings.md). This client does only what a plain check needs:
connect (TCP, or TLS with the run's context), send one request, parse the status line and the
headers with llhttp (through httptools, the parser uvicorn uses), and keep the connection for
the host's next request. It reads no body.

It answers only when it got a complete, well-formed response head. Everything else (a refused
or reset connection, a parse error, a header over aiohttp's limits, an interim 1xx, an upgrade)
makes `request` return None, and the caller asks aiohttp instead, whose verdict is the one the
user sees. So this path may only ever be faster, never report anything aiohttp would not.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

import aiohappyeyeballs
import httptools
from yarl import URL

MAX_LINE = 8190
"""Longest status line or header field accepted, as in aiohttp (longer: aiohttp judges)."""
MAX_HEADERS = 128
"""Most header fields accepted, as in aiohttp."""
HAPPY_EYEBALLS_DELAY = 0.25
"""Seconds before the next address is tried alongside (aiohttp's default)."""
IDLE_SECONDS = 15.0
"""A connection idle this long is not used again (aiohttp's keep-alive timeout)."""

HostKey = tuple[str, str, int]


@dataclass(slots=True, frozen=True)
class Response:
    """The head of a response: all a check needs."""

    status: int
    reason: str
    retry_after: str | None
    location: str | None
    """Where a redirect leads: the first non-empty of ``Location`` and ``URI``, as aiohttp reads."""


class _Unanswered(Exception):
    """This client has no verdict for the request; aiohttp is asked instead."""

    def __init__(self, reused_and_silent: bool = False) -> None:
        super().__init__()
        self.retry_fresh = reused_and_silent
        """A reused connection closed before any byte came: try once on a fresh one."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time; also the parser's callbacks."""

    def __init__(self, pool: LeanPool, key: HostKey) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.requests = 0
        self.idle_since = 0.0
        self.waiter: asyncio.Future[Response] | None = None
        self.parser: httptools.HttpResponseParser | None = None
        self._expect(head=True)

    def _expect(self, *, head: bool) -> None:
        """Forget the last response: the state of the one to come."""
        self.head = head
        self.got_bytes = self.headers_done = self.keep_alive = False
        self.complete = self.body_seen = False
        self.fields = 0
        self.reason = b""
        self.retry_after: bytes | None = None
        self.location: bytes | None = None
        self.uri: bytes | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done() or self.parser is None:
            self.close()  # bytes nobody asked for: the connection cannot be trusted again
            return
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade, _Unanswered):
            self._fail(_Unanswered())
            return
        if not self.headers_done:
            return
        response = Response(
            status=self.parser.get_status_code(),
            reason=self.reason.decode("utf-8", "surrogateescape"),
            retry_after=None if self.retry_after is None else self.retry_after.decode("latin-1"),
            location=(self.location or self.uri or b"").decode("utf-8", "surrogateescape") or None,
        )
        # HEAD: the head is the whole answer. GET: keep the connection only if the body
        # has come already (no body is read from the network for a check).
        finished = self.complete or (self.head and not self.body_seen)
        keep = finished and self.keep_alive
        waiter = self.waiter
        self.waiter = None
        self.parser = None
        if keep:
            self.pool._release(self)
        else:
            self.close()
        waiter.set_result(response)

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool._forget(self)
        self._fail(_Unanswered(reused_and_silent=self.requests > 1 and not self.got_bytes))

    # httptools callbacks (they run inside feed_data)

    def on_status(self, status: bytes) -> None:
        self.reason += status
        if len(self.reason) > MAX_LINE:
            raise _Unanswered()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields += 1
        if self.fields > MAX_HEADERS or len(name) + len(value) > MAX_LINE:
            raise _Unanswered()
        lower = name.lower()
        value = value.rstrip(b" \t")  # as aiohttp's parser does; llhttp keeps them
        if lower == b"retry-after":
            self.retry_after = value
        elif lower == b"location":
            self.location = self.location if self.location is not None else value
        elif lower == b"uri":
            self.uri = self.uri if self.uri is not None else value

    def on_message_begin(self) -> None:
        if self.headers_done:
            raise _Unanswered()  # a second response in the same read: nothing was asked

    def on_headers_complete(self) -> None:
        assert self.parser is not None  # it is calling
        if self.parser.get_status_code() < 200:
            raise _Unanswered()  # an interim 1xx (or 101 upgrade): aiohttp knows what follows
        self.headers_done = True
        # Asked now: once the message is complete, llhttp has reset what this reads.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body_seen = True

    def on_message_complete(self) -> None:
        self.complete = True

    # the pool's side

    def send(self, data: bytes, head: bool) -> asyncio.Future[Response]:
        assert self.transport is not None
        self.requests += 1
        self._expect(head=head)
        self.parser = httptools.HttpResponseParser(self)
        self.waiter = self.pool.loop.create_future()
        self.transport.write(data)
        return self.waiter

    def _fail(self, exc: _Unanswered) -> None:
        waiter, self.waiter, self.parser = self.waiter, None, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.pool._forget(self)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


class Host:
    """One host (scheme, name, port): its idle connections and its per-host limit."""

    __slots__ = ("idle", "key", "limit", "users")

    def __init__(self, key: HostKey, per_host: int) -> None:
        self.key = key
        self.idle: list[_Connection] = []
        self.limit = asyncio.Semaphore(per_host) if per_host else None
        self.users = 0


class LeanPool:
    """Keep-alive connections by scheme, host and port, at most `per_host` in use per host.

    `headers` are sent with every request, after ``Host`` (unless they carry their own).
    `tls` gives the TLS context for https (called once, when first needed). Idle connections
    are capped at `max_idle` over all hosts; the least recently used one goes first.
    """

    def __init__(
        self,
        headers: Iterable[tuple[str, str]],
        *,
        per_host: int,
        max_idle: int,
        tls: Callable[[], ssl.SSLContext],
    ) -> None:
        self.loop = asyncio.get_running_loop()
        own_host = False
        lines = []
        for name, value in headers:
            own_host = own_host or name.lower() == "host"
            lines.append(f"{name}: {value}\r\n")
        self._own_host = own_host
        self._headers = "".join(lines) + "\r\n"
        self._per_host = per_host
        self._max_idle = max(1, max_idle)
        self._tls_factory = tls
        self._tls: ssl.SSLContext | None = None
        self._hosts: dict[HostKey, Host] = {}
        self._idle: collections.OrderedDict[_Connection, None] = collections.OrderedDict()
        self._closed = False
        self.answered = 0
        """Requests this client answered itself."""
        self.handed_over = 0
        """Requests it left to aiohttp (a failure, or something it does not do)."""

    async def acquire(self, url: URL) -> Host:
        """Take one of the host's `per_host` places, for a request by this client or aiohttp;
        give it back with `release`."""
        key = (url.scheme, url.raw_host or "", url.port or 0)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = Host(key, self._per_host)
        host.users += 1
        if host.limit is not None:
            try:
                await host.limit.acquire()
            except BaseException:
                self._leave(host)
                raise
        return host

    def release(self, host: Host) -> None:
        if host.limit is not None:
            host.limit.release()
        self._leave(host)

    def _leave(self, host: Host) -> None:
        host.users -= 1
        if not host.users and not host.idle:
            self._hosts.pop(host.key, None)

    async def request(self, host: Host, url: URL, method: str) -> Response | None:
        """Send `method` to `url` and return the head of the response, or None: ask aiohttp.

        `host` is `url`'s, from `acquire`. Cancelling it (a deadline) closes the connection.
        """
        response = await self._request(host, url, method)
        if response is None:
            self.handed_over += 1
        else:
            self.answered += 1
        return response

    async def _request(self, host: Host, url: URL, method: str) -> Response | None:
        head = method == "HEAD"
        data = self._request_bytes(url, method)
        conn = self._idle_connection(host)
        while True:
            fresh = conn is None
            try:
                if conn is None:
                    conn = await self._connect(host.key)
                return await conn.send(data, head)
            except _Unanswered as exc:
                if fresh or not exc.retry_fresh:
                    return None
                conn = None  # the server had closed the idle connection: once more, anew
            except asyncio.CancelledError:
                if conn is not None and conn.waiter is not None:  # else it is back in the pool
                    conn.close()
                raise
            except Exception:  # OSError, ssl.SSLError, a bad host (ValueError) …
                # … which aiohttp will meet too, and name. Nothing here may fail a check.
                if conn is not None:
                    conn.close()
                return None

    def close(self) -> None:
        """Close every connection (the end of a run)."""
        self._closed = True
        for conn in list(self._idle):
            conn.close()
        self._hosts.clear()

    def _request_bytes(self, url: URL, method: str) -> bytes:
        host = "" if self._own_host else f"Host: {url.host_port_subcomponent}\r\n"
        return f"{method} {url.raw_path_qs} HTTP/1.1\r\n{host}{self._headers}".encode(
            "utf-8", "surrogateescape"
        )

    def _idle_connection(self, host: Host) -> _Connection | None:
        now = time.monotonic()
        while host.idle:
            conn = host.idle.pop()
            if conn.closed:
                continue
            self._idle.pop(conn, None)
            if now - conn.idle_since > IDLE_SECONDS:
                conn.close()
                continue
            return conn
        return None

    async def _connect(self, key: HostKey) -> _Connection:
        tls = None
        if key[0] == "https":
            if self._tls is None:
                self._tls = self._tls_factory()
            tls = self._tls
        conn = _Connection(self, key)
        # Happy Eyeballs, as aiohttp connects: an address family that silently drops packets
        # (IPv6 on many networks) must not cost the whole deadline.
        infos = await self.loop.getaddrinfo(key[1], key[2], type=socket.SOCK_STREAM)
        sock = await aiohappyeyeballs.start_connection(
            infos, happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY
        )
        try:
            await self.loop.create_connection(
                lambda: conn, sock=sock, ssl=tls, server_hostname=key[1] if tls else None
            )
        except BaseException:
            sock.close()
            raise
        return conn

    def _release(self, conn: _Connection) -> None:
        host = self._hosts.get(conn.key)
        if self._closed or host is None:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        host.idle.append(conn)
        self._idle[conn] = None
        while len(self._idle) > self._max_idle:
            next(iter(self._idle)).close()  # the least recently used; _forget tidies up

    def _forget(self, conn: _Connection) -> None:
        """`conn` is closed: no longer idle, and its host is dropped once unused."""
        if conn not in self._idle:  # in use: its request's end sees it closed
            return
        del self._idle[conn]
        host = self._hosts.get(conn.key)
        if host is not None:
            if conn in host.idle:
                host.idle.remove(conn)
            if not host.users and not host.idle:
                del self._hosts[conn.key]
