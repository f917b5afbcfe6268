"""The aiohttp side of a check: for requests through a proxy, and for a caller's own session
(``fetch_url(session, url)``). Imported only then: a run that needs it imports it before its
first check, so no check in flight waits for the import.

Its failures are named by the same builders as the lean client's (`failures`), and its
redirects are counted by urlcheck's contract, not aiohttp's: ``max_redirects`` is how many
are followed, and a redirect without a ``Location`` is the answer, not a redirect followed.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import aiohttp
from yarl import URL

from ..models import Attempt, ErrorKind
from ..options import CheckOptions
from ..urls import mask_url
from . import failures
from .body import BodyReader
from .config import proxy_for, retry_after_seconds, session_headers, ssl_context
from .protocol import MAX_HEAD_BYTES, MAX_LINE
from .redirects import PRIVATE_HEADERS
from .walls import SNIFF_BYTES, SNIFF_STATUSES, challenge


def classify(exc: BaseException) -> failures.Failed:
    """Name the failure behind an exception from one aiohttp request."""
    if isinstance(exc, aiohttp.NonHttpUrlRedirectClientError):
        return failures.redirect_not_http(mask_url(str(exc.args[0])) if exc.args else "?")
    if isinstance(exc, aiohttp.InvalidUrlRedirectClientError):
        return failures.redirect_invalid(mask_url(str(exc.url)))
    if isinstance(exc, aiohttp.InvalidURL):
        return failures.invalid_url(mask_url(str(exc.url)), exc.description)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return failures.dns(exc.host, exc.os_error.strerror)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return failures.tls_error(exc.certificate_error)
    if isinstance(exc, aiohttp.ClientSSLError):
        return failures.tls_error(exc.os_error if exc.os_error is not None else exc)
    if isinstance(exc, ssl.SSLError):
        return failures.tls_error(exc)
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, socket.gaierror):
            # An IP-literal host skips aiohttp's resolver, so this is not a DNSError there.
            return failures.dns(exc.host, os_error.strerror or os_error)
        if isinstance(os_error, ConnectionResetError) or os_error.errno == errno.ECONNRESET:
            return failures.reset()  # accepted, then reset: not a refusal
        return failures.connect_error(os_error, exc.host, exc.port or 0)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return failures.closed()
    if isinstance(exc, aiohttp.ClientResponseError):
        # The response parser's complaints (bad status line, header too large …) land here.
        return failures.protocol(exc.message)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return failures.broke_off(exc)
    if isinstance(exc, ConnectionResetError | aiohttp.ClientConnectionResetError) or (
        getattr(exc, "errno", None) == errno.ECONNRESET  # aiohttp's ClientOSError
    ):
        return failures.reset()
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return failures.connection_lost(exc)
    if isinstance(exc, UnicodeError):
        # socket.getaddrinfo encodes the host with IDNA: an empty or over-long label fails so.
        return failures.Failed(
            ErrorKind.INVALID_URL, f"invalid host name: {failures.one_line(exc)}"
        )
    if isinstance(exc, aiohttp.ClientError):
        return failures.Failed(ErrorKind.OTHER, f"{type(exc).__name__}: {failures.one_line(exc)}")
    return failures.Failed(
        ErrorKind.OTHER, f"unexpected {type(exc).__name__}: {failures.one_line(exc)}"
    )


async def read_head_of_body(resp: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """The first `limit` bytes of a body (its Content-Encoding undone), and whether that was
    all of it."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await resp.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    complete = size < limit or resp.content.at_eof()
    return b"".join(chunks), complete


async def request(
    session: aiohttp.ClientSession,
    url: URL,
    method: str,
    options: CheckOptions,
    *,
    body_limit: int = 0,
    body_types: frozenset[str] | None = None,
    redirects_before: int = 0,
    private: bool = True,
) -> Attempt:
    """One request with redirects followed; the first `body_limit` bytes of the body read
    into the attempt's `body`, when not 0 and the body's type is one of `body_types`.

    `redirects_before`: redirects already followed to reach `url` (by the lean client); they
    count against ``--max-redirects`` and in the result. `private`: send the private
    ``--header``s too (not after a redirect to another origin).
    """
    allowed = options.max_redirects - redirects_before
    # The --headers go with each request, so that a caller's own session sends them too; the
    # private ones only while `private`, and aiohttp drops them itself on a change of origin.
    headers = {
        name: value
        for name, value in options.headers
        if private or name.lower() not in PRIVATE_HEADERS
    }
    try:
        async with session.request(
            method,
            url,
            headers=headers or None,
            proxy=proxy_for(str(url)),
            allow_redirects=allowed > 0,
            # aiohttp fails at the max_redirects'th redirect; urlcheck follows that many.
            max_redirects=allowed + 1,
        ) as resp:
            followed = sum(1 for hop in resp.history if hop is not resp)
            attempt = Attempt(
                method=method,
                status=resp.status,
                reason=resp.reason,
                final_url=str(resp.url),
                redirects=redirects_before + followed,
                retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
            )
            if body_limit and BodyReader(0, None, body_types).wants(resp.content_type):
                attempt.content_type = resp.headers.get("Content-Type")
                attempt.body, attempt.body_complete = await read_head_of_body(resp, body_limit)
            head = attempt.body
            if head is None and method == "GET" and resp.status in SNIFF_STATUSES:
                head, _ = await read_head_of_body(resp, SNIFF_BYTES)
            headers = {name.lower(): resp.headers[name] for name in resp.headers}
            wall = challenge(resp.status, headers, head)  # any status: AWS's comes as a 202
            attempt.wall = None if wall is None else f"{wall.vendor}: {wall.evidence}"
            return attempt
    except asyncio.CancelledError:
        raise
    except aiohttp.TooManyRedirects:
        return Attempt.too_many_redirects(method, options.max_redirects)
    except Exception as exc:
        failed = classify(exc)
        return Attempt(method=method, error_kind=failed.kind, error=failed.message)


def create_session(
    options: CheckOptions, context: ssl.SSLContext | None = None
) -> aiohttp.ClientSession:
    """The session of a run's proxied requests: pooled connections, per-host limit, no cookies;
    `context` is ``ssl_context(options)``, loaded by the caller off the loop (`Client`
    does). Without one, aiohttp's own verifying context (made when it was imported) is used,
    unless ``--ca-bundle`` or ``--insecure`` asks for ours: loaded here, so call this in a
    thread then.

    The private ``--header``s are not session defaults: `request` adds them per request, so
    aiohttp drops them on a redirect to another origin, as the lean client does.
    """
    connector = aiohttp.TCPConnector(
        limit=options.concurrency,
        limit_per_host=options.per_host,
        ssl=context or (ssl_context(options) if options.ca_bundle or options.insecure else True),
        ttl_dns_cache=300,
    )
    headers = {
        k: v for k, v in session_headers(options).items() if k.lower() not in PRIVATE_HEADERS
    }
    return aiohttp.ClientSession(
        connector=connector,
        # One deadline per attempt is enforced around the request; no second clock here.
        timeout=aiohttp.ClientTimeout(total=None),
        cookie_jar=aiohttp.DummyCookieJar(),
        headers=headers,
        # The lean client's limits (curl's), so a proxied check reads what a direct one reads.
        max_line_size=MAX_LINE,
        max_field_size=MAX_LINE,
        max_headers=MAX_HEAD_BYTES // 4,
        # trust_env would re-read ~/.netrc and the proxy variables on every request (in a
        # thread, for netrc): the proxies are read once instead, by proxy_for.
        trust_env=False,
    )
