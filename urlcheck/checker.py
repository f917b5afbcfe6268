"""The async core: check one URL (`fetch_url`) or many over one session (`check_urls`).

It never prints, exits or reads options from the environment: the CLI, the web view
and any other caller get `CheckResult`s and decide what to do with them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email.utils
import errno
import functools
import random
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

import aiohttp
from yarl import URL

from ._version import __version__
from .inputs import mask_url, scrub, secrets_in
from .models import CheckOptions, CheckResult, ErrorKind, StatusRanges, Target

DEFAULT_USER_AGENT = f"urlcheck/{__version__}"
BODY_LIMIT = 64 * 1024
"""Bytes of a body read for ``contains=``; no other check reads a body."""
CERT_PROBE_TIMEOUT = 5.0
"""Seconds for the extra TLS handshake that reads a host's certificate."""
QUOTE_MAX = 200
"""Characters of a server's or a library's text quoted in an error message, at most."""
CERT_HOSTS_KEPT = 4096
"""Hosts whose certificate days a run remembers; past that the oldest are read again."""
QUEUE_PER_WORKER = 2
"""Targets read ahead per worker: enough to keep workers busy, few enough to stay flat."""

_RETRY_KINDS = frozenset({ErrorKind.TIMEOUT, ErrorKind.REFUSED, ErrorKind.DISCONNECTED})
_FALLBACK_KINDS = frozenset({ErrorKind.PROTOCOL, ErrorKind.DISCONNECTED})
"""A HEAD that fails like this is tried again as GET: some servers mishandle HEAD."""


@dataclass(slots=True)
class _Attempt:
    """What one attempt (one request, or HEAD then GET) ended with."""

    method: str
    status: int | None = None
    reason: str | None = None
    final_url: str | None = None
    redirects: int = 0
    error_kind: ErrorKind | None = None
    error: str | None = None
    retry_after: float | None = None
    body_match: bool | None = None
    """Whether the body held the ``contains=`` text (None: not looked at)."""


