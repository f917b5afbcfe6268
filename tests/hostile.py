"""A corpus of hostile HTTP/1.1 server behaviours, one per path, on one raw-socket server.

`serve_hostile()` runs the server on 127.0.0.1 (in background threads, see `servers.py`). It
reads each request head, picks the behaviour by the request's path and records, per
connection, the path it was opened for and every request read on it, so a test can say how
many connections a client opened for a path. A behaviour that leaves the connection open
(keep-alive) gets the connection's next request read and answered by its own path.

Every behaviour is a `Behaviour` in `BEHAVIOURS`: its path, what it does, the handler, and
what curl made of it on the machine the corpus was written on (`curl_expect`, as
`CurlOutcome.summary` strings; see `tests/curl_reference.py`), so the test that runs curl
(`tests/test_hostile_curl.py`) fails if a server stops misbehaving as described, and the
table in `tests/data/hostile_curl.md` can be cited for what a reference client does.

Two behaviours act before any request arrives (`on_accept`): no path can pick them, so each
listens on a port of its own; `HostileServer.url(path)` knows which.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial

from .servers import serve_raw

BODY = b"hello world"
"""The body of the answers that carry one where none belongs (HEAD, 204, 304)."""
BYTE_DELAY = 0.004
"""Seconds between the bytes of `/split/bytewise`: its ~80-byte head takes ~0.3 s."""
SPLIT_DELAY = 0.2
"""Seconds between the two writes of `/split/two-writes`."""
READ_TIMEOUT = 5.0
"""How long a connection waits for a request before the server gives up on it."""


@dataclass
class Connection:
    """One accepted connection: what it was opened for and what was asked on it."""

    port: int
    path: str | None = None
    """The path of its first request (or the `on_accept` behaviour of its port); None if
    no request came."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every request read on it, in order."""


@dataclass
class HostileRecord:
    """What the hostile server saw, shared with the test thread (under `lock`)."""

    connections: list[Connection] = field(default_factory=list)
    active: int = 0
    """Connections still being handled."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def connections_to(self, path: str) -> int:
        """How many connections were opened for `path` (their first request was for it)."""
        with self.lock:
            return sum(1 for conn in self.connections if conn.path == path)

    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request read, connection by connection."""
        with self.lock:
            return [request for conn in self.connections for request in conn.requests]

    def requests_to(self, path: str) -> list[str]:
        """The methods of the requests read for `path`, on any connection."""
        return [method for method, seen in self.requests() if seen == path]


@dataclass
class HostileServer:
    """A running hostile server: its addresses and its record."""

    host: str
    port: int
    record: HostileRecord
    accept_ports: dict[str, int]
    """The port of each `on_accept` behaviour, by its path."""

    def url(self, path: str) -> str:
        """An absolute URL for `path` (on its own port for an `on_accept` behaviour)."""
        port = self.accept_ports.get(path.partition("?")[0], self.port)
        return f"http://{self.host}:{port}{path}"

    def settle(self, timeout: float = 3.0) -> HostileRecord:
        """Wait until no connection is being handled, so the record is complete."""
        deadline = time.monotonic() + timeout
        while self.record.active:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.record.active} connection(s) still open")
            time.sleep(0.005)
        return self.record


