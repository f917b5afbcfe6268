"""The async core: check one URL (`fetch_url`) or many over one client (`check_urls`).

It never prints, exits or reads options from the environment: the CLI, the web view
and any other caller get `CheckResult`s and decide what to do with them.

A check is attempts (HEAD, then GET when a server refuses HEAD; retried after a timeout, a
dropped connection, 429 or 5xx), each one request sent by `http.Client`, then judged against
what the line expects. Its time is the server's: from its first request going out,
without urlcheck's own waits for a place among a host's connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from . import fragments
from .bodies import Fetched, ReadBody, read_in_thread
from .dedup import Duplicates
from .http import CheckClock, Client
from .http.config import BODY_LIMIT
from .inputs import LineParser, RawLine, TargetReader, to_target
from .models import UNVERIFIED_KINDS, Attempt, CheckResult, ErrorKind, Fetch, StatusRanges, Target
from .options import CheckOptions
from .schedule import LOOKAHEAD_PER_WORKER, HostQueue
from .streams import Slice, cancel_and_drain, each_in_thread
from .urls import line_id, mask_url, scrub, secrets_in

if TYPE_CHECKING:
    import aiohttp

    from .fragments import Anchors
    from .http.lean import HostKey
    from .pages import Page

QUEUE_PER_WORKER = 2
"""Lines handed over from the reader thread per worker, ahead of the scheduler's queue."""

_RETRY_KINDS = frozenset({ErrorKind.TIMEOUT, ErrorKind.DISCONNECTED})
"""Failures a retry may cure. A connection refused or impossible (`refused`: nothing listens
there, no route to the host) is not one by default, as for curl's ``--retry``: asking again
in a second rarely changes that; ``--retry-refused`` asks again."""
_FALLBACK_KINDS = frozenset({ErrorKind.PROTOCOL, ErrorKind.DISCONNECTED})
"""A HEAD that fails like this is tried again as GET: some servers mishandle HEAD."""


async def _attempt(
    client: Client, target: Target, options: CheckOptions, clock: CheckClock
) -> tuple[Attempt, int]:
    """HEAD, falling back to GET when the server refuses HEAD; or GET alone. Returns the
    attempt and how many requests it sent (1, or 2 with the fallback)."""
    wants_body = (
        target.fragment is not None
        or target.page is not None
        or (target.expect is not None and target.expect.contains is not None)
    )
    method = "GET" if options.method == "get" or wants_body else "HEAD"
    sent = 1
    try:
        with client.deadlines.pending(options.timeout) as deadline:
            clock.deadline = deadline  # armed when the request goes out
            first = await client.send(target, method, clock)
            if method == "HEAD" and (
                first.error_kind in _FALLBACK_KINDS or (first.status or 0) >= 400
            ):
                method, sent = "GET", 2  # the method under way, should the deadline come
                return await client.send(target, method, clock), sent
            return first, sent
    except TimeoutError:
        return Attempt.timed_out(method, options.timeout), sent
    finally:
        clock.deadline = None


class Crawl(Protocol):
    """Targets that checking finds: pages whose links are checked in turn (`crawl`)."""

    def __aiter__(self) -> AsyncIterator[Target | CheckResult]:
        """The targets, as they are found; it ends when no page is left to read."""
        ...

    async def attach(self, fetch: Fetch) -> None:
        """Take the run's own way to fetch what is not a check, under the same limits;
        before any check is in flight."""
        ...

    async def read_body(self, fetched: Fetched) -> Page:
        """What a body fetched in the run held: its `ReadBody`."""
        ...

    async def close(self) -> None:
        """The run is over: let go of what `attach` started."""
        ...

    async def read(self, target: Target, result: CheckResult, page: Page | None) -> None:
        """A page target was checked: its result, and what its body held (None: not read)."""
        ...

    @property
    def wants_anchors(self) -> bool:
        """Whether a link it gives may ask for a fragment of a page: if not, its pages'
        anchors are neither read nor kept for the run."""
        ...


async def fetch_body(client: Client, options: CheckOptions, url: str) -> Attempt:
    """One GET of `url` (no retries), its body read up to the page limit."""
    target = Target(url=url, display=url, page=1)
    clock = CheckClock()
    try:
        with client.deadlines.pending(options.timeout) as deadline:
            clock.deadline = deadline
            return await client.send(target, "GET", clock)
    except TimeoutError:
        return Attempt.timed_out("GET", options.timeout)


