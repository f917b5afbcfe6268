"""Servers that misbehave on purpose, for the reliability tests (tests/test_faults.py).

Two of them, both on 127.0.0.1 in a background thread (see `servers.py`):

- `serve_faults()`: a raw asyncio socket server for what an HTTP library would refuse to
  do: never answer, hang up, reset, speak something else than HTTP, send a header too big
  or one byte at a time, a body that never ends. It reads one request per connection,
  picks the fault by the request's path, and counts the connections it accepts and the
  bytes it sends per path.
- `fault_app()`: an aiohttp app for faults HTTP can express: HEAD refused, redirect loops,
  redirects to other schemes or to an unparsable Location, 429/503 with Retry-After, and
  servers that echo the password they were sent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import ipaddress
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .servers import SERVED, Served, serve_raw

TEN_GB = 10 * 1024**3
CHUNK = b"x" * 65536
DRIBBLE_SECONDS = 600.0
"""How long `/dribble` keeps sending its headers, a byte at a time: far past any timeout."""
MAX_REQUEST_HEAD = 65536


@dataclass
class FaultRecord:
    """What the raw fault server saw and did, shared with the test thread."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every request, in order."""
    sent: dict[str, int] = field(default_factory=dict)
    """Bytes written per path (a response that never ends keeps counting)."""
    accepted: int = 0
    """Connections accepted, whether or not a request came on them."""

    def methods(self, path: str) -> list[str]:
        """The methods of the requests made to `path`."""
        return [method for method, seen in self.requests if seen == path]


@dataclass
class FaultServer:
    """A running raw fault server: its address and its record."""

    served: Served
    record: FaultRecord

    def url(self, path: str) -> str:
        """An absolute URL on the fault server."""
        return self.served.url(path)


@dataclass
class _Conn:
    method: str
    path: str
    headers: dict[str, str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    record: FaultRecord

    async def send(self, data: bytes) -> None:
        """Write and wait for the socket: a reader that stops reading stops us too."""
        self.writer.write(data)
        self.record.sent[self.path] = self.record.sent.get(self.path, 0) + len(data)
        await self.writer.drain()

    async def respond(self, status: str, body: bytes = b"", *, head_only: bool = False) -> None:
        """A well-formed HTTP/1.1 answer, then close."""
        head = (
            f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: text/plain\r\nConnection: close\r\n\r\n"
        ).encode()
        await self.send(head if head_only or self.method == "HEAD" else head + body)


FaultHandler = Callable[[_Conn], Awaitable[None]]
FAULTS: dict[str, FaultHandler] = {}


def fault(path: str) -> Callable[[FaultHandler], FaultHandler]:
    """Register a raw handler for `path`."""

    def register(handler: FaultHandler) -> FaultHandler:
        FAULTS[path] = handler
        return handler

    return register


@fault("/ok")
async def _ok(conn: _Conn) -> None:
    await conn.respond("200 OK", b"fine")


@fault("/hang")
async def _hang(conn: _Conn) -> None:
    """Accept, read the request, never answer."""
    await asyncio.sleep(3600)


@fault("/close")
async def _close(conn: _Conn) -> None:
    """Read the request and hang up (FIN) without a byte of answer."""
    conn.writer.close()


@fault("/reset")
async def _reset(conn: _Conn) -> None:
    """Read the request and reset the connection (SO_LINGER 0 makes close send RST)."""
    sock = conn.writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.writer.transport.abort()


@fault("/not-http")
async def _not_http(conn: _Conn) -> None:
    """Answer in another protocol entirely, then wait."""
    await conn.send(b"SSH-2.0-OpenSSH_9.6 not HTTP at all\r\n\r\n")
    await asyncio.sleep(3600)


@fault("/huge-header")
async def _huge_header(conn: _Conn) -> None:
    """One header line of 200 KB: twice what curl reads (100 KiB a line)."""
    await conn.send(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Huge: " + b"a" * 200_000 + b"\r\n\r\n"
    )
    await asyncio.sleep(3600)


_MANY_HEADERS = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
    + b"".join(b"X-H%d: v\r\n" % n for n in range(100_000))
    + b"\r\n"
)
"""Made once, not on the server's loop for every request (tens of ms each)."""


@fault("/many-headers")
async def _many_headers(conn: _Conn) -> None:
    """100,000 small headers: a head of 1.2 MB, past curl's 300 KiB for a whole head."""
    await conn.send(_MANY_HEADERS)
    await asyncio.sleep(3600)


