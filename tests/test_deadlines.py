"""`urlcheck.http.deadlines`: the cheap per-attempt deadline behaves as `asyncio.timeout` does."""

from __future__ import annotations

import asyncio
import time

import pytest

from urlcheck.http.deadlines import TICK_MAX, Deadlines


async def test_a_deadline_raises_timeout_error_within_a_tick() -> None:
    deadlines = Deadlines()
    started = time.perf_counter()
    with pytest.raises(TimeoutError), deadlines.within(0.2):
        await asyncio.sleep(10)
    took = time.perf_counter() - started
    deadlines.close()
    assert 0.2 <= took < 0.2 + TICK_MAX + 0.2


async def test_a_block_that_finishes_in_time_is_left_alone() -> None:
    deadlines = Deadlines()
    with deadlines.within(1):
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.1)  # the ticker has nothing left to cancel
    deadlines.close()
    current = asyncio.current_task()
    assert current is not None
    assert current.cancelling() == 0


async def test_a_cancellation_from_outside_is_not_a_timeout() -> None:
    deadlines = Deadlines()

    async def waits() -> None:
        with deadlines.within(5):
            await asyncio.sleep(10)

    task = asyncio.create_task(waits())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadlines.close()


async def test_many_tasks_each_get_their_own_deadline() -> None:
    deadlines = Deadlines()

    async def waits(seconds: float, sleep: float) -> str:
        try:
            with deadlines.within(seconds):
                await asyncio.sleep(sleep)
        except TimeoutError:
            return "timeout"
        return "done"

    outcomes = await asyncio.gather(*(waits(0.1, 1), waits(1, 0.05), waits(0.3, 1), waits(1, 0.2)))
    deadlines.close()
    assert outcomes == ["timeout", "done", "timeout", "done"]


def test_a_deadline_needs_a_task() -> None:
    async def outside() -> None:
        deadline = Deadlines().within(1)
        loop = asyncio.get_running_loop()
        # A plain callback runs outside any task.
        future: asyncio.Future[BaseException | None] = loop.create_future()

        def enter() -> None:
            try:
                deadline.__enter__()
            except RuntimeError as exc:
                future.set_result(exc)
            else:
                future.set_result(None)

        loop.call_soon(enter)
        assert isinstance(await future, RuntimeError)

    asyncio.run(outside())