@dataclass
class Conn:
    """The connection a handler answers on, and the request it answers (if one was read)."""

    method: str
    path: str
    query: str
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    record: HostileRecord
    connection: Connection

    @property
    def port(self) -> int:
        """The server port this connection came in on (for absolute Locations)."""
        return int(self.writer.get_extra_info("sockname")[1])

    async def send(self, data: bytes) -> None:
        """Write and wait for the socket."""
        self.writer.write(data)
        await self.writer.drain()

    async def close(self) -> None:
        """Hang up (FIN) once everything written has left; serve_raw would drop it."""
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    def reset(self) -> None:
        """Reset the connection: SO_LINGER 0 makes the close send RST, not FIN."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def read_request(self) -> bool:
        """Read the next request head on this connection and record it; False at its end."""
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            return False
        request_line = head.decode("latin-1").partition("\r\n")[0]
        method, target, *_ = [*request_line.split(" "), "", ""]
        self.method = method
        self.path, _, self.query = target.partition("?")
        with self.record.lock:
            if self.connection.path is None:
                self.connection.path = self.path
            self.connection.requests.append((method, self.path))
        return True


Handler = Callable[[Conn], Awaitable[bool]]
"""Answers one request; True leaves the connection open for the next one (keep-alive)."""


@dataclass(frozen=True)
class Behaviour:
    """One hostile behaviour and what curl made of it."""

    path: str
    description: str
    handler: Handler
    curl_expect: Mapping[str, tuple[str, ...]]
    """By method (HEAD, GET): every `CurlOutcome.summary` curl gave here, more than one
    where the outcome depends on a race."""
    curl_connections: Mapping[str, int | None]
    """By method: how many connections curl opened (None where a race decides)."""
    then: tuple[str, ...] = ()
    """Further paths curl asks for in the same run, to see what the behaviour does to the
    connection's next request."""
    on_accept: bool = False
    """It acts as the connection is accepted, before any request: it gets a port of its own."""
    hosts: tuple[str, ...] = ()
    """Host names a client may read in its Location: a test points them at this server
    (curl's ``--connect-to``) so that no name is ever looked up."""


BEHAVIOURS: dict[str, Behaviour] = {}


def behaviour(
    path: str,
    description: str,
    *,
    head: str | tuple[str, ...],
    get: str | tuple[str, ...] | None = None,
    connections: int | tuple[int | None, int | None] | None = 1,
    then: tuple[str, ...] = (),
    on_accept: bool = False,
    hosts: tuple[str, ...] = (),
) -> Callable[[Handler], Handler]:
    """Register a handler for `path`, with curl's outcomes (GET's default to HEAD's) and
    the connections curl opened (one number for both methods, or HEAD's and GET's)."""

    def outcomes(found: str | tuple[str, ...]) -> tuple[str, ...]:
        return (found,) if isinstance(found, str) else found

    head_conns, get_conns = connections if isinstance(connections, tuple) else (connections,) * 2

    def register(handler: Handler) -> Handler:
        assert path not in BEHAVIOURS, path
        BEHAVIOURS[path] = Behaviour(
            path=path,
            description=description,
            handler=handler,
            curl_expect={"HEAD": outcomes(head), "GET": outcomes(head if get is None else get)},
            curl_connections={"HEAD": head_conns, "GET": get_conns},
            then=then,
            on_accept=on_accept,
            hosts=hosts,
        )
        return handler

    return register


def _head(status_line: bytes, *headers: bytes, eol: bytes = b"\r\n") -> bytes:
    """A response head from its lines, each ended by `eol`, and the empty line."""
    return b"".join(line + eol for line in (status_line, *headers)) + eol


async def _answer(
    conn: Conn,
    status: bytes = b"200 OK",
    body: bytes = b"ok",
    *headers: bytes,
    body_for_head: bool = False,
) -> bool:
    """A well-formed HTTP/1.1 answer with Content-Length that keeps the connection open."""
    head = _head(b"HTTP/1.1 " + status, b"Content-Length: %d" % len(body), *headers)
    await conn.send(head + body if body_for_head or conn.method != "HEAD" else head)
    return True


async def _send_and_close(conn: Conn, head: bytes, body: bytes = b"ok") -> bool:
    """Send a (hostile) head, its body for a GET, and hang up."""
    await conn.send(head if conn.method == "HEAD" else head + body)
    await conn.close()
    return False


def _close_head(status_line: bytes, *headers: bytes) -> bytes:
    """A head for a two-byte body that says the server closes after it."""
    return _head(status_line, b"Content-Length: 2", *headers, b"Connection: close")


# --- The plain answer, and where the redirects land -------------------------------------------


@behaviour(
    "/ok",
    "A plain 200 with Content-Length, keep-alive; asked twice on one run",
    head="0 200 200",
    then=("/ok",),
)
async def _ok(conn: Conn) -> bool:
    return await _answer(conn)


LANDINGS = frozenset(
    {
        "/r/foo",
        "/r/x",
        "/r/",
        "/r/with%20space",
        "/r/caf%C3%A9",
        "/r/caf\xc3\xa9",
        "/%5Cevil",
        "/\\evil",
    }
)
"""Where the redirects are meant to land: a plain 200. A raw byte in a path is read as
latin-1, and percent-escapes are compared in upper case (`%c3` is `%C3`)."""
HOPS = "/r/hop/"
"""`/r/hop/N` redirects to `/r/hop/N-1`; `/r/hop/0` answers 200."""