@fault("/dribble")
async def _dribble(conn: _Conn) -> None:
    """A status line at once, then headers one byte every 50 ms, for minutes."""
    await conn.send(b"HTTP/1.1 200 OK\r\n")
    deadline = time.monotonic() + DRIBBLE_SECONDS
    while time.monotonic() < deadline:
        for byte in b"X-Slow: still coming\r\n":
            await conn.send(bytes([byte]))
            await asyncio.sleep(0.05)


async def _endless(conn: _Conn, head: bytes, *, chunked: bool) -> None:
    await conn.send(head)
    while True:
        await conn.send(b"10000\r\n" + CHUNK + b"\r\n" if chunked else CHUNK)


@fault("/endless")
async def _endless_chunked(conn: _Conn) -> None:
    """HEAD refused; GET gets a chunked body that never ends."""
    if conn.method == "HEAD":
        await conn.respond("405 Method Not Allowed")
        return
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    await _endless(conn, head, chunked=True)


@fault("/10gb")
async def _ten_gb(conn: _Conn) -> None:
    """HEAD refused; GET gets a body that claims 10 GB and streams as fast as it can."""
    if conn.method == "HEAD":
        await conn.respond("405 Method Not Allowed")
        return
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {TEN_GB}\r\nContent-Type: video/mp4\r\n\r\n"
    await _endless(conn, head.encode(), chunked=False)