def _one_line(text: object, limit: int = QUOTE_MAX) -> str:
    """Foreign text (a server's, a library's) folded onto one line and cut to `limit`."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def classify(exc: BaseException, timeout: float) -> tuple[ErrorKind, str]:
    """Map an exception from one request to an error kind and a one-line message."""
    if isinstance(exc, aiohttp.TooManyRedirects):
        return ErrorKind.TOO_MANY_REDIRECTS, f"more than {len(exc.history)} redirects"
    if isinstance(exc, aiohttp.NonHttpUrlRedirectClientError):
        location = _one_line(mask_url(str(exc.args[0]))) if exc.args else "?"
        return ErrorKind.INVALID_URL, f"redirected to a URL that is not http(s): {location}"
    if isinstance(exc, aiohttp.InvalidUrlRedirectClientError):
        location = _one_line(mask_url(str(exc.url)))
        return ErrorKind.PROTOCOL, f"redirected to an invalid URL: {location}"
    if isinstance(exc, aiohttp.InvalidURL):
        why = f" ({_one_line(exc.description)})" if exc.description else ""
        return ErrorKind.INVALID_URL, f"invalid URL: {_one_line(mask_url(str(exc.url)))}{why}"
    if isinstance(exc, TimeoutError):  # aiohttp's own timeouts are TimeoutErrors too
        return ErrorKind.TIMEOUT, f"no complete answer within {timeout:g} s"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ErrorKind.DNS, f"cannot resolve host {exc.host!r}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert = exc.certificate_error
        detail = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or cert
        return ErrorKind.TLS, f"TLS certificate not trusted: {_one_line(detail)}"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        return ErrorKind.TLS, f"TLS handshake failed: {_one_line(reason)}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        where = f"{exc.host}:{exc.port}"
        if isinstance(os_error, ConnectionRefusedError) or os_error.errno == errno.ECONNREFUSED:
            return ErrorKind.REFUSED, f"connection refused by {where}"
        if isinstance(os_error, TimeoutError):
            return ErrorKind.TIMEOUT, f"connecting to {where} timed out"
        if isinstance(os_error, socket.gaierror):
            # An IP-literal host skips aiohttp's resolver, so this is not a DNSError there.
            return ErrorKind.DNS, f"cannot resolve host {exc.host!r}: {_one_line(os_error)}"
        detail = _one_line(os_error.strerror or os_error)
        return ErrorKind.REFUSED, f"cannot connect to {where}: {detail}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ErrorKind.DISCONNECTED, "the server closed the connection without a complete answer"
    if isinstance(exc, aiohttp.ClientResponseError):
        # The response parser's complaints (bad status line, header too large …) land here.
        return ErrorKind.PROTOCOL, f"invalid HTTP response: {_one_line(exc.message)}"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ErrorKind.DISCONNECTED, f"the answer broke off: {_one_line(exc)}"
    if (
        isinstance(exc, ConnectionResetError | aiohttp.ClientConnectionResetError)
        or getattr(exc, "errno", None) == errno.ECONNRESET  # aiohttp's ClientOSError
    ):
        return ErrorKind.DISCONNECTED, "the connection was reset"
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return ErrorKind.DISCONNECTED, f"connection error: {_one_line(exc.strerror or exc)}"
    if isinstance(exc, UnicodeError):
        # socket.getaddrinfo encodes the host with IDNA: an empty or over-long label fails so.
        return ErrorKind.INVALID_URL, f"invalid host name: {_one_line(exc)}"
    if isinstance(exc, aiohttp.ClientError):
        return ErrorKind.OTHER, f"{type(exc).__name__}: {_one_line(exc)}"
    return ErrorKind.OTHER, f"unexpected {type(exc).__name__}: {_one_line(exc)}"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


async def _read_head_of_body(resp: aiohttp.ClientResponse) -> str:
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


async def _request(
    session: aiohttp.ClientSession, target: Target, method: str, options: CheckOptions
) -> _Attempt:
    """One request with redirects followed; the body is read only for ``contains=``."""
    contains = target.expect.contains if target.expect is not None else None
    try:
        async with session.request(
            method,
            target.parsed or target.url,
            proxy=proxy_for(target.url),
            allow_redirects=options.max_redirects > 0,
            max_redirects=options.max_redirects,
        ) as resp:
            attempt = _Attempt(
                method=method,
                status=resp.status,
                reason=resp.reason,
                final_url=str(resp.url),
                redirects=len(resp.history),
                retry_after=_retry_after(resp.headers.get("Retry-After")),
            )
            if contains is not None and method == "GET":
                attempt.body_match = contains in await _read_head_of_body(resp)
            return attempt
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        kind, message = classify(exc, options.timeout)
        return _Attempt(method=method, error_kind=kind, error=message)


async def _attempt(
    session: aiohttp.ClientSession, target: Target, options: CheckOptions
) -> _Attempt:
    """HEAD, falling back to GET when the server refuses HEAD; or GET alone."""
    wants_body = target.expect is not None and target.expect.contains is not None
    method = "GET" if options.method == "get" or wants_body else "HEAD"
    try:
        async with asyncio.timeout(options.timeout):
            first = await _request(session, target, method, options)
            if method == "HEAD" and (
                first.error_kind in _FALLBACK_KINDS or (first.status or 0) >= 400
            ):
                method = "GET"  # the method under way, should the deadline come
                return await _request(session, target, method, options)
            return first
    except TimeoutError:
        kind, message = classify(TimeoutError(), options.timeout)
        return _Attempt(method=method, error_kind=kind, error=message)


def _should_retry(attempt: _Attempt, accept: StatusRanges) -> bool:
    if attempt.error_kind in _RETRY_KINDS:
        return True
    status = attempt.status
    return status is not None and status not in accept and (status == 429 or 500 <= status <= 599)


def _wait_before_retry(attempt: _Attempt, number: int, options: CheckOptions) -> float:
    """Exponential backoff with a little jitter, or the server's Retry-After; both capped."""
    if attempt.retry_after is not None:
        wait = attempt.retry_after
    else:
        wait = options.backoff * (2 ** (number - 1)) * (1 + random.random() / 10)
    return min(wait, options.retry_wait_max)


def _scrub(text: str | None, secrets: tuple[str, ...]) -> str | None:
    return text if text is None or not secrets else scrub(text, secrets)


def invalid_result(target: Target) -> CheckResult:
    """The failed result of a line that is not a usable URL; no request is made."""
    return CheckResult(
        url=target.display,
        line=target.line,
        ok=False,
        error_kind=target.problem_kind,
        error=target.problem,
        file=target.source,
    )


