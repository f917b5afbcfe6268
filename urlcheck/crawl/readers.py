"""A crawl's pages read in a worker process (`worker`), on the machine's other core:
parsing is a third of a crawl's CPU (0.3 ms a page of a dozen links), and in a thread it
takes the GIL from the loop that times the checks.

One worker, started when a ``--recursive`` run attaches, before any check is in flight,
and spoken to on the loop (no thread): a body goes out, what it held comes back as plain
tuples, in order, rebuilt into a `pages.Page` here (a pickled `Page` costs 0.1 ms a page to
pickle and unpickle, its tuples an eighth of that), half a millisecond at a time: a page of
20,000 links takes 35 ms to rebuild, which no check in flight may wait for. Until the
worker says it is ready (its imports take about 0.1 s), on a machine with one core, and
once it is gone or garbled, a page is read in a thread as before (`bodies`): nothing waits
for it and no page is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import subprocess
import sys
import time
from collections import deque
from typing import cast

from ..bodies import Fetched, read_in_thread
from ..fragments import Anchors, Dialect
from ..frames import LENGTH, frame
from ..pages import Page, PageLink
from ..processes import cores, worker_command
from ..streams import Slice
from .worker import READY, Answer, Links

EXIT_GRACE_S = 0.5
"""How long a worker whose input ended has to exit before it is killed."""
WORKER_BODY_MAX = 1 << 20
"""Bodies longer than this are read in a thread: pickled on the loop and sent down the pipe,
an 8 MiB body holds the loop 14 ms."""
START_WAIT_S = 2.0
"""How long a page waits for a worker that is starting (ready in about 0.1 s) before a thread
reads it instead."""
ANSWER_MAX = 1 << 28
"""A frame longer than this is no answer of the worker's (garbled: the rest go to threads)."""