async def _route(conn: Conn) -> bool:
    """Answer a request by its path: a behaviour, a landing, a hop of a chain, or 404."""
    found = BEHAVIOURS.get(conn.path)
    if found is not None:
        return await found.handler(conn)
    if re.sub(r"%[0-9a-f]{2}", lambda escape: escape[0].upper(), conn.path) in LANDINGS:
        return await _answer(conn, b"200 OK", b"landed")
    if conn.path.startswith(HOPS) and conn.path[len(HOPS) :].isdigit():
        left = int(conn.path[len(HOPS) :])
        if left == 0:
            return await _answer(conn, b"200 OK", b"end of the chain")
        return await _redirect(conn, f"{HOPS}{left - 1}".encode())
    return await _answer(conn, b"404 Not Found", b"no such behaviour")


# --- Bodies where none belongs ----------------------------------------------------------------


@behaviour(
    "/body/head",
    "HEAD answered with its 11-byte body anyway, keep-alive; then /ok on the connection",
    head="0 200 200",
    then=("/ok",),
)
async def _head_with_body(conn: Conn) -> bool:
    return await _answer(conn, b"200 OK", BODY, body_for_head=True)


@behaviour(
    "/body/204",
    "204 No Content with Content-Length: 11 and a body, keep-alive; then /ok",
    head="0 204 200",
    then=("/ok",),
)
async def _no_content_with_body(conn: Conn) -> bool:
    return await _answer(conn, b"204 No Content", BODY, body_for_head=True)


@behaviour(
    "/body/304",
    "304 Not Modified with Content-Length: 11 and a body, keep-alive; then /ok",
    head="0 304 200",
    then=("/ok",),
)
async def _not_modified_with_body(conn: Conn) -> bool:
    return await _answer(conn, b"304 Not Modified", BODY, b'ETag: "v1"', body_for_head=True)


@behaviour(
    "/body/head-late",
    "HEAD answered with its head; its body comes once the next request (/ok) is in",
    head="1 200 000",
    get="0 200 200",
    then=("/ok",),
)
async def _head_with_late_body(conn: Conn) -> bool:
    await _answer(conn, b"200 OK", BODY)
    if conn.method != "HEAD":
        return True
    # The body waits for the next request, so it cannot come with the head (curl drops
    # what it read beyond a HEAD's head) and the client has already chosen to reuse the
    # connection when it arrives: it lands in front of the next answer.
    if not await conn.read_request():
        return False
    await conn.send(BODY)
    return await _route(conn)


# --- Line endings and folding -----------------------------------------------------------------


@behaviour("/eol/lf", "Bare LF line endings in the status line and every header", head="0 200")
async def _bare_lf(conn: Conn) -> bool:
    head = _head(b"HTTP/1.1 200 OK", b"Content-Length: 2", b"Connection: close", eol=b"\n")
    return await _send_and_close(conn, head)


@behaviour("/eol/mixed", "CRLF and bare LF mixed, line by line", head="0 200")
async def _mixed_eol(conn: Conn) -> bool:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\nContent-Length: 2\r\nConnection: close\n\r\n"
    )
    return await _send_and_close(conn, head)


@behaviour(
    "/eol/obs-fold", "A header continued on the next lines (obs-fold: space, tab)", head="0 200"
)
async def _obs_fold(conn: Conn) -> bool:
    head = _close_head(b"HTTP/1.1 200 OK", b"X-Folded: first part", b" continued", b"\tand more")
    return await _send_and_close(conn, head)


# --- Status lines -----------------------------------------------------------------------------


def _status_line(path: str, line: bytes, description: str, **found: str) -> None:
    """Register a behaviour whose whole hostility is its status line."""

    async def handler(conn: Conn) -> bool:
        return await _send_and_close(conn, _close_head(line))

    behaviour(path, description, head=found["head"], get=found.get("get"))(handler)


