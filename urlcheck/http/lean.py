"""A lean HTTP/1.1 client for checks: HEAD or GET, the response head, keep-alive per host.

aiohttp's request path costs about 100 µs of CPU per URL, most of a check's cost when the
server is fast (see benchmarks/findings.md). This client does only what a check needs:
resolve (cached, `resolver`), connect (TCP: one IPv4 address in one call, several with Happy
Eyeballs; or TLS with the run's context), send one request, parse the status line and the
headers with llhttp (through httptools, as uvicorn does; `protocol`), read a body only when
asked to and only as far as asked, and keep the connection for the host's next request.

It gives its own verdicts: every failure (a refused or reset connection, an unresolvable
host, a certificate that does not verify, a response that is not HTTP …) is raised as
`failures.Failed`, named as aiohttp would name it (tests/test_lean.py compares the two on
every fault). One request is one connection, plus at most one fresh connection when a
reused one turns out to have been closed by the server before it answered.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import aiohappyeyeballs

from . import failures
from .protocol import Connection, Response, Stale
from .redirects import PRIVATE_HEADERS
from .resolver import Resolver

if TYPE_CHECKING:
    from yarl import URL

OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE})
HAPPY_EYEBALLS_DELAY = 0.25
"""Seconds before the next address is tried alongside (aiohttp's default)."""
IDLE_SECONDS = 15.0
"""A connection idle this long is not used again (aiohttp's keep-alive timeout)."""

HostKey = tuple[str, str, int]


class Host:
    """One host (scheme, name, port): its idle connections and its per-host limit."""

    __slots__ = ("idle", "key", "limit", "users")

    def __init__(self, key: HostKey, per_host: int) -> None:
        self.key = key
        self.idle: list[Connection] = []
        self.limit = asyncio.Semaphore(per_host) if per_host else None
        self.users = 0


class LeanPool:
    """Keep-alive connections by scheme, host and port, at most `per_host` in use per host.

    `headers` are sent with every request, after ``Host`` (unless they carry their own);
    the private ones (``Authorization``, ``Cookie``) only when a request says so. `tls`
    makes the TLS context for https, once, in a thread (loading a trust store takes tens of
    milliseconds the checks under way must not wait for). Idle connections are capped at
    `max_idle` over all hosts; the least recently used one goes first.
    """

    def __init__(
        self,
        headers: Iterable[tuple[str, str]],
        *,
        per_host: int,
        max_idle: int,
        tls: Callable[[], ssl.SSLContext],
        resolver: Resolver | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        headers = list(headers)
        own_host = False
        every, public = [], []
        for name, value in headers:
            own_host = own_host or name.lower() == "host"
            line = f"{name}: {value}\r\n"
            every.append(line)
            if name.lower() not in PRIVATE_HEADERS:
                public.append(line)
        self._own_host = own_host
        self._headers = "".join(every)
        self._public_headers = "".join(public)
        self.has_authorization = any(name.lower() == "authorization" for name, _ in headers)
        self._per_host = per_host
        self._max_idle = max(1, max_idle)
        self._tls_factory = tls
        self._tls: asyncio.Future[ssl.SSLContext] | None = None
        self.resolver = resolver or Resolver()
        self._hosts: dict[HostKey, Host] = {}
        self._idle: collections.OrderedDict[Connection, None] = collections.OrderedDict()
        self._closed = False
        self.connections = 0
        """Connections opened (or tried) so far."""

    async def acquire(self, url: URL) -> Host:
        """Take one of the host's `per_host` places; give it back with `release`."""
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
        """Give back a place taken with `acquire`."""
        if host.limit is not None:
            host.limit.release()
        self._leave(host)

    def _leave(self, host: Host) -> None:
        host.users -= 1
        if not host.users and not host.idle:
            self._hosts.pop(host.key, None)

    async def request(
        self,
        host: Host,
        url: URL,
        method: str,
        *,
        private: bool = True,
        authorization: str | None = None,
        body_limit: int = 0,
        body_types: frozenset[str] | None = None,
    ) -> Response:
        """Send `method` to `url` and return the response, or raise `failures.Failed`.

        `host` is `url`'s, from `acquire`. `private`: send the private headers too.
        `authorization`: an ``Authorization`` value of the request's own (from the URL).
        `body_limit`: read up to that many bytes of the body (decoded), when its type is
        one of `body_types` (None: any). Cancelling it (a
        deadline) closes the connection under way.
        """
        head = method == "HEAD"
        data = self._request_bytes(url, method, private, authorization)
        conn = self._idle_connection(host)
        while True:
            try:
                if conn is None:
                    conn = await self._connect(host.key)
                return await conn.send(
                    data, head=head, body_limit=body_limit, body_types=body_types
                )
            except Stale:
                conn = None  # the server had closed the idle connection: once more, anew
            except BaseException:
                if conn is not None and conn.waiter is not None:  # else it is back in the pool
                    conn.close()
                raise

    def close(self) -> None:
        """Close every connection (the end of a run)."""
        self._closed = True
        for conn in list(self._idle):
            conn.close()
        self._hosts.clear()

    def _request_bytes(
        self, url: URL, method: str, private: bool, authorization: str | None
    ) -> bytes:
        host = "" if self._own_host else f"Host: {url.host_port_subcomponent}\r\n"
        headers = self._headers if private else self._public_headers
        auth = "" if authorization is None else f"Authorization: {authorization}\r\n"
        return f"{method} {url.raw_path_qs} HTTP/1.1\r\n{host}{headers}{auth}\r\n".encode(
            "utf-8", "surrogateescape"
        )

    def _idle_connection(self, host: Host) -> Connection | None:
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

    async def tls_context(self) -> ssl.SSLContext:
        """The run's TLS settings, loaded once, in a thread (the trust store takes tens of
        milliseconds); `failures.Failed` (tls) when they cannot be."""
        if self._tls is None:
            self._tls = self.loop.run_in_executor(None, self._tls_factory)
        try:
            return await asyncio.shield(self._tls)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise failures.tls_failed(f"cannot load the trusted certificates ({exc})") from None

    async def _connect(self, key: HostKey) -> Connection:
        _, name, port = key
        self.connections += 1
        try:
            return await self._open(key)
        except OSError as exc:
            # Out of open files, with idle connections holding some: never a check's fault.
            if exc.errno not in OUT_OF_FILES or not self._shed_idle():
                raise failures.connect_error(exc, name, port) from None
        for _ in range(2):  # a transport's socket closes on the loop's next turns
            await asyncio.sleep(0)
        try:
            return await self._open(key)
        except OSError as exc:
            raise failures.connect_error(exc, name, port) from None

    def _shed_idle(self) -> bool:
        """Close the least recently used half (or more) of the idle connections, at least
        one, and keep fewer from now on; False if none was idle."""
        if not self._idle:
            return False
        self._max_idle = max(1, len(self._idle) // 2)
        while len(self._idle) > self._max_idle - 1:
            next(iter(self._idle)).close()
        return True

    async def _open(self, key: HostKey) -> Connection:
        """A new connection; an OSError of the connect itself is left for `_connect`."""
        scheme, name, port = key
        tls = await self.tls_context() if scheme == "https" else None
        infos = await self.resolver.resolve(name, port)
        if tls is None and len(infos) == 1 and infos[0][0] == socket.AF_INET:
            return await self._connect_plain(key, infos[0][4])
        try:
            # Happy Eyeballs, as aiohttp connects: an address family that silently drops
            # packets (IPv6 on many networks) must not cost the whole deadline.
            sock = await aiohappyeyeballs.start_connection(
                infos, happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY
            )
        except RuntimeError as exc:  # uvloop's way of saying some of the above
            raise failures.cannot_connect(name, port, exc) from None
        conn = Connection(self, key)
        try:
            await self.loop.create_connection(
                lambda: conn,
                sock=sock,
                ssl=tls,
                # Certificates name hosts without the dot that ends a fully qualified name.
                server_hostname=name.rstrip(".") if tls else None,
            )
        except asyncio.CancelledError:
            sock.close()
            raise
        except (OSError, EOFError) as exc:
            sock.close()
            if tls is not None:
                raise failures.tls_error(exc) from None
            raise failures.connection_lost(exc) from None
        return conn

    async def _connect_plain(self, key: HostKey, address: tuple[str, int]) -> Connection:
        """One IPv4 address and no TLS: nothing to race, so the loop connects in one call,
        in C (128 connects at once took 3.5 ms so, 8.6 ms through a socket made here and
        handed over; warm, uvloop)."""
        _, name, port = key
        conn = Connection(self, key)
        try:
            await self.loop.create_connection(
                lambda: conn, host=address[0], port=address[1], family=socket.AF_INET
            )
        except RuntimeError as exc:  # uvloop's way of saying some OSErrors
            raise failures.cannot_connect(name, port, exc) from None
        return conn

    def _release(self, conn: Connection) -> None:
        host = self._hosts.get(conn.key)
        if self._closed or host is None:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        host.idle.append(conn)
        self._idle[conn] = None
        while len(self._idle) > self._max_idle:
            next(iter(self._idle)).close()  # the least recently used; _forget tidies up

    def _forget(self, conn: Connection) -> None:
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