def _judge(
    attempt: _Attempt,
    target: Target,
    options: CheckOptions,
    accept: StatusRanges,
    elapsed_ms: float,
) -> None:
    """Hold a response to what is expected of it: status, then content, then speed."""
    if attempt.error_kind is not None:
        return
    expect = target.expect
    max_ms = expect.max_ms if expect is not None and expect.max_ms else options.max_ms
    if attempt.status not in accept:
        attempt.error_kind = ErrorKind.STATUS
        attempt.error = f"status {attempt.status} is not accepted (accepted: {accept})"
    elif attempt.body_match is False and expect is not None:
        attempt.error_kind = ErrorKind.CONTENT
        attempt.error = (
            f"the first {BODY_LIMIT // 1024} KiB of the body do not contain {expect.contains!r}"
        )
    elif max_ms is not None and elapsed_ms > max_ms:
        attempt.error_kind = ErrorKind.SLOW
        attempt.error = f"took {elapsed_ms:,.0f} ms; the limit is {max_ms:,.0f} ms"


def _judge_certificate(attempt: _Attempt, cert_days: float | None, options: CheckOptions) -> None:
    limit = options.cert_days
    if attempt.error_kind is not None or cert_days is None or limit is None or cert_days >= limit:
        return
    attempt.error_kind = ErrorKind.CERT_EXPIRY
    attempt.error = (
        f"the TLS certificate expires in {cert_days:.1f} days (fewer than --cert-days {limit:g})"
    )


async def fetch_url(
    session: aiohttp.ClientSession,
    url: Target | str,
    options: CheckOptions | None = None,
    *,
    certs: CertProbe | None = None,
) -> CheckResult:
    """Check one URL over `session`, with retries, and return its result; it never raises."""
    options = options or CheckOptions()
    target = url if isinstance(url, Target) else Target.from_url(url)
    if target.problem is not None:
        return invalid_result(target)
    # The line's status= wins over --accept, for retrying and for judging alike.
    accept = target.expect.status if target.expect and target.expect.status else options.accept
    started = time.perf_counter()
    number = 0
    while True:
        number += 1
        attempt = await _attempt(session, target, options)
        if number > options.retries or not _should_retry(attempt, accept):
            break
        await asyncio.sleep(_wait_before_retry(attempt, number, options))
    elapsed_ms = (time.perf_counter() - started) * 1000
    _judge(attempt, target, options, accept, elapsed_ms)
    cert_days = None
    if attempt.final_url is not None and attempt.final_url.startswith("https:"):
        probe = certs or CertProbe(options)
        try:
            cert_days = await probe.days_left(attempt.final_url)
        finally:
            if certs is None:
                probe.close()
        _judge_certificate(attempt, cert_days, options)
    secrets = secrets_in(target.url) if target.url is not target.display else ()
    # A server may put the password it was sent into a redirect: scrub it there too.
    final_url = _scrub(mask_url(attempt.final_url), secrets) if attempt.final_url else None
    return CheckResult(
        url=target.display,
        line=target.line,
        ok=attempt.error_kind is None,
        status=attempt.status,
        reason=_scrub(attempt.reason, secrets),
        elapsed_ms=elapsed_ms,
        final_url=final_url,
        redirects=attempt.redirects,
        method=attempt.method,
        attempts=number,
        error_kind=attempt.error_kind,
        error=_scrub(attempt.error, secrets),
        file=target.source,
        cert_days=cert_days,
    )