def _should_retry(attempt: Attempt, accept: StatusRanges, options: CheckOptions) -> bool:
    kind = attempt.error_kind
    if kind in _RETRY_KINDS or (kind is ErrorKind.REFUSED and options.retry_refused):
        return True
    if attempt.wall is not None:
        return False  # a bot challenge is not lifted by asking again
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
        id=line_id(target.source, target.url),
        column=target.column,
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
    if attempt.wall is not None:  # whatever --accept says: a wall tells nothing of the page
        attempt.error_kind = ErrorKind.BLOCKED
        attempt.error = f"status {attempt.status}: a bot challenge ({attempt.wall}), not the page"
    elif attempt.status not in accept:
        if attempt.status == 429:
            attempt.error_kind = ErrorKind.RATE_LIMITED
            attempt.error = "still 429 Too Many Requests when the retries ran out: unverified"
        else:
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
) -> CheckResult:
    """Check one URL over a caller's aiohttp `session`, with retries, and return its result;
    it never raises for a URL's fault."""
    options = options or CheckOptions()
    client = Client(options, session)
    target = to_target(url)
    try:
        checked = await _check(client, target, options)
    finally:
        await client.close()
    return fragments.judge(checked.result, target.fragment, checked.anchors)


class Checked(NamedTuple):
    """A check's result, before its fragment is judged, and what its body held when it was
    read: the anchors to judge each fragment by, a page's links for the crawl."""

    result: CheckResult
    page: Page | None = None

    @property
    def anchors(self) -> Anchors | None:
        """The page's anchors (None: no body read, or nothing to look in)."""
        return None if self.page is None else self.page.anchors


async def _check(
    client: Client,
    target: Target,
    options: CheckOptions,
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    *,
    anchors: bool = True,
    read_body: ReadBody = read_in_thread,
) -> Checked:
    """`fetch_url` over either client; `pause` waits before a retry. A page's anchors are
    read unless not `anchors` (no link of the run asks for a fragment of a page); a body
    is read with `read_body`."""
    if target.problem is not None:
        return Checked(invalid_result(target))
    # The line's status= wins over --accept, for retrying and for judging alike.
    accept = target.expect.status if target.expect and target.expect.status else options.accept
    clock = CheckClock()
    number = sent = 0
    while True:
        number += 1
        attempt, requests = await _attempt(client, target, options, clock)
        sent += requests
        if number > options.retries or not _should_retry(attempt, accept, options):
            break
        await pause(_wait_before_retry(attempt, number, options))
    elapsed_ms = clock.elapsed_ms()
    _judge(attempt, target, options, accept, elapsed_ms)
    cert_days = await client.cert_days(attempt)
    _judge_certificate(attempt, cert_days, options)
    page = None
    if attempt.body is not None and attempt.error_kind is None and attempt.final_url:
        page = await read_body(
            Fetched(
                attempt.body,
                attempt.content_type,
                attempt.final_url,
                complete=attempt.body_complete,
                links=target.page is not None,
                anchors=anchors or target.fragment is not None,
            )
        )
    secrets = secrets_in(target.url) if target.url is not target.display else ()
    # A server may put the password it was sent into a redirect: scrub it there too.
    final_url = _scrub(mask_url(attempt.final_url), secrets) if attempt.final_url else None
    result = CheckResult(
        url=target.display,
        line=target.line,
        ok=attempt.error_kind is None,
        status=attempt.status,
        reason=_scrub(attempt.reason, secrets),
        elapsed_ms=elapsed_ms,
        final_url=final_url,
        redirects=attempt.redirects,
        method=attempt.method,
        attempts=sent,
        error_kind=attempt.error_kind,
        error=_scrub(attempt.error, secrets),
        file=target.source,
        cert_days=cert_days,
        id=line_id(target.source, target.url),
        column=target.column,
        warning=attempt.error_kind in UNVERIFIED_KINDS and options.unverified == "warn",
    )
    return Checked(result, page)


Decided = list[CheckResult]
"""Results decided while reading (a document's local links), passed on in one go."""