_status_line("/status/099", b"HTTP/1.1 099 Too Low", "Status 099 (below 100)", head="1 000")
_status_line("/status/600", b"HTTP/1.1 600 Too High", "Status 600 (above 599)", head="0 600")
_status_line("/status/999", b"HTTP/1.1 999 Way Too High", "Status 999", head="0 999")
_status_line("/status/1000", b"HTTP/1.1 1000 Four Digits", "Status 1000", head="1 000")
_status_line(
    "/status/no-reason", b"HTTP/1.1 200", "`HTTP/1.1 200`: no space, no reason", head="0 200"
)
_status_line("/status/letters", b"HTTP/1.1 2x0 OK", "Status with a letter: `2x0`", head="1 000")
_status_line(
    "/status/double-space",
    b"HTTP/1.1  200 OK",
    "Two spaces after the version: `HTTP/1.1  200 OK`",
    head="0 200",
)


@behaviour(
    "/version/1.0", "HTTP/1.0 200 without Content-Length: the body runs to the close", head="0 200"
)
async def _http10(conn: Conn) -> bool:
    head = _head(b"HTTP/1.0 200 OK", b"Content-Type: text/plain")
    return await _send_and_close(conn, head, b"an old server\n" * 10)


@behaviour(
    "/version/0.9", "HTTP/0.9: a body with no status line or headers, then close", head="1 000"
)
async def _http09(conn: Conn) -> bool:
    await conn.send(b"<html>no status line, no headers</html>\n")
    await conn.close()
    return False


def _h2_frame(kind: int, payload: bytes, flags: int = 0, stream: int = 0) -> bytes:
    """An HTTP/2 frame (RFC 9113, 4.1): 24-bit length, type, flags, 31-bit stream id."""
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


H2_SETTINGS = _h2_frame(0x4, struct.pack(">HI", 0x3, 100))
"""A SETTINGS frame: SETTINGS_MAX_CONCURRENT_STREAMS = 100, as an h2 server opens with."""
H2_GOAWAY = _h2_frame(0x7, struct.pack(">II", 0, 0x1) + b"HTTP/1.1 is not spoken here")
"""GOAWAY: last stream 0, PROTOCOL_ERROR, with debug text."""


@behaviour(
    "/version/h2-settings",
    "An HTTP/2-only server: SETTINGS then GOAWAY frames (binary) instead of HTTP/1.1",
    head="1 000",
)
async def _h2_settings(conn: Conn) -> bool:
    await conn.send(H2_SETTINGS + H2_GOAWAY)
    await conn.close()
    return False


@behaviour(
    "/version/h2-preface",
    "The HTTP/2 connection preface `PRI * HTTP/2.0` and a SETTINGS frame, then close",
    head="1 000",
)
async def _h2_preface(conn: Conn) -> bool:
    await conn.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + H2_SETTINGS)
    await conn.close()
    return False


# --- Interim (1xx) responses ------------------------------------------------------------------


async def _after_interim(conn: Conn, *interim: bytes) -> bool:
    await conn.send(b"".join(interim))
    return await _answer(conn)


@behaviour("/interim/100", "100 Continue (not asked for), then 200, keep-alive", head="0 200")
async def _continue(conn: Conn) -> bool:
    return await _after_interim(conn, _head(b"HTTP/1.1 100 Continue"))


@behaviour("/interim/103", "103 Early Hints with a Link header, then 200", head="0 200")
async def _early_hints(conn: Conn) -> bool:
    hint = _head(b"HTTP/1.1 103 Early Hints", b"Link: </style.css>; rel=preload; as=style")
    return await _after_interim(conn, hint)


@behaviour("/interim/100x10", "Ten 100 Continue in a row, then 200", head="0 200")
async def _ten_continues(conn: Conn) -> bool:
    return await _after_interim(conn, *[_head(b"HTTP/1.1 100 Continue")] * 10)


@behaviour(
    "/interim/101",
    "An unsolicited 101 Switching Protocols, then a 200 as if the 101 were interim, then close",
    head="52 101",
    get="0 101",
)
async def _switching(conn: Conn) -> bool:
    upgrade = _head(
        b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket", b"Connection: Upgrade"
    )
    return await _send_and_close(conn, upgrade + _close_head(b"HTTP/1.1 200 OK"))


@behaviour("/interim/100-close", "100 Continue, then close", head="52 100")
async def _continue_then_close(conn: Conn) -> bool:
    await conn.send(_head(b"HTTP/1.1 100 Continue"))
    await conn.close()
    return False