class _Answers(asyncio.Protocol):
    """The worker's output, read on the loop: its frames answer the oldest page sent.

    They are taken a `Slice` at a time: when whole frames are left after one, reading
    pauses and the rest are taken in the loop's next turn."""

    def __init__(self, reader: PageReader) -> None:
        self._reader = reader
        self._buffer = bytearray()
        self._transport: asyncio.ReadTransport | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.ReadTransport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._paused:  # else the turn already planned takes this too
            self._drain()

    def _drain(self) -> None:
        transport = self._transport
        assert transport is not None
        if transport.is_closing():  # closed meanwhile: what it had not answered is threads'
            return
        try:
            done = self._take()
        except Exception:  # garbled, or more answers than pages: done with this worker
            transport.close()  # connection_lost follows: the rest read in threads
            return
        if done:
            if self._paused:
                self._paused = False
                transport.resume_reading()
            return
        if not self._paused:
            self._paused = True
            transport.pause_reading()
        asyncio.get_running_loop().call_soon(self._drain)

    def _take(self) -> bool:
        """Take the whole frames buffered, for one slice: whether that was all of them."""
        buffer = self._buffer
        start = 0
        share = Slice()
        try:
            while len(buffer) - start >= LENGTH.size:
                size = LENGTH.unpack_from(buffer, start)[0]
                if size > ANSWER_MAX:
                    raise ValueError(f"a frame of {size} bytes")
                end = start + LENGTH.size + size
                if len(buffer) < end:
                    break
                message = pickle.loads(memoryview(buffer)[start + LENGTH.size : end])
                start = end
                self._reader.take_answer(message)
                if share.over():
                    return False
            return True
        finally:
            del buffer[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        self._reader.gone()


class _Requests(asyncio.Protocol):
    """The worker's input: `writable` is set while its pipe takes more."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable.set()  # nothing waits on a pipe that is gone


class PageReader:
    """Pages read by a worker process when it is there, in a thread when it is not.

    `start` it on the loop before any check is in flight (it forks); `read` pages; `close`
    it when the run ends (idempotent)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._send: asyncio.WriteTransport | None = None
        self._receive: asyncio.ReadTransport | None = None
        self._requests: _Requests | None = None
        self._waiting: deque[asyncio.Future[Page | None]] = deque()
        self._long: tuple[Page, int, asyncio.Future[Page | None]] | None = None
        """A page whose further links are coming: the frames still to come, its waiter."""
        self._ready = False
        self._asked = False
        """Whether a page was asked for already (see `read`)."""
        self._settled = asyncio.Event()
        """Set once the worker said it is ready, or is gone."""
        self.pages_read = 0
        """Pages the worker has read."""

    async def start(self) -> None:
        """Start the worker, unless this machine has one core or no process can start."""
        if cores() < 2 or sys.platform == "win32":  # no pipes on the loop there
            return
        try:
            process = subprocess.Popen(
                worker_command("urlcheck.crawl.worker"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # a worker that fails is replaced by threads
                # Not in the terminal's process group: Ctrl-C is the parent's.
                start_new_session=True,
            )
        except OSError:  # EMFILE, EAGAIN: the pages are read in threads
            return
        self._process = process
        loop = asyncio.get_running_loop()
        try:
            requests = _Requests()
            self._send, _ = await loop.connect_write_pipe(lambda: requests, process.stdin)
            self._requests = requests
            self._receive, _ = await loop.connect_read_pipe(lambda: _Answers(self), process.stdout)
        except Exception:  # no worker, then: threads
            await self.close()

    async def read(self, fetched: Fetched) -> Page:
        """What a fetched body held (see `pages.read_page`).

        A page fetched while the worker starts waits for it, but the first: read in threads,
        the pages would be parsed, and the page reader imported, beside the checks in flight,
        holding the GIL their loop needs for 10-60 ms at a time. The first page asked for is
        a crawl's start page (of one start page, nothing else is in flight beside it: its
        links come next): a thread reads it at once, for the worker is ready only about
        0.1 s after it starts, and a one-page crawl would wait for it."""
        first, self._asked = not self._asked, True
        if (
            not first
            and self._receive is not None
            and not self._settled.is_set()
            and len(fetched.body) <= WORKER_BODY_MAX  # (a longer one goes to a thread anyway)
        ):
            with contextlib.suppress(TimeoutError):  # (then a thread reads it)
                await asyncio.wait_for(self._settled.wait(), START_WAIT_S)
        send, requests = self._send, self._requests
        if (
            self._ready
            and send is not None
            and requests is not None
            and not send.is_closing()
            and len(fetched.body) <= WORKER_BODY_MAX
        ):
            if not requests.writable.is_set():  # the pipe is full: wait before adding more
                await requests.writable.wait()
            waiter: asyncio.Future[Page | None] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            send.write(frame(tuple(fetched)))
            page = await waiter
            if page is not None:
                return page
        return await read_in_thread(fetched)

    def take_answer(self, message: object) -> None:
        """The worker's next message: ready, what the oldest page sent held, or more of a
        long page's links (`worker.answer_frames`).

        An answer that cannot be read leaves its page to a thread, and raises: the frames
        after it cannot be told apart, so the worker is done with (see `_Answers`)."""
        if self._long is not None:
            page, more, waiter = self._long
            self._long = None
            try:
                page.links.extend(PageLink(*link) for link in cast(Links, message))
            except BaseException:
                _settle(waiter, None)
                raise
            self._answered(page, more - 1, waiter)
            return
        if message == READY:
            self._ready = True
            self._settled.set()
            return
        waiter = self._waiting.popleft()  # IndexError: an answer to no page (see _Answers)
        if message is None:  # the worker could not read it: a thread will, and say why
            _settle(waiter, None)
            return
        try:
            page, more = _page(cast(Answer, message))
        except BaseException:
            _settle(waiter, None)
            raise
        self._answered(page, more, waiter)

    def _answered(self, page: Page, more: int, waiter: asyncio.Future[Page | None]) -> None:
        if more > 0:
            self._long = (page, more, waiter)
            return
        self.pages_read += 1
        _settle(waiter, page)

    async def ready(self) -> bool:
        """Wait until the worker has said it is ready, or is gone: whether it is there."""
        if self._receive is not None:
            await self._settled.wait()
        return self._ready

    def gone(self) -> None:
        """The worker's output ended: what it had not answered is read in threads."""
        self._ready = False
        self._settled.set()
        if self._long is not None:
            _settle(self._long[2], None)
            self._long = None
        while self._waiting:
            _settle(self._waiting.popleft(), None)

    async def close(self) -> None:
        """End the worker's input and give it `EXIT_GRACE_S` to exit (none if it never
        said it was ready: it has nothing to finish), then kill it; idempotent."""
        ready, self._ready = self._ready, False
        process, send, receive = self._process, self._send, self._receive
        self._process = self._send = self._receive = None
        try:
            if send is not None:
                send.close()
            if process is not None and ready:
                until = time.monotonic() + EXIT_GRACE_S
                while process.poll() is None and time.monotonic() < until:
                    await asyncio.sleep(0.002)
        finally:  # cancelled or not, nothing is left behind
            if send is not None and send.get_write_buffer_size():
                send.abort()  # what the worker never took is dropped, and its pipe closed
            if receive is not None:
                receive.close()
            if process is not None:
                if process.poll() is None:
                    process.kill()
                    process.wait()  # a killed process is gone within a millisecond
                # The pipes the transports did not take over, closed here.
                if send is None and process.stdin is not None:
                    process.stdin.close()
                if receive is None and process.stdout is not None:
                    process.stdout.close()
            self.gone()


def _page(answer: Answer) -> tuple[Page, int]:
    """The page an answer begins, and how many frames of its links are still to come."""
    kind, anchors, links, error, more = answer
    if type(more) is not int or more < 0:  # not bool, whose True would count as one frame
        raise ValueError(f"{more!r} frames to come")
    page = Page(
        kind,  # type: ignore[arg-type]  # the worker sends a Page's own kind
        None if anchors is None else Anchors(anchors[0], Dialect(anchors[1]), anchors[2]),
        [PageLink(*link) for link in links],
        error,
    )
    return page, more


def _settle(waiter: asyncio.Future[Page | None], page: Page | None) -> None:
    if not waiter.done():  # its check was cancelled
        waiter.set_result(page)
