"""A crawl's pages read in a worker process (`urlcheck.crawl.readers`, `.worker`): what it gives is
what `pages.read_page` gives, a worker that is gone or garbled loses no page, one core or
no process to be had reads in threads, and no worker outlives its run."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gzip
import os
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web

from urlcheck.bodies import Fetched
from urlcheck.crawl.readers import PageReader
from urlcheck.pages import read_page

from .servers import Served, serve_app
from .site import Site, build_site, site_app

pytest.importorskip("defusedxml", reason="the site extra is not installed")

HTML = (
    b"<!doctype html><base href='/docs/'><h1 id=top>T</h1>\n"
    b"<a href='a.html#x'>a</a> <img srcset='i.png 1x, j.png 2x'>\n"
    b"<a href='mailto:x@example.org'>m</a> <a href='https://other.example/'>o</a>"
)
SITEMAP = (
    b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
    b"<url><loc>http://127.0.0.1/a</loc></url><url><loc>http://127.0.0.1/b</loc></url></urlset>"
)
BODIES: list[tuple[bytes, str | None, bool]] = [
    (HTML, "text/html; charset=utf-8", True),
    (HTML, "text/html", False),
    (b"# Title\n\n[a](b.md#title) <http://127.0.0.1/c>\n", "text/markdown", True),
    (SITEMAP, "application/xml", True),
    (gzip.compress(SITEMAP), "application/gzip", True),
    (b"<urlset><url><loc>", "application/xml", True),  # not well-formed: the page's error
    (b"\x89PNG\r\n", "image/png", True),
]
URL = "http://127.0.0.1:8/dir/page.html"


def two_cores() -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("the worker runs only where there is a second core")


@contextlib.contextmanager
def one_core() -> Iterator[None]:
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


def expected(body: bytes, content_type: str | None, anchors: bool) -> Any:
    return read_page(body, content_type, URL, complete=True, links=True, anchors=anchors)


async def read_all(reader: PageReader) -> list[Any]:
    return await asyncio.gather(
        *(
            reader.read(Fetched(body, kind, URL, True, True, anchors))
            for body, kind, anchors in BODIES
        )
    )


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


@contextlib.asynccontextmanager
async def ready_reader() -> AsyncIterator[PageReader]:
    """A reader whose worker has said it is ready; closed on the way out."""
    two_cores()
    reader = PageReader()
    await reader.start()
    try:
        assert await reader.ready()
        yield reader
    finally:
        await reader.close()


def answers_of(reader: PageReader) -> asyncio.Protocol:
    """The protocol reading `reader`'s worker's output, to feed as if the worker wrote."""
    assert reader._receive is not None
    protocol = reader._receive.get_protocol()
    assert isinstance(protocol, asyncio.Protocol)
    return protocol


async def test_the_worker_reads_each_body_as_read_page_does() -> None:
    async with ready_reader() as reader:
        pages = await read_all(reader)
        assert reader.pages_read == len(BODIES), "every body was read by the worker"
    assert pages == [expected(body, kind, anchors) for body, kind, anchors in BODIES]
    assert pages[0].links
    assert pages[0].anchors is not None
    assert pages[1].anchors is None
    assert pages[5].error is not None


async def test_pages_fetched_while_the_worker_starts_wait_for_it() -> None:
    """Read in threads, a crawl's early pages would be parsed (and the page reader imported)
    beside the checks in flight, holding the GIL their loop needs for 10-60 ms at a time:
    they wait for the worker. The first, a start page with nothing in flight beside it, is
    read in a thread at once."""
    two_cores()
    reader = PageReader()
    await reader.start()
    try:
        pages = await read_all(reader)  # asked at once: the worker is not ready yet
        assert reader.pages_read == len(BODIES) - 1, "all but the first read by the worker"
    finally:
        await reader.close()
    assert pages == [expected(body, kind, anchors) for body, kind, anchors in BODIES]


async def test_no_worker_is_left_behind_when_it_closes() -> None:
    two_cores()
    reader = PageReader()
    await reader.start()
    assert await reader.ready()
    process = reader._process
    assert process is not None
    assert alive(process.pid)
    await reader.close()
    assert process.returncode == 0, "it exits when its input ends: nothing to kill"
    assert not alive(process.pid)
    await reader.close()  # idempotent


async def test_the_pages_of_a_worker_that_is_gone_are_read_in_threads() -> None:
    two_cores()
    reader = PageReader()
    await reader.start()
    try:
        assert await reader.ready()
        process = reader._process
        assert process is not None
        # Killed with pages in flight: those it never answers, and every later one, are
        # read here instead, the same.
        reading = asyncio.ensure_future(read_all(reader))
        await asyncio.sleep(0)
        os.kill(process.pid, signal.SIGKILL)
        pages = await reading
        assert pages == await read_all(reader)
    finally:
        await reader.close()
    assert pages == [expected(body, kind, anchors) for body, kind, anchors in BODIES]
    assert not alive(process.pid)


async def test_a_long_body_goes_through_the_pipe_and_the_longest_to_a_thread() -> None:
    from urlcheck.crawl import readers

    # 600 kB fills the pipe (64 kB) many times over: the write waits for the worker.
    long = b"<p>" + b"x" * 600_000 + b"<a href=/end id=end>end</a>"
    longest = b"<p>" + b"x" * (readers.WORKER_BODY_MAX + 1) + b"<a href=/end>end</a>"
    async with ready_reader() as reader:
        pages = await asyncio.gather(
            *(
                reader.read(Fetched(body, "text/html", URL, True, True, True))
                for body in (long, long, longest)
            )
        )
        assert reader.pages_read == 2, "the longest body is read here, not pickled on the loop"
    assert pages[:2] == [expected(long, "text/html", True)] * 2
    assert pages[2] == expected(longest, "text/html", True)


@pytest.mark.parametrize(
    "answer",
    [
        ("html", None, [], None),  # a field short
        ("html", None, [("too", "few")], None, 0),  # a link of the wrong shape
        ("html", None, [], None, True),  # a bool for the count of frames
        ("html", None, [], None, -1),
    ],
    ids=["short", "bad-link", "bool-count", "negative-count"],
)
async def test_an_answer_that_cannot_be_read_leaves_its_page_to_a_thread(
    answer: tuple[Any, ...],
) -> None:
    async with ready_reader() as reader:
        protocol = answers_of(reader)
        # A page in flight, answered by a frame of the wrong shape before the worker's
        # own answer: its read must not wait for ever, nor take another page's answer.
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        reader._waiting.appendleft(waiter)
        from urlcheck.frames import frame

        protocol.data_received(frame(answer))
        assert waiter.done()
        assert waiter.result() is None
        pages = await read_all(reader)
    assert pages == [expected(body, kind, anchors) for body, kind, anchors in BODIES]


async def test_a_garbled_answer_loses_no_page() -> None:
    async with ready_reader() as reader:
        answers_of(reader).data_received(b"\x00\x00\x00\x04junk")  # as if the worker wrote
        pages = await read_all(reader)
        assert reader.pages_read == 0
    assert pages == [expected(body, kind, anchors) for body, kind, anchors in BODIES]


async def test_one_core_reads_in_threads_and_starts_no_process() -> None:
    with one_core():
        reader = PageReader()
        await reader.start()
        try:
            assert reader._process is None
            assert not await reader.ready()
            pages = await read_all(reader)
        finally:
            await reader.close()
    assert pages == [expected(body, kind, anchors) for body, kind, anchors in BODIES]


@pytest.fixture(scope="module")
def small_site() -> Site:
    return build_site(120, seed=5)


OPEN = threading.Event()
"""Set: the gated site answers its start page."""


@pytest.fixture
def served(small_site: Site) -> Iterator[Served]:
    # The start page waits for the test to open the gate (once the worker is ready), so
    # that the worker reads every page of the crawl.
    @web.middleware
    async def gate(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path == "/":
            await asyncio.to_thread(OPEN.wait, 30)
        return await handler(request)

    app = site_app(small_site)
    app.middlewares.append(gate)
    with serve_app(app) as running:
        yield running


async def test_a_crawl_gives_the_same_rows_with_its_pages_read_apart(served: Served) -> None:
    two_cores()
    from urlcheck.checker import check_urls
    from urlcheck.crawl import frontier
    from urlcheck.options import CheckOptions

    options = CheckOptions(concurrency=8, per_host=8, retries=0, timeout=30)

    async def crawl() -> tuple[collections.Counter[Any], frontier.Crawler]:
        settings = frontier.CrawlSettings(recursive=True, max_depth=99, max_pages=100_000)
        crawler = frontier.Crawler([served.url("/")], settings)
        rows = collections.Counter[Any]()

        async def run() -> None:
            async for row in check_urls([], options, crawl=crawler):
                key = (row.url, row.file, row.line, row.column, row.ok, row.status, row.skipped)
                rows[key] += 1

        running = asyncio.ensure_future(run())
        while crawler._reader is None and not running.done():
            await asyncio.sleep(0.01)
        if crawler._reader is not None:
            await crawler._reader.ready()
            if crawler._reader._process is not None:
                pids.append(crawler._reader._process.pid)
        OPEN.set()
        await running
        OPEN.clear()
        return rows, crawler

    pids: list[int] = []
    apart, crawler = await crawl()
    assert crawler._reader is not None
    assert len(pids) == 1
    assert not alive(pids[0]), "the run's end stops its worker"
    assert crawler._reader.pages_read >= 100, "the worker read the site's pages (124)"
    with one_core():
        here, crawler = await crawl()
    assert crawler._reader is not None
    assert crawler._reader.pages_read == 0
    assert apart == here
    assert sum(apart.values()) > 1_000, "every link of the site"


async def test_a_long_pages_answer_comes_in_frames_rebuilt_a_slice_at_a_time() -> None:
    from urlcheck.crawl import worker

    count = worker.LINKS_PER_FRAME * 40 + 7
    body = b"".join(b"<a href='/p/%d.html'>%d</a>\n" % (n, n) for n in range(count))
    page = expected(body, "text/html", True)
    frames = worker.answer_frames(page)
    assert len(frames) == 41, "its first links, then the rest 500 at a time"
    async with ready_reader() as reader:
        # All of it at once, as one read of the pipe could bring: one slice of it is
        # taken now, the rest in the loop's later turns, with reading paused meanwhile.
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        reader._waiting.append(waiter)
        answers_of(reader).data_received(b"".join(frames))
        assert not waiter.done()
        assert reader._long is not None
        assert reader._receive is not None
        assert not reader._receive.is_reading()
        assert (await waiter) == page
        assert reader._long is None
        for _ in range(3):  # reading resumes in the turn after the last frame is taken
            await asyncio.sleep(0)
        assert reader._receive.is_reading()
        pages = await read_all(reader)  # what comes after it is read as before
        assert reader.pages_read == 1 + len(BODIES)
        from_worker = await reader.read(Fetched(body, "text/html", URL, True, True, True))
        assert reader.pages_read == 2 + len(BODIES), "the worker's own frames, the same"
    assert pages == [expected(b, kind, anchors) for b, kind, anchors in BODIES]
    assert from_worker == page
    assert len(from_worker.links) == count


def test_a_links_normal_spelling_travels_as_its_url_when_they_are_the_same() -> None:
    from urlcheck.crawl.readers import _page
    from urlcheck.crawl.worker import answer_frames
    from urlcheck.frames import LENGTH, unframe

    body = b'<a href="/a/b">normal</a><a href="HTTP://Other.Example:80/x/../y">not</a>'
    page = read_page(body, "text/html", "http://127.0.0.1:8/", complete=True, anchors=False)
    normal, other = page.links
    assert normal.normalized is normal.url  # one string, not two equal ones
    assert other.normalized == "http://other.example/y" != other.url
    (answer,) = answer_frames(page)
    rebuilt, more = _page(unframe(answer[LENGTH.size :]))
    assert more == 0
    assert rebuilt.links == page.links
    assert rebuilt.links[0].normalized is rebuilt.links[0].url  # pickled once
