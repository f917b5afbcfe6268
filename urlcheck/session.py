"""The aiohttp side of a check: the session a run shares, one request through it, and the
names of its failures. Imported only when a request needs aiohttp (see `checker`)."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import aiohttp
from yarl import URL

from .connection import BODY_LIMIT, proxy_for, retry_after_seconds, session_headers, ssl_context
from .inputs import mask_url
from .models import (
    Attempt,
    CheckOptions,
    ErrorKind,
    timeout_message,
    too_many_redirects_message,
)

QUOTE_MAX = 200
"""Characters of a server's or a library's text quoted in an error message, at most."""


def one_line(text: object, limit: int = QUOTE_MAX) -> str:
    """Foreign text (a server's, a library's) folded onto one line and cut to `limit`."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def classify(exc: BaseException, timeout: float) -> tuple[ErrorKind, str]:
    """Map an exception from one request to an error kind and a one-line message."""
    if isinstance(exc, aiohttp.TooManyRedirects):
        return ErrorKind.TOO_MANY_REDIRECTS, too_many_redirects_message(len(exc.history))
    if isinstance(exc, aiohttp.NonHttpUrlRedirectClientError):
        location = one_line(mask_url(str(exc.args[0]))) if exc.args else "?"
        return ErrorKind.INVALID_URL, f"redirected to a URL that is not http(s): {location}"
    if isinstance(exc, aiohttp.InvalidUrlRedirectClientError):
        location = one_line(mask_url(str(exc.url)))
        return ErrorKind.PROTOCOL, f"redirected to an invalid URL: {location}"
    if isinstance(exc, aiohttp.InvalidURL):
        why = f" ({one_line(exc.description)})" if exc.description else ""
        return ErrorKind.INVALID_URL, f"invalid URL: {one_line(mask_url(str(exc.url)))}{why}"
    if isinstance(exc, TimeoutError):  # aiohttp's own timeouts are TimeoutErrors too
        return ErrorKind.TIMEOUT, timeout_message(timeout)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ErrorKind.DNS, f"cannot resolve host {exc.host!r}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert = exc.certificate_error
        detail = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or cert
        return ErrorKind.TLS, f"TLS certificate not trusted: {one_line(detail)}"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        return ErrorKind.TLS, f"TLS handshake failed: {one_line(reason)}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        where = f"{exc.host}:{exc.port}"
        if isinstance(os_error, ConnectionRefusedError) or os_error.errno == errno.ECONNREFUSED:
            return ErrorKind.REFUSED, f"connection refused by {where}"
        if isinstance(os_error, TimeoutError):
            return ErrorKind.TIMEOUT, f"connecting to {where} timed out"
        if isinstance(os_error, socket.gaierror):
            # An IP-literal host skips aiohttp's resolver, so this is not a DNSError there.
            return ErrorKind.DNS, f"cannot resolve host {exc.host!r}: {one_line(os_error)}"
        detail = one_line(os_error.strerror or os_error)
        return ErrorKind.REFUSED, f"cannot connect to {where}: {detail}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ErrorKind.DISCONNECTED, "the server closed the connection without a complete answer"
    if isinstance(exc, aiohttp.ClientResponseError):
        # The response parser's complaints (bad status line, header too large …) land here.
        return ErrorKind.PROTOCOL, f"invalid HTTP response: {one_line(exc.message)}"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ErrorKind.DISCONNECTED, f"the answer broke off: {one_line(exc)}"
    if (
        isinstance(exc, ConnectionResetError | aiohttp.ClientConnectionResetError)
        or getattr(exc, "errno", None) == errno.ECONNRESET  # aiohttp's ClientOSError
    ):
        return ErrorKind.DISCONNECTED, "the connection was reset"
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return ErrorKind.DISCONNECTED, f"connection error: {one_line(exc.strerror or exc)}"
    if isinstance(exc, UnicodeError):
        # socket.getaddrinfo encodes the host with IDNA: an empty or over-long label fails so.
        return ErrorKind.INVALID_URL, f"invalid host name: {one_line(exc)}"
    if isinstance(exc, aiohttp.ClientError):
        return ErrorKind.OTHER, f"{type(exc).__name__}: {one_line(exc)}"
    return ErrorKind.OTHER, f"unexpected {type(exc).__name__}: {one_line(exc)}"


async def read_head_of_body(resp: aiohttp.ClientResponse) -> str:
    """The first `BODY_LIMIT` bytes of a body, decoded (undecodable bytes replaced)."""
    chunks: list[bytes] = []
    size = 0
    while size < BODY_LIMIT:
        chunk = await resp.content.read(BODY_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    try:
        return b"".join(chunks).decode(resp.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return b"".join(chunks).decode("utf-8", errors="replace")


async def request(
    session: aiohttp.ClientSession,
    url: URL | str,
    method: str,
    options: CheckOptions,
    *,
    contains: str | None = None,
    redirects_before: int = 0,
) -> Attempt:
    """One request with redirects followed; the body is read only for ``contains=``.

    `redirects_before`: redirects already followed to reach `url` (by the lean client); they
    count against ``--max-redirects`` and in the result.
    """
    try:
        async with session.request(
            method,
            url,
            proxy=proxy_for(str(url)),
            allow_redirects=options.max_redirects > 0,
            max_redirects=options.max_redirects - redirects_before,
        ) as resp:
            attempt = Attempt(
                method=method,
                status=resp.status,
                reason=resp.reason,
                final_url=str(resp.url),
                redirects=redirects_before + len(resp.history),
                retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
            )
            if contains is not None and method == "GET":
                attempt.body_match = contains in await read_head_of_body(resp)
            return attempt
    except asyncio.CancelledError:
        raise
    except aiohttp.TooManyRedirects as exc:
        return Attempt.too_many_redirects(method, redirects_before + len(exc.history))
    except Exception as exc:
        kind, message = classify(exc, options.timeout)
        return Attempt(method=method, error_kind=kind, error=message)


def create_session(options: CheckOptions) -> aiohttp.ClientSession:
    """The one session a run shares: pooled connections, per-host limit, no cookies."""
    connector = aiohttp.TCPConnector(
        limit=options.concurrency,
        limit_per_host=options.per_host,
        ssl=ssl_context(options) if options.ca_bundle or options.insecure else True,
        ttl_dns_cache=300,
    )
    return aiohttp.ClientSession(
        connector=connector,
        # One deadline per attempt is enforced around the request; no second clock here.
        timeout=aiohttp.ClientTimeout(total=None),
        cookie_jar=aiohttp.DummyCookieJar(),
        headers=session_headers(options),
        # trust_env would re-read ~/.netrc and the proxy variables on every request (in a
        # thread, for netrc): the proxies are read once instead, by proxy_for.
        trust_env=False,
    )