@fault("/http10")
async def _http10(conn: _Conn) -> None:
    """HTTP/1.0 without Content-Length: the body runs until the server closes."""
    await conn.send(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    if conn.method != "HEAD":
        await conn.send(b"an old server\n" * 1000)
    conn.writer.close()


@fault("/http10-endless")
async def _http10_endless(conn: _Conn) -> None:
    """HTTP/1.0 without Content-Length whose body never ends (GET only)."""
    if conn.method == "HEAD":
        await conn.respond("405 Method Not Allowed")
        return
    await _endless(conn, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n", chunked=False)


@fault("/echo-password")
async def _echo_password(conn: _Conn) -> None:
    """Send the Basic-auth password back inside a broken status line (for the leak tests)."""
    password = _basic_password(conn.headers.get("authorization", ""))
    await conn.send(f"{password} 200 OK\r\n\r\n".encode())
    await asyncio.sleep(3600)


def _basic_password(header: str) -> str:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    return base64.b64decode(encoded).decode().partition(":")[2]


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, path, *_ = [*request_line.split(" "), "", ""]
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method, path.partition("?")[0], headers


@contextlib.contextmanager
def serve_faults() -> Iterator[FaultServer]:
    """Run the raw fault server for the block."""
    record = FaultRecord()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        record.accepted += 1
        request = await _read_head(reader)
        if request is None:
            return
        method, path, headers = request
        record.requests.append((method, path))
        conn = _Conn(method, path, headers, reader, writer, record)
        handler = FAULTS.get(path)
        if handler is None:
            await conn.respond("404 Not Found", b"no such fault")
        else:
            await handler(conn)

    with serve_raw(handle) as served:
        yield FaultServer(served, record)


def http_date(seconds_from_now: float) -> str:
    """An HTTP-date (IMF-fixdate) that many seconds from now."""
    when = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return email.utils.format_datetime(when, usegmt=True)


def fault_app() -> web.Application:
    """Faults HTTP can express: refusals, bad redirects, Retry-After, echoed passwords."""
    routes = web.RouteTableDef()

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[..., Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        served = request.app[SERVED]
        # The raw path: what was on the wire, percent-encoding and all.
        served.log.append((request.method, request.raw_path, dict(request.headers)))
        times = served.state.setdefault("times:" + request.path, [])
        assert isinstance(times, list)
        times.append(time.monotonic())
        return await handler(request)

    @routes.route("*", "/ok")
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    @routes.route("*", "/any/{tail:.*}")
    async def anything(request: web.Request) -> web.Response:
        return web.Response(text="any path is fine")

    @routes.route("*", "/slow/{n}")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("delay", "1")))
        return web.Response(text="slow but fine")

    @routes.route("*", "/head-refused")
    async def head_refused(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=405)
        return web.Response(text="GET is fine")

    @routes.route("*", "/loop")
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    @routes.route("*", "/ping")
    async def ping(request: web.Request) -> web.Response:
        raise web.HTTPFound("/pong")

    @routes.route("*", "/pong")
    async def pong(request: web.Request) -> web.Response:
        raise web.HTTPFound("/ping")

    @routes.route("*", "/to/{where}")
    async def to(request: web.Request) -> web.Response:
        location = {
            "ftp": "ftp://files.example.invalid/pub/file.txt",
            "mailto": "mailto:someone@example.invalid",
            "javascript": "javascript:alert(1)",
            "unparsable": "http://[::1",
            "bad-port": "http://127.0.0.1:99999/",
            "nothing": "",
        }[request.match_info["where"]]
        return web.Response(status=302, headers={"Location": location})

    @routes.route("*", "/retry/{key}")
    async def retry(request: web.Request) -> web.Response:
        """Fail the first `fail` requests with `code` and a Retry-After, then succeed."""
        served = request.app[SERVED]
        key = "count:" + request.match_info["key"]
        count = int(served.state.get(key, 0)) + 1  # type: ignore[call-overload]
        served.state[key] = count
        if count > int(request.query.get("fail", "1")):
            return web.Response(text="recovered")
        headers = {}
        if "after" in request.query:
            headers["Retry-After"] = request.query["after"]
        elif "date" in request.query:
            headers["Retry-After"] = http_date(float(request.query["date"]))
        return web.Response(status=int(request.query.get("code", "503")), headers=headers)

    @routes.route("*", "/leak/{how}")
    async def leak(request: web.Request) -> web.Response:
        """Hand the password it was sent back in every place a result shows."""
        password = _basic_password(request.headers.get("Authorization", ""))
        how = request.match_info["how"]
        host = request.host
        location = {
            "redirect-userinfo": f"http://user:{password}@{host}/ok",
            "redirect-query": f"/ok?password={password}",
            "redirect-ftp": f"ftp://user:{password}@{host}/x?p={password}",
            "redirect-unparsable": f"http://[{password}",
        }.get(how)
        if location is not None:
            return web.Response(status=302, headers={"Location": location})
        if how == "reason":
            return web.Response(status=401, reason=f"Wrong password {password}")
        raise web.HTTPNotFound()

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    return app


def request_times(served: Served, path: str) -> list[float]:
    """When (time.monotonic) the fault app saw each request to `path`."""
    times = served.state.get("times:" + path, [])
    assert isinstance(times, list)
    return [float(t) for t in times]


@dataclass
class TlsFaults:
    """Server-side TLS contexts for the certificate faults, and the CA a client may trust."""

    ca: trustme.CA
    valid: ssl.SSLContext
    """A leaf for 127.0.0.1 signed by `ca`: fine once the client trusts `ca`."""
    expired: ssl.SSLContext
    """Signed by `ca` for 127.0.0.1, but it expired yesterday."""
    mismatch: ssl.SSLContext
    """Signed by `ca`, valid, but for another host name."""
    self_signed: ssl.SSLContext
    """Signed by itself (no CA at all) for 127.0.0.1."""

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts `ca`."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


def _server_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_bytes(cert_pem)
        key_path.write_bytes(key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
    return context


def _self_signed(host: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def slow_trust_store(ca: trustme.CA, path: Path) -> float:
    """Write to `path` a CA bundle a thousand copies of `ca` long; how many ms it takes to
    load (hundreds: what a check's time must never include)."""
    path.write_bytes(ca.cert_pem.bytes() * 1000)
    started = time.perf_counter()
    ssl.create_default_context(cafile=str(path))
    return (time.perf_counter() - started) * 1000


def tls_faults(host: str = "127.0.0.1") -> TlsFaults:
    """Fresh certificates for every TLS fault, made on the spot (nothing is stored)."""
    ca = trustme.CA()
    now = datetime.now(UTC)

    def leaf(*names: str, **dates: datetime) -> ssl.SSLContext:
        cert = ca.issue_cert(*names, **dates)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    return TlsFaults(
        ca=ca,
        valid=leaf(host),
        expired=leaf(host, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1)),
        mismatch=leaf("other.example"),
        self_signed=_server_context(*_self_signed(host)),
    )


def urlcheck_env(**extra: str) -> dict[str, str]:
    """The environment of a real `urlcheck` process: no URLCHECK_ settings leak in, and
    stdout is buffered as for any user (PYTHONUNBUFFERED, set to anything, even "0", turns
    a write to a closed pipe into a silent short write instead of an error)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("URLCHECK_") and key != "PYTHONUNBUFFERED"
    }
    env.update(extra)
    return env


def urlcheck_command(*args: str) -> list[str]:
    """The installed `urlcheck` console script (or ``python -m urlcheck``) with `args`."""
    script = Path(sys.executable).with_name("urlcheck")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "urlcheck", *args]


def run_urlcheck(
    *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command to the end and capture what it printed."""
    return subprocess.run(
        urlcheck_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else urlcheck_env(),
        check=False,
    )