async def check_urls(
    targets: Iterable[Target | str | CheckResult | Decided | RawLine],
    options: CheckOptions | None = None,
    *,
    session: aiohttp.ClientSession | None = None,
    may_repeat: Callable[[Target], bool] | None = None,
    crawl: Crawl | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """Check every target and yield each result as soon as it is known (a result among the
    targets, or a list of them, decided while reading, passes through as it is).

    With a `crawl`, its targets are checked too, and every page target's result and body
    go back to it (`Crawl.read`), which gives the page's links as more targets.

    A bounded pool of workers pulls from a bounded queue (`schedule.HostQueue`: a worker
    is handed only a URL whose host has a free place), so memory stays flat however long
    the list and no worker waits for a busy host while another host's URL waits; every
    target yields exactly one result, and a URL listed twice is requested once. To answer
    a later duplicate, a result is kept for the whole run, unless
    `may_repeat` (see `scan.scan_sources`) says its URL is not listed again. With a
    caller's aiohttp `session`, every request goes through it. Close the generator
    (``contextlib.aclosing``) to stop early: in-flight checks are cancelled and every
    connection is closed.
    """
    options = options or CheckOptions()
    client = Client(options, session)
    todo = HostQueue(options.per_host, options.concurrency * LOOKAHEAD_PER_WORKER)
    results: asyncio.Queue[CheckResult | Decided | None] = asyncio.Queue(options.concurrency * 4)
    duplicates = Duplicates(may_repeat)
    read_anchors = crawl is None or crawl.wants_anchors
    read_body: ReadBody = read_in_thread if crawl is None else crawl.read_body

    async def take(items: AsyncIterator[Target | str | CheckResult | Decided | RawLine]) -> None:
        share = Slice()
        lines = LineParser(may_repeat)
        async for item in items:
            # A line is parsed here, a link's URL in todo.put: Python on the loop, so every
            # item counts against the slice, a document's links as a list's lines.
            if share.over():
                await share.next()
            if isinstance(item, tuple):  # a URL line, parsed here (see TargetReader.unparsed)
                parsed = lines.parse(*item)
                if parsed is None:
                    continue
                item = parsed
            if isinstance(item, CheckResult | list):  # decided while reading: a local link …
                await results.put(item)
                continue
            target = to_target(item)
            if target.problem is not None:
                await results.put(invalid_result(target))
                continue
            claim = duplicates.claim(target)
            if claim is True:
                waits = todo.full()
                await todo.put(target)
                if waits:  # the loop had its turns while the put waited: a new slice
                    share.restart()
            elif claim is not False:
                await results.put(claim)

    async def feed() -> None:
        async with asyncio.TaskGroup() as group:
            if crawl is not None:
                await crawl.attach(functools.partial(fetch_body, client, options))
                group.create_task(take(aiter(crawl)))
            ahead = options.concurrency * QUEUE_PER_WORKER
            lines = targets.unparsed() if isinstance(targets, TargetReader) else targets
            async with contextlib.aclosing(each_in_thread(lines, ahead)) as items:
                await take(items)
        todo.close()

    async def work() -> None:
        while (taken := await todo.get()) is not None:
            host, target = taken

            async def pause(seconds: float, host: HostKey = host) -> None:
                todo.lend(host)  # while it waits to retry, the host's place is another's
                try:
                    await asyncio.sleep(seconds)
                finally:
                    todo.retake(host)

            try:
                checked = await _check(
                    client, target, options, pause, anchors=read_anchors, read_body=read_body
                )
            finally:
                todo.done(host)
            result, anchors = checked.result, checked.anchors
            if crawl is not None and target.page is not None:
                await crawl.read(target, result, checked.page)  # its links, to check next
            await results.put(fragments.judge(result, target.fragment, anchors))
            for again in duplicates.settle(target, result, anchors):
                await results.put(again)

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
            if isinstance(result, list):  # a document's local links: thousands, it may be
                share = Slice()
                for each in result:
                    yield each  # each row is printed (or recorded) before the next
                    if share.over():
                        await share.next()
            else:
                yield result
        await runner  # re-raises a bug in the feeder or a worker
    finally:
        try:
            await cancel_and_drain(runner, results)
            await client.close()
        finally:
            if crawl is not None:
                await crawl.close()