# --- Heads in pieces --------------------------------------------------------------------------


SPLIT_HEAD = _close_head(b"HTTP/1.1 200 OK", b"Content-Type: text/plain", b"X-Split: yes")


@behaviour(
    "/split/bytewise",
    f"The head one byte per write, {BYTE_DELAY * 1000:.0f} ms apart (~0.3 s in all)",
    head="0 200",
)
async def _bytewise(conn: Conn) -> bool:
    for byte in SPLIT_HEAD:
        await conn.send(bytes([byte]))
        await asyncio.sleep(BYTE_DELAY)
    return await _send_and_close(conn, b"")


@behaviour(
    "/split/two-writes",
    f"The head in two writes {SPLIT_DELAY * 1000:.0f} ms apart, cut inside a header name",
    head="0 200",
)
async def _two_writes(conn: Conn) -> bool:
    cut = SPLIT_HEAD.index(b"X-Sp") + 2
    await conn.send(SPLIT_HEAD[:cut])
    await asyncio.sleep(SPLIT_DELAY)
    return await _send_and_close(conn, SPLIT_HEAD[cut:])


# --- Heads too big ----------------------------------------------------------------------------


@behaviour("/big/header-100k", "One header with a 100 KiB value (102,400 bytes)", head="27 200")
async def _header_100k(conn: Conn) -> bool:
    return await _send_and_close(
        conn, _close_head(b"HTTP/1.1 200 OK", b"X-Huge: " + b"a" * 102_400)
    )


@behaviour(
    "/big/header-100000",
    "One header with a 100,000-byte value (just under curl's 100 KiB line limit)",
    head="0 200",
)
async def _header_100000(conn: Conn) -> bool:
    return await _send_and_close(
        conn, _close_head(b"HTTP/1.1 200 OK", b"X-Huge: " + b"a" * 100_000)
    )


@behaviour("/big/head-1mb", "A 1 MiB head: 1024 headers of about 1 KiB each", head="56 200")
async def _head_1mb(conn: Conn) -> bool:
    headers = [b"X-Pad-%04d: %s" % (n, b"p" * 1010) for n in range(1024)]
    return await _send_and_close(conn, _close_head(b"HTTP/1.1 200 OK", *headers))


@behaviour("/big/headers-200", "200 short headers", head="0 200")
async def _headers_200(conn: Conn) -> bool:
    headers = [b"X-H%d: v" % n for n in range(200)]
    return await _send_and_close(conn, _close_head(b"HTTP/1.1 200 OK", *headers))


@behaviour("/big/headers-10000", "10,000 short headers (~120 KB of head)", head="0 200")
async def _headers_10000(conn: Conn) -> bool:
    headers = [b"X-H%d: v" % n for n in range(10_000)]
    return await _send_and_close(conn, _close_head(b"HTTP/1.1 200 OK", *headers))


@behaviour("/big/reason-9000", "A 9000-byte reason phrase", head="0 200")
async def _reason_9000(conn: Conn) -> bool:
    return await _send_and_close(conn, _close_head(b"HTTP/1.1 200 " + b"O" * 9000))


# --- Malformed headers and framing ------------------------------------------------------------


@behaviour("/header/nul", "A NUL byte inside a header value", head="8 200")
async def _header_nul(conn: Conn) -> bool:
    return await _send_and_close(conn, _close_head(b"HTTP/1.1 200 OK", b"X-Nul: before\0after"))


@behaviour("/header/no-colon", "A header line without a colon", head="8 200")
async def _header_no_colon(conn: Conn) -> bool:
    return await _send_and_close(conn, _close_head(b"HTTP/1.1 200 OK", b"X-No-Colon-Here"))


@behaviour("/header/space-colon", "A space between a header's name and its colon", head="0 200")
async def _header_space_colon(conn: Conn) -> bool:
    return await _send_and_close(conn, _close_head(b"HTTP/1.1 200 OK", b"X-Spaced : value"))


@behaviour(
    "/framing/two-lengths",
    "Two differing Content-Length headers (2 and 5), a 2-byte body, then close",
    head="0 200",
    get="18 200",
)
async def _two_lengths(conn: Conn) -> bool:
    head = _head(b"HTTP/1.1 200 OK", b"Content-Length: 2", b"Content-Length: 5")
    return await _send_and_close(conn, head)


