"""Lines handed from the reader thread to the event loop (`urlcheck.streams.each_in_thread`),
on a real loop and a real thread."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Iterator
from typing import TypeVarTuple

from urlcheck.streams import _Handoff, each_in_thread

_Ts = TypeVarTuple("_Ts")
BURSTS = 50
BURST = 100


class CountingLoop(asyncio.SelectorEventLoop):
    """The standard loop, counting its `call_soon_threadsafe` calls: a reader's wake-ups."""

    def __init__(self) -> None:
        super().__init__()
        self.wakes = 0

    def call_soon_threadsafe(
        self,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        self.wakes += 1
        return super().call_soon_threadsafe(callback, *args, context=context)


def bursts() -> Iterator[int]:
    """Items read in bursts, as a file is read a buffer at a time: between two bursts the
    reader waits (and lets the GIL go), so the loop empties the buffer and falls asleep."""
    for burst in range(BURSTS):
        time.sleep(0.002)
        yield from range(burst * BURST, (burst + 1) * BURST)


async def take_all(ahead: int) -> list[int]:
    return [item async for item in each_in_thread(bursts(), ahead)]


def test_every_item_arrives_in_order() -> None:
    with asyncio.Runner() as runner:
        items = runner.run(asyncio.wait_for(take_all(ahead=16), timeout=30))  # a lost wake-up
        assert items == list(range(BURSTS * BURST))


def test_a_sleeping_loop_is_woken_once_not_once_an_item() -> None:
    """The loop is asleep (`waiting` set) and the reader adds 100 items before it runs
    again: one wake-up for them and one for the end. It was one an item: 13,834 wake-ups in
    one run of a 24,000-line list, each a write to the loop's self-pipe and one more turn of
    the loop, a quarter of that run's wall (0.94 s, 0.71 s without them). Run here, on the
    loop's own thread, so that no scheduling can change the count."""

    async def fill() -> int:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, CountingLoop)
        handoff: _Handoff[int] = _Handoff(loop, ahead=1_000)
        handoff.waiting = True  # as `each_in_thread` leaves it when the buffer ran dry
        handoff.produce(range(100))  # the loop cannot run before this returns
        assert list(handoff.ready) == list(range(100))
        return loop.wakes

    with asyncio.Runner(loop_factory=CountingLoop) as runner:
        assert runner.run(fill()) == 2