def ssl_context(options: CheckOptions) -> ssl.SSLContext:
    """The TLS settings of a run: the system's trust store (``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` honoured), only ``--ca-bundle``'s, or none with ``--insecure``."""
    context = ssl.create_default_context(cafile=options.ca_bundle)
    if options.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class CertProbe:
    """Days until a host's certificate expires, read once per host and port in a run.

    aiohttp does not expose the certificate of a pooled connection, so one extra TLS
    handshake per host reads it; with ``--insecure`` nothing is verified and nothing is read.
    """

    def __init__(self, options: CheckOptions, context: ssl.SSLContext | None = None) -> None:
        self._options = options
        self._context = context
        self._seen: dict[tuple[str, int], asyncio.Task[float | None]] = {}

    async def days_left(self, url: str) -> float | None:
        """Days until the certificate of `url`'s server expires, or None if unknown."""
        if self._options.insecure:
            return None
        try:
            parsed = URL(url)
            host, port = parsed.raw_host, parsed.port or 443
        except (ValueError, TypeError):
            return None
        if not host:
            return None
        task = self._seen.get((host, port))
        if task is None:
            if len(self._seen) >= CERT_HOSTS_KEPT:
                self._forget_finished()
            task = asyncio.ensure_future(self._read(host, port))
            self._seen[(host, port)] = task
        return await asyncio.shield(task)

    def _forget_finished(self) -> None:
        """Drop the older half of the finished reads: memory stays flat over many hosts."""
        finished = [key for key, task in self._seen.items() if task.done()]
        for key in finished[: max(1, len(finished) // 2)]:
            del self._seen[key]

    def close(self) -> None:
        """Cancel reads still under way (when a run stops early)."""
        for task in self._seen.values():
            task.cancel()

    async def _read(self, host: str, port: int) -> float | None:
        if self._context is None:
            self._context = ssl_context(self._options)
        try:
            async with asyncio.timeout(min(CERT_PROBE_TIMEOUT, self._options.timeout)):
                _, writer = await asyncio.open_connection(host, port, ssl=self._context)
        except (OSError, ssl.SSLError, TimeoutError, ValueError):
            return None
        try:
            cert = writer.get_extra_info("peercert") or {}
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                async with asyncio.timeout(1):
                    await writer.wait_closed()
        not_after = cert.get("notAfter")
        if not isinstance(not_after, str):
            return None
        return (ssl.cert_time_to_seconds(not_after) - time.time()) / 86400


def create_session(options: CheckOptions) -> aiohttp.ClientSession:
    """The one session a run shares: pooled connections, per-host limit, no cookies."""
    connector = aiohttp.TCPConnector(
        limit=options.concurrency,
        limit_per_host=options.per_host,
        ssl=ssl_context(options) if options.ca_bundle or options.insecure else True,
        ttl_dns_cache=300,
    )
    headers = {"User-Agent": options.user_agent or DEFAULT_USER_AGENT}
    headers.update(options.headers)
    return aiohttp.ClientSession(
        connector=connector,
        # One deadline per attempt is enforced around the request; no second clock here.
        timeout=aiohttp.ClientTimeout(total=None),
        cookie_jar=aiohttp.DummyCookieJar(),
        headers=headers,
        # trust_env would re-read ~/.netrc and the proxy variables on every request (in a
        # thread, for netrc): the proxies are read once instead, by proxy_for.
        trust_env=False,
    )


@functools.cache
def _environment_proxies() -> dict[str, str]:
    return urllib.request.getproxies_environment()


def proxy_for(url: str) -> str | None:
    """The proxy for `url` from HTTP_PROXY / HTTPS_PROXY / NO_PROXY, read once per process."""
    proxies = _environment_proxies()
    if not proxies:
        return None
    scheme = url.partition(":")[0].lower()
    proxy = proxies.get(scheme)
    if proxy is None:
        return None
    host = urllib.parse.urlsplit(url).hostname or ""
    return None if _bypassed(host) else proxy


@functools.lru_cache(maxsize=4096)
def _bypassed(host: str) -> bool:
    return bool(urllib.request.proxy_bypass(host))


_T = TypeVar("_T")


@dataclass
class _Handoff(Generic[_T]):
    """Items passed from a reader thread to the event loop, at most `ahead` in between.

    The reader waits only when the buffer is full, and the loop wakes it when half is
    used up, so a long list crosses over at a few thread switches per buffer, not per item.
    """

    loop: asyncio.AbstractEventLoop
    ahead: int
    ready: collections.deque[_T] = field(default_factory=collections.deque)
    room: threading.Event = field(default_factory=threading.Event)
    """Set by the loop when the reader may go on filling the buffer."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: bool = False
    """The loop is asleep until `wake` is set."""
    done: bool = False
    error: BaseException | None = None
    stopped: bool = False

    def produce(self, items: Iterable[_T]) -> None:
        """Run in the thread: iterate `items`, pausing while the buffer is full."""
        try:
            for item in items:
                while len(self.ready) >= self.ahead and not self.stopped:
                    self.room.clear()
                    if len(self.ready) >= self.ahead:  # else the loop took some meanwhile
                        self.room.wait()
                if self.stopped:
                    return
                self.ready.append(item)
                if self.waiting:
                    self._wake_loop()
        except BaseException as exc:  # handed to the loop, which re-raises it
            self.error = exc
        finally:
            self.done = True
            self._wake_loop()

    def take(self) -> _T:
        """Run in the loop: the next item; lets the reader go on once half the buffer is free."""
        item = self.ready.popleft()
        if len(self.ready) <= self.ahead // 2:
            self.room.set()
        return item

    def stop(self) -> None:
        """Tell the reader to stop (it may be waiting for room)."""
        self.stopped = True
        self.room.set()

    def _wake_loop(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self.loop.call_soon_threadsafe(self.wake.set)


async def _each(items: Iterable[_T], ahead: int) -> AsyncGenerator[_T, None]:
    """Yield `items`; unless they are a list or tuple, iterate them in a daemon thread.

    Reading may block (standard input from a pipe whose writer pauses): that then stalls the
    thread, never the event loop, whose clocks are timing the checks already under way.
    """
    if isinstance(items, list | tuple):
        for item in items:
            yield item
        return
    handoff: _Handoff[_T] = _Handoff(asyncio.get_running_loop(), max(2, ahead))
    # A daemon thread: one blocked reading an open pipe must not keep the process alive.
    reader = threading.Thread(target=handoff.produce, args=(items,), daemon=True)
    reader.start()
    try:
        while True:
            if handoff.ready:
                yield handoff.take()
            elif handoff.done:
                if handoff.ready:
                    continue
                if handoff.error is not None:
                    raise handoff.error
                return
            else:
                handoff.wake.clear()
                handoff.waiting = True
                if not handoff.ready and not handoff.done:  # else it came while going to sleep
                    await handoff.wake.wait()
                handoff.waiting = False
    finally:
        handoff.stop()  # a reader waiting for room wakes up and stops


async def check_urls(
    targets: Iterable[Target | str],
    options: CheckOptions | None = None,
    *,
    session: aiohttp.ClientSession | None = None,
    may_repeat: Callable[[Target], bool] | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """Check every target over one session and yield each result as soon as it is known.

    A bounded pool of workers pulls from a short queue, so memory stays flat however long
    the list; every target yields exactly one result, and a URL listed twice is requested
    once. To answer a later duplicate, a result is kept for the whole run, unless
    `may_repeat` (see `inputs.scan_sources`) says its URL is not listed again. Close the
    generator (``contextlib.aclosing``) to stop early: in-flight checks are cancelled and
    the session is closed.
    """
    options = options or CheckOptions()
    own_session = session is None
    http = session if session is not None else create_session(options)
    todo: asyncio.Queue[Target | None] = asyncio.Queue(options.concurrency * QUEUE_PER_WORKER)
    results: asyncio.Queue[CheckResult | None] = asyncio.Queue(options.concurrency * 4)
    certs = CertProbe(options)
    waiting: dict[object, list[Target]] = {}
    """Keys (URL and expectations) being checked → the later lines that listed them again."""
    finished: dict[object, CheckResult] = {}

    async def feed() -> None:
        async with contextlib.aclosing(_each(targets, todo.maxsize)) as items:
            async for item in items:
                await put(item)
        for _ in range(options.concurrency):
            await todo.put(None)

    async def put(item: Target | str) -> None:
        target = item if isinstance(item, Target) else Target.from_url(item)
        key = target.key
        if target.problem is not None:
            await results.put(invalid_result(target))
        elif key in finished:
            await results.put(finished[key].for_line(target))
        elif key in waiting:
            waiting[key].append(target)
        else:
            waiting[key] = []
            await todo.put(target)

    async def work() -> None:
        while (target := await todo.get()) is not None:
            result = await fetch_url(http, target, options, certs=certs)
            key = target.key
            if may_repeat is None or may_repeat(target):
                finished[key] = result
            await results.put(result)
            for again in waiting.pop(key, ()):
                await results.put(result.for_line(again))

    async def run() -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(feed())
                for _ in range(options.concurrency):
                    group.create_task(work())
        finally:
            await results.put(None)

    runner = asyncio.create_task(run())
    try:
        while (result := await results.get()) is not None:
            yield result
        await runner  # re-raises a bug in the feeder or a worker
    finally:
        if not runner.done():
            runner.cancel()
            # Keep draining so workers blocked on a full queue can see the cancellation.
            while not runner.done():
                try:
                    results.get_nowait()
                except asyncio.QueueEmpty:
                    await asyncio.wait([runner], timeout=0.05)
        certs.close()
        if own_session:
            await http.close()
