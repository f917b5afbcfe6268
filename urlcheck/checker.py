"""The async core: check one URL (`fetch_url`) or many over one session (`check_urls`).

It never prints, exits or reads options from the environment: the CLI, the web view
and any other caller get `CheckResult`s and decide what to do with them.

A request goes through one of two clients. A plain one (http or https, HEAD or a GET whose
body is not searched, no proxy, no credentials in the URL) goes to `lean.LeanPool`, which is
about four times cheaper per request; whatever it cannot answer itself (a redirect to follow,
any failure) it hands to aiohttp, as every other request goes. aiohttp is imported only then.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import ssl
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from yarl import URL

from .connection import (
    BODY_LIMIT,
    has_proxies,
    proxy_for,
    request_headers,
    retry_after_seconds,
    ssl_context,
)
from .deadlines import Deadlines
from .inputs import mask_url, parse_url, scrub, secrets_in
from .models import Attempt, CheckOptions, CheckResult, ErrorKind, StatusRanges, Target

if TYPE_CHECKING:
    import aiohttp

    from .lean import LeanPool

CERT_PROBE_TIMEOUT = 5.0
"""Seconds for the extra TLS handshake that reads a host's certificate."""
CERT_HOSTS_KEPT = 4096
"""Hosts whose certificate days a run remembers; past that the oldest are read again."""
QUEUE_PER_WORKER = 2
"""Targets read ahead per worker: enough to keep workers busy, few enough to stay flat."""

_RETRY_KINDS = frozenset({ErrorKind.TIMEOUT, ErrorKind.REFUSED, ErrorKind.DISCONNECTED})
_FALLBACK_KINDS = frozenset({ErrorKind.PROTOCOL, ErrorKind.DISCONNECTED})
"""A HEAD that fails like this is tried again as GET: some servers mishandle HEAD."""
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PRIVATE = frozenset({"authorization", "cookie", "proxy-authorization"})
"""The statuses aiohttp follows when they carry a Location."""


class _Client:
    """The two clients of a run: the lean one for plain requests, aiohttp for the rest.

    Without `session`, aiohttp's session is created (and aiohttp imported) on first need,
    and closed by `close`; a caller's own session is used for every request, as given.
    """

    def __init__(self, options: CheckOptions, session: aiohttp.ClientSession | None) -> None:
        self._options = options
        self._session = session
        self._own_session = session is None
        self.deadlines = Deadlines()
        self.private_headers = any(name.lower() in _PRIVATE for name, _ in options.headers)
        """A --header aiohttp would not send to another origin after a redirect."""
        self.lean: LeanPool | None = None
        if session is None:
            from .lean import LeanPool  # httptools: imported only to check

            self.lean = LeanPool(
                request_headers(options),
                per_host=options.per_host,
                max_idle=options.concurrency,
                tls=lambda: ssl_context(options),
            )

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            from .session import create_session  # aiohttp: imported only when needed

            self._session = create_session(self._options)
        return self._session

    def is_plain(self, url: URL, method: str, contains: str | None) -> bool:
        """Whether the lean client may send this request."""
        return (
            url.scheme in ("http", "https")
            and bool(url.raw_host)
            and url.raw_user is None
            and url.raw_password is None
            and not (method == "GET" and contains)
            and (not has_proxies() or proxy_for(str(url)) is None)
        )

    async def close(self) -> None:
        self.deadlines.close()
        if self.lean is not None:
            self.lean.close()
        if self._own_session and self._session is not None:
            await self._session.close()


async def _request(client: _Client, target: Target, method: str, options: CheckOptions) -> Attempt:
    """One request, its redirects followed: each hop by the lean client when it is plain
    (`_Client.is_plain`), and from the first that is not, or that it cannot answer, by aiohttp.
    """
    contains = target.expect.contains if target.expect is not None else None
    lean = client.lean
    url = target.parsed or parse_url(target.url)[0]  # a worker's targets come unparsed
    if lean is None or url is None:
        return await _aiohttp_request(client, url or target.url, method, options, contains)
    redirects = 0
    while True:
        if not client.is_plain(url, method, contains):
            return await _aiohttp_request(client, url, method, options, contains, redirects)
        host = await lean.acquire(url)
        try:
            response = await lean.request(host, url, method)
            if response is None:  # in the host's place still: aiohttp keeps the same limit
                return await _aiohttp_request(client, url, method, options, contains, redirects)
        finally:
            lean.release(host)
        answer = Attempt(
            method,
            status=response.status,
            reason=response.reason,
            final_url=str(url.with_fragment(None) if url.raw_fragment else url),
            redirects=redirects,
            retry_after=retry_after_seconds(response.retry_after),
        )
        if not options.max_redirects or response.status not in _REDIRECTS:
            return answer
        # What follows is aiohttp's redirect handling, in its order, so the verdicts match.
        redirects += 1
        if redirects >= options.max_redirects:
            return Attempt.too_many_redirects(method, redirects)
        if response.location is None:  # a redirect to nowhere is the answer (and counts)
            answer.redirects = redirects
            return answer
        hop = _next_hop(url, response.location)
        if hop is None:  # a Location in another form: aiohttp resolves it by its own rules
            return await _aiohttp_request(client, url, method, options, contains, redirects - 1)
        if client.private_headers and hop.origin() != url.origin():
            # aiohttp drops Authorization and cookies on the way to another origin: its turn
            return await _aiohttp_request(client, url, method, options, contains, redirects - 1)
        url = hop  # the method stays: HEAD and GET are kept across every redirect status