@behaviour(
    "/framing/length-and-chunked",
    "Content-Length: 50 and Transfer-Encoding: chunked, a valid 2-byte chunked body, close",
    head="0 200",
)
async def _length_and_chunked(conn: Conn) -> bool:
    head = _head(b"HTTP/1.1 200 OK", b"Content-Length: 50", b"Transfer-Encoding: chunked")
    return await _send_and_close(conn, head, b"2\r\nok\r\n0\r\n\r\n")


@behaviour(
    "/framing/bad-chunk",
    "Transfer-Encoding: chunked with a chunk size that is not hex (GET), then close",
    head="0 200",
    get="56 200",
)
async def _bad_chunk(conn: Conn) -> bool:
    head = _head(b"HTTP/1.1 200 OK", b"Transfer-Encoding: chunked")
    return await _send_and_close(conn, head, b"zz\r\nok\r\n0\r\n\r\n")


@behaviour(
    "/framing/garbage-after",
    "A complete 200 (keep-alive), then garbage bytes, then close",
    head="0 200",
)
async def _garbage_after(conn: Conn) -> bool:
    await _answer(conn)
    await conn.send(b"\x00\xff\xfeGARBAGE\r\nHTTP/1.1 500 Oops\r\n\r\n")
    await conn.close()
    return False


# --- Connections that end early ---------------------------------------------------------------


@behaviour(
    "/early/response",
    "A 200 sent as the connection is accepted, before the request is read (own port)",
    head="0 200",
    on_accept=True,
)
async def _early_response(conn: Conn) -> bool:
    await conn.send(_close_head(b"HTTP/1.1 200 OK") + b"ok")
    # Read the request before hanging up: closing with it unread would send RST instead.
    await conn.read_request()
    await conn.close()
    return False


@behaviour(
    "/early/reset",
    "Reset (RST) as the connection is accepted, the request unread (own port)",
    # Mostly reset while curl waits for the answer; when the reset is in before curl has
    # seen its connect through (~1 in 5), curl says it could not connect at all; and now and
    # then it lands between the connect and curl's getpeername (ENOTCONN): exit 55.
    head=("56 000", "7 000", "55 000"),
    connections=1,
    on_accept=True,
)
async def _early_reset(conn: Conn) -> bool:
    conn.reset()
    return False


@behaviour(
    "/keepalive/closed",
    "200 with keep-alive, then close without a word; asked again on the same path",
    head="0 200 200",
    connections=2,
    then=("/keepalive/closed",),
)
async def _keepalive_closed(conn: Conn) -> bool:
    await _answer(conn)
    await conn.close()
    return False


@behaviour("/cut/status-line", "The status line, then close", head="0 200")
async def _status_then_close(conn: Conn) -> bool:
    await conn.send(b"HTTP/1.1 200 OK\r\n")
    await conn.close()
    return False


PARTIAL_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/pl"


@behaviour("/cut/partial-head", "Part of the head (mid-header), then close", head="0 200")
async def _partial_head_close(conn: Conn) -> bool:
    await conn.send(PARTIAL_HEAD)
    await conn.close()
    return False


@behaviour("/cut/partial-head-reset", "Part of the head, then reset (RST)", head="56 200")
async def _partial_head_reset(conn: Conn) -> bool:
    await conn.send(PARTIAL_HEAD)
    conn.reset()
    return False


@behaviour("/cut/reset", "The request read, then reset (RST) before any byte", head="56 000")
async def _reset(conn: Conn) -> bool:
    conn.reset()
    return False


@behaviour("/cut/close", "The request read, then close (FIN) before any byte", head="52 000")
async def _close(conn: Conn) -> bool:
    await conn.close()
    return False


# --- Redirects --------------------------------------------------------------------------------


async def _redirect(conn: Conn, location: bytes | None, status: bytes = b"302 Found") -> bool:
    """A redirect with an empty body, keep-alive (so following it may reuse the connection)."""
    headers = [] if location is None else [b"Location: " + location]
    return await _answer(conn, status, b"", *headers)


