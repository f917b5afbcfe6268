"""Async plumbing the checker and the worker processes share: Python work on the loop done
a slice at a time, items handed from a reader thread to the event loop without blocking it,
and stopping a task that feeds a queue."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")

SLICE_S = 0.0005
"""Seconds of Python work on the loop (parsing a list's lines, turning a page's links into
targets, rebuilding a worker's answers, passing a document's results on) before the loop
turns to the checks in flight: their clocks are running, and a callback that holds the
loop adds its length to every one of them."""


class Slice:
    """One loop's share of a long piece of work: `over` once `SLICE_S` has passed since it
    began; `next` (awaited) lets the loop run what waits, then begins another share."""

    __slots__ = ("ends",)

    def __init__(self) -> None:
        self.ends = time.perf_counter() + SLICE_S

    def over(self) -> bool:
        return time.perf_counter() > self.ends

    def restart(self) -> None:
        """Begin another share now (the loop had its turn some other way)."""
        self.ends = time.perf_counter() + SLICE_S

    async def next(self) -> None:
        await asyncio.sleep(0)  # the loop's turn: the answers waiting are timed now
        self.restart()


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
                    # Once: until the loop runs, it is still `waiting`, and each item read
                    # meanwhile would send it another wake-up (one a line, on a busy loop).
                    self.waiting = False
                    self._wake_loop()
        except BaseException as exc:  # handed to the loop, which re-raises it
            self.error = exc
        finally:
            self.done = True
            self._wake_loop()

    def take(self) -> _T:
        """Run in the loop: the next item; lets the reader go on once half the buffer is free."""
        item = self.ready.popleft()
        if len(self.ready) <= self.ahead // 2 and not self.room.is_set():
            self.room.set()  # (set already: a lock and a notify for nothing, per item)
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
