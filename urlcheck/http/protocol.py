"""One keep-alive HTTP/1.1 connection of the lean client: an asyncio protocol with its state in
plain sight, and the callbacks llhttp (through httptools) calls as it parses a response.

A request is `Connection.send`; its future gets a `Response` once the response head is
complete (and, when a body is wanted, once enough of it came), or `failures.Failed` naming
what went wrong. The parser is set up as aiohttp sets up its own llhttp for responses
(lenient about header characters, a bare LF and spaces after a chunk size), with curl's
limits on one header line and on a whole head: a response curl reads is not refused here
for its size (aiohttp's 8190 bytes a line turn away sites with big cookies and policies).
Where it is stricter than curl, RELIABILITY.md says why.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Protocol, cast

import httptools

from ..record import record
from . import failures
from .body import BodyReader
from .walls import SNIFF_BYTES, SNIFF_STATUSES, WALL_HEADERS

MAX_LINE = 100 * 1024
"""Longest status line or header line accepted (curl's CURL_MAX_HTTP_HEADER)."""
MAX_HEAD_BYTES = 300 * 1024
"""Longest response head accepted, interim responses included (curl's limit)."""
STATUS_RANGE = range(100, 1000)
"""Status codes a response may have: three digits, from 100 (curl and aiohttp read so)."""
KEPT_HEADERS = frozenset(
    {
        *(name.encode("ascii") for name in WALL_HEADERS),
        b"retry-after",
        b"location",
        b"uri",
        b"content-type",
        b"content-encoding",
        b"content-length",
        b"transfer-encoding",
    }
)
"""The response headers a check looks at; the others are parsed and dropped."""


@record
class Response:
    """A response as a check sees it: its head, and the start of its body when asked for."""

    status: int
    reason: str
    headers: dict[str, str]
    """The `KEPT_HEADERS` the response had (lower-case names; the first of each)."""
    body: bytes | None = None
    """The decoded start of the body, when it was asked for."""
    cert_not_after: float | None = None
    """When the server's TLS certificate expires (UNIX time), for https."""

    @property
    def location(self) -> str | None:
        """Where a redirect leads: the first non-empty of ``Location`` and ``URI``."""
        return self.headers.get("location") or self.headers.get("uri") or None

    @property
    def retry_after(self) -> str | None:
        """The ``Retry-After`` header, as sent."""
        return self.headers.get("retry-after")


class Stale(Exception):
    """A reused connection was closed by the server before any byte came: try a fresh one."""


class _Stop(Exception):
    """Raised from a parser callback: the answer is complete, parse no further."""


class Owner(Protocol):
    """What a connection needs of its pool (`lean.LeanPool`)."""

    loop: asyncio.AbstractEventLoop

    def _release(self, conn: Connection) -> None:
        """`conn` answered and may be used again: keep it idle."""

    def _forget(self, conn: Connection) -> None:
        """`conn` is closed."""


class Connection(asyncio.Protocol):
    """One connection to one host, one request at a time."""

    def __init__(self, pool: Owner, key: tuple[str, str, int]) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.requests = 0
        self.idle_since = 0.0
        self.cert_not_after: float | None = None
        self.early = b""
        """Bytes the server sent before the first request went out (kept for it)."""
        self.waiter: asyncio.Future[Response] | None = None
        self.parser: httptools.HttpResponseParser | None = None
        self._expect(head=True, body=None)

    def _expect(self, *, head: bool, body: BodyReader | None) -> None:
        """Forget the last response: the state of the one to come."""
        self.head = head
        self.body = body
        self.got_bytes = False
        self.head_start = b""
        """The first bytes of the response, quoted when its status line cannot be read."""
        self.head_bytes = 0
        self.headers_done = self.interim = self.keep_alive = False
        self.complete = self.body_seen = self.spoiled = False
        self.fields = 0
        self.status = 0
        self.reason = b""
        self.headers: dict[bytes, bytes] = {}

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        if transport.get_extra_info("sslcontext") is not None:
            cert = transport.get_extra_info("peercert") or {}
            not_after = cert.get("notAfter")
            if isinstance(not_after, str):
                try:
                    self.cert_not_after = float(ssl.cert_time_to_seconds(not_after))
                except ValueError:
                    self.cert_not_after = None

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            if self.requests == 0 and len(self.early) + len(data) <= MAX_HEAD_BYTES:
                self.early += data  # an answer before the question: curl reads it as the answer
                return
            self.close()  # bytes nobody asked for: the connection cannot be trusted again
            return
        self._feed(data)

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool._forget(self)
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.headers_done:  # the body was being read
            if exc is None and self._body_ends_at_close():
                self.complete = True
                self._answer()
            else:
                self._fail(failures.broke_off("the connection ended before the body did"))
        elif self.requests > 1 and not self.got_bytes:
            self._fail(Stale())
        else:
            self._fail(failures.connection_lost(exc))

    # the pool's side

    def send(
        self,
        data: bytes,
        *,
        head: bool,
        body_limit: int = 0,
        body_types: frozenset[str] | None = None,
    ) -> asyncio.Future[Response]:
        """Write one request; the future gets the response or `failures.Failed`. The first
        `body_limit` bytes of the body are read, when its type is one of `body_types`."""
        assert self.transport is not None
        self.requests += 1
        body = BodyReader(body_limit, None, body_types) if body_limit else None
        self._expect(head=head, body=body)
        parser = httptools.HttpResponseParser(self)
        parser.set_dangerous_leniencies(
            lenient_headers=True,
            lenient_optional_cr_before_lf=True,
            lenient_spaces_after_chunk_size=True,
        )
        self.parser = parser
        self.waiter = waiter = self.pool.loop.create_future()
        self.transport.write(data)
        if self.early:
            early, self.early = self.early, b""
            self._feed(early)
        return waiter

    def close(self) -> None:
        """Close the connection (at once: nothing more is wanted from it)."""
        if not self.closed:
            self.closed = True
            self.pool._forget(self)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    # parsing

    def _feed(self, data: bytes) -> None:
        parser = self.parser
        assert parser is not None
        if not self.got_bytes:
            self.got_bytes = True
            self.head_start = data[:80]
        if not self.headers_done:
            self.head_bytes += len(data)
        try:
            parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, failures.Failed):
                self._fail(cause)
                return
            if not isinstance(cause, _Stop):
                raise
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            if not self.headers_done:
                self._fail(failures.protocol(self._parser_error(exc)))
                return
            self.spoiled = True  # the answer stands; what came after it cannot be trusted
        if not self.headers_done:
            if self.head_bytes > MAX_HEAD_BYTES:
                self._fail(failures.protocol(f"the response head is over {MAX_HEAD_BYTES:,} bytes"))
            return
        if self.body is not None and not (self.complete or self.body.full or self.spoiled):
            return  # more of the body to come
        self._answer()

    def _answer(self) -> None:
        waiter = self.waiter
        assert waiter is not None
        headers = {
            name.decode("ascii", "replace"): value.decode("utf-8", "surrogateescape")
            for name, value in self.headers.items()
        }
        body = None
        if self.body is not None:
            body = self.body.content()
        response = Response(
            status=self.status,
            reason=self.reason.decode("utf-8", "surrogateescape"),
            headers=headers,
            body=body,
            cert_not_after=self.cert_not_after,
        )
        # A HEAD's answer is its head; any other is whole only once its message is complete.
        # Only a connection whose answer is whole and that says keep-alive is used again.
        whole = self.complete or (self.head and not self.body_seen)
        keep = whole and self.keep_alive and not self.spoiled
        self.waiter = None
        self.parser = None
        if keep:
            self.pool._release(self)
        else:
            self.close()
        waiter.set_result(response)

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter, self.parser = self.waiter, None, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _parser_error(self, exc: Exception) -> str:
        """llhttp's complaint; with the status line quoted when that is what it could not read
        (as aiohttp quotes it), so a server speaking another protocol shows which."""
        reason = str(exc) or type(exc).__name__
        if self.reason or self.fields:
            return reason  # a later line is at fault: which one, llhttp does not say
        first_line = self.head_start.split(b"\n", 1)[0].rstrip(b"\r")[:60]
        return f"{reason}: {first_line!r}"

    def _body_ends_at_close(self) -> bool:
        """Whether the body is delimited by the end of the connection (no length, not chunked)."""
        return b"content-length" not in self.headers and b"transfer-encoding" not in self.headers

    # httptools callbacks (they run inside feed_data)

    def on_message_begin(self) -> None:
        if self.headers_done:
            self.spoiled = True  # a second response nobody asked for
            raise _Stop

    def on_status(self, status: bytes) -> None:
        self.reason += status
        if len(self.reason) > MAX_LINE:
            raise failures.protocol(f"the status line is longer than {MAX_LINE:,} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields += 1
        if len(name) + len(value) + 4 > MAX_LINE:  # "name: value\r\n"
            raise failures.protocol(f"a header line is longer than {MAX_LINE:,} bytes")
        if b"\x00" in value:
            raise failures.protocol("a NUL byte in a header value")  # as aiohttp refuses it
        lower = name.lower()
        if lower in KEPT_HEADERS and lower not in self.headers:
            self.headers[lower] = value.rstrip(b" \t")  # llhttp keeps trailing blanks

    def on_headers_complete(self) -> None:
        parser = self.parser
        assert parser is not None  # it is calling
        status = parser.get_status_code()
        if status not in STATUS_RANGE:
            raise failures.protocol(f"{status:03d} is not an HTTP status (100 to 999)")
        if 100 <= status < 200 and status != 101:
            # An interim response (100 Continue, 103 Early Hints …): the answer comes next.
            self.interim = True
            self.fields = 0
            self.reason = b""
            self.headers = {}
            return
        self.status = status
        self.headers_done = True
        # Asked now: once the message is complete, llhttp has reset what this reads.
        self.keep_alive = status != 101 and parser.should_keep_alive()
        if self.body is None and not self.head and status in SNIFF_STATUSES:
            # A status bot walls come with: the head of the body tells a wall from the
            # site's own answer (`walls`); it is read for that alone.
            self.body = BodyReader(SNIFF_BYTES, None)
        if self.body is not None:
            content_type = self.headers.get(b"content-type", b"").decode("latin-1")
            if not self.body.wants(content_type):
                self.body = None  # an image, say, for a page's links: answer with the head
            else:
                self.body = BodyReader(
                    self.body.limit,
                    self.headers.get(b"content-encoding", b"").decode("latin-1"),
                )

    def on_body(self, body: bytes) -> None:
        self.body_seen = True
        if self.body is not None:
            self.body.feed(body)
            if self.body.full:
                raise _Stop

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        self.complete = True