def _next_hop(url: URL, location: str) -> URL | None:
    """Where a redirect leads when `location` is an absolute http(s) URL or an absolute path,
    resolved as aiohttp resolves it; None for any other form (aiohttp then follows it)."""
    try:
        if location[:8].lower().startswith(("http://", "https://")):
            hop = URL(location, encoded=False)
        elif location.startswith("/") and not location.startswith(("//", "/\\")):
            hop = url.join(URL(location, encoded=False))
        else:
            return None
        hop.origin()  # aiohttp refuses a redirect whose origin cannot be built
    except (ValueError, TypeError):
        return None
    return hop if hop.raw_host else None


async def _aiohttp_request(
    client: _Client,
    url: URL | str,
    method: str,
    options: CheckOptions,
    contains: str | None,
    redirects_before: int = 0,
) -> Attempt:
    from .session import request  # aiohttp: imported only when needed

    return await request(
        client.session(),
        url,
        method,
        options,
        contains=contains,
        redirects_before=redirects_before,
    )


async def _attempt(client: _Client, target: Target, options: CheckOptions) -> Attempt:
    """HEAD, falling back to GET when the server refuses HEAD; or GET alone."""
    wants_body = target.expect is not None and target.expect.contains is not None
    method = "GET" if options.method == "get" or wants_body else "HEAD"
    try:
        with client.deadlines.within(options.timeout):
            first = await _request(client, target, method, options)
            if method == "HEAD" and (
                first.error_kind in _FALLBACK_KINDS or (first.status or 0) >= 400
            ):
                method = "GET"  # the method under way, should the deadline come
                return await _request(client, target, method, options)
            return first
    except TimeoutError:
        return Attempt.timed_out(method, options.timeout)


def _should_retry(attempt: Attempt, accept: StatusRanges) -> bool:
    if attempt.error_kind in _RETRY_KINDS:
        return True
    status = attempt.status
    return status is not None and status not in accept and (status == 429 or 500 <= status <= 599)


def _wait_before_retry(attempt: Attempt, number: int, options: CheckOptions) -> float:
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
    attempt: Attempt,
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


def _judge_certificate(attempt: Attempt, cert_days: float | None, options: CheckOptions) -> None:
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
    client = _Client(options, session)
    try:
        return await _check(client, url, options, certs)
    finally:
        await client.close()


async def _check(
    client: _Client, url: Target | str, options: CheckOptions, certs: CertProbe | None
) -> CheckResult:
    """`fetch_url` over either client."""
    target = url if isinstance(url, Target) else Target.from_url(url)
    if target.problem is not None:
        return invalid_result(target)
    # The line's status= wins over --accept, for retrying and for judging alike.
    accept = target.expect.status if target.expect and target.expect.status else options.accept
    started = time.perf_counter()
    number = 0
    while True:
        number += 1
        attempt = await _attempt(client, target, options)
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


async def each_in_thread(items: Iterable[_T], ahead: int) -> AsyncGenerator[_T, None]:
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


async def cancel_and_drain(runner: asyncio.Task[None], results: asyncio.Queue[Any]) -> None:
    """Stop `runner`, which feeds `results`: the queue is emptied meanwhile, so tasks blocked
    on putting into a full queue see the cancellation too."""
    if runner.done():
        return
    runner.cancel()
    while not runner.done():
        try:
            results.get_nowait()
        except asyncio.QueueEmpty:
            await asyncio.wait([runner], timeout=0.05)


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
    client = _Client(options, session)
    todo: asyncio.Queue[Target | None] = asyncio.Queue(options.concurrency * QUEUE_PER_WORKER)
    results: asyncio.Queue[CheckResult | None] = asyncio.Queue(options.concurrency * 4)
    certs = CertProbe(options)
    waiting: dict[object, list[Target]] = {}
    """Keys (URL and expectations) being checked → the later lines that listed them again."""
    finished: dict[object, CheckResult] = {}

    async def feed() -> None:
        async with contextlib.aclosing(each_in_thread(targets, todo.maxsize)) as items:
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
            result = await _check(client, target, options, certs)
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
        await cancel_and_drain(runner, results)
        certs.close()
        await client.close()