def _redirect_to(path: str, location: bytes, description: str, **found: str) -> None:
    """Register a behaviour whose whole hostility is the Location of its 302."""

    async def handler(conn: Conn) -> bool:
        return await _redirect(conn, location)

    behaviour(path, description, head=found["head"], get=found.get("get"))(handler)


_redirect_to("/r/relative", b"foo", "302 to a relative `foo` (lands on /r/foo)", head="0 200/1")
_redirect_to("/r/sub/dotdot", b"../x", "302 from /r/sub/ to `../x` (lands on /r/x)", head="0 200/1")
_redirect_to(
    "/r/fragment", b"#frag", "302 to `#frag`: by RFC 3986 this same URL, a loop", head="0 200/1"
)
_redirect_to("/r/dot", b"./", "302 to `./` (lands on /r/)", head="0 200/1")
_redirect_to(
    "/r/space", b"/r/with space", "302 to a Location with a space: `/r/with space`", head="0 200/1"
)
_redirect_to(
    "/r/utf8",
    "/r/café".encode(),
    "302 to a Location with raw UTF-8 bytes: `/r/café`",
    head="0 200/1",
)
_redirect_to(
    "/r/backslash", b"/\\evil", "302 to `/\\evil` (a browser reads `//evil`)", head="0 200/1"
)
_redirect_to("/r/loop", b"/r/loop", "302 to itself, forever", head="47 302/10")
_redirect_to(
    "/r/chain-10", b"/r/hop/9", "A chain of exactly 10 redirects ending in 200", head="0 200/10"
)
_redirect_to("/r/chain-11", b"/r/hop/10", "A chain of 11 redirects ending in 200", head="47 302/10")


@behaviour(
    "/r/query", "302 to `?q=1` (the same path with a query, which answers 200)", head="0 200/1"
)
async def _redirect_query(conn: Conn) -> bool:
    if conn.query == "q=1":
        return await _answer(conn, b"200 OK", b"query arrived")
    return await _redirect(conn, b"?q=1")


@behaviour(
    "/r/scheme-relative",
    "302 to a scheme-relative `//127.0.0.1:PORT/ok` (this server)",
    head="0 200/1",
)
async def _redirect_scheme_relative(conn: Conn) -> bool:
    return await _redirect(conn, b"//127.0.0.1:%d/ok" % conn.port)


@behaviour(
    "/r/no-authority",
    "302 to `http:/ok`: a scheme, no authority (`ok` as a host is pointed at this server)",
    head="0 404/1",
    connections=2,
    hosts=("ok",),
)
async def _redirect_no_authority(conn: Conn) -> bool:
    return await _redirect(conn, b"http:/ok")


@behaviour("/r/301-no-location", "301 Moved Permanently without a Location", head="0 301")
async def _moved_nowhere(conn: Conn) -> bool:
    return await _redirect(conn, None, b"301 Moved Permanently")


@behaviour("/r/303", "303 See Other to /ok (which answers 200)", head="0 200/1")
async def _see_other(conn: Conn) -> bool:
    return await _redirect(conn, b"/ok", b"303 See Other")


# --- The server -------------------------------------------------------------------------------


@contextlib.contextmanager
def serve_hostile(host: str = "127.0.0.1") -> Iterator[HostileServer]:
    """Run the hostile server for the block: one port for the paths, one per `on_accept`."""
    record = HostileRecord()

    async def handle(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        early: Behaviour | None = None,
    ) -> None:
        port = int(writer.get_extra_info("sockname")[1])
        connection = Connection(port, path=None if early is None else early.path)
        with record.lock:
            record.connections.append(connection)
            record.active += 1
        conn = Conn("", connection.path or "", "", reader, writer, record, connection)
        try:
            if early is not None:
                await early.handler(conn)
                return
            while await conn.read_request() and await _route(conn):
                pass  # keep-alive: the next request on this connection picks its own path
        finally:
            with record.lock:
                record.active -= 1

    with contextlib.ExitStack() as stack:
        main = stack.enter_context(serve_raw(handle, host=host))
        accept_ports = {
            entry.path: stack.enter_context(serve_raw(partial(handle, early=entry), host=host)).port
            for entry in BEHAVIOURS.values()
            if entry.on_accept
        }
        yield HostileServer(host, main.port, record, accept_ports)
