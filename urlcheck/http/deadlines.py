"""Deadlines for many short awaits at once, at the cost of a dict entry each.

`asyncio.timeout` arms and cancels a loop timer per use: about 5 µs with uvloop, 15 % of a
whole check against a fast server. `Deadlines` keeps the deadlines of a run in one dict and
one ticker, every `tick` seconds, cancels the tasks whose time is up, exactly as
`asyncio.timeout` would (the same cancel/uncancel bookkeeping, so a cancellation from
outside is never mistaken for a timeout). A deadline fires at most one tick late.

A deadline can also be made unarmed and armed later (`Deadlines.pending`, `Deadline.arm`),
when it must start with the first request of a check rather than when the check waits for
a per-host place: `CheckClock` does that, and measures a check's time as the server made it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from types import TracebackType

TICK_MAX = 0.05
"""Seconds between two looks at the deadlines, at most (less for a short timeout)."""


class Deadline:
    """One ``with`` block's deadline; raises TimeoutError out of the block when it passes."""

    __slots__ = ("_armed", "_cancelling", "_deadlines", "_expired", "_seconds", "_task", "_when")

    def __init__(self, deadlines: Deadlines, seconds: float, *, armed: bool) -> None:
        self._deadlines = deadlines
        self._seconds = seconds
        self._when = 0.0
        self._armed = armed
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._expired = False

    def __enter__(self) -> Deadline:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline needs a task")
        self._task = task
        self._cancelling = task.cancelling()
        if self._armed:
            self._armed = False
            self.arm()
        return self

    def arm(self) -> None:
        """Start the clock now (inside the ``with`` block); later calls do nothing."""
        if self._armed or self._task is None:
            return
        self._armed = True
        self._when = asyncio.get_running_loop().time() + self._seconds
        self._deadlines._add(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._deadlines._due.pop(self, None)
        task = self._task
        if (
            self._expired
            and task is not None
            and task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc

    def _expire(self) -> None:
        self._expired = True
        if self._task is not None:
            self._task.cancel()


class Deadlines:
    """The deadlines of one event loop's tasks; see the module's text."""

    def __init__(self) -> None:
        self._due: dict[Deadline, None] = {}
        self._tick = TICK_MAX
        self._ticker: asyncio.TimerHandle | None = None

    def within(self, seconds: float) -> Deadline:
        """``with deadlines.within(5):`` — the block gets `seconds`, then TimeoutError."""
        self._tick = min(self._tick, max(seconds / 10, 0.001))
        return Deadline(self, seconds, armed=True)

    def pending(self, seconds: float) -> Deadline:
        """Like `within`, but the `seconds` start only when `Deadline.arm` is called."""
        self._tick = min(self._tick, max(seconds / 10, 0.001))
        return Deadline(self, seconds, armed=False)

    def _add(self, deadline: Deadline) -> None:
        self._due[deadline] = None
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().call_later(self._tick, self._look)

    def _look(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for deadline in [d for d in self._due if d._when <= now]:
            del self._due[deadline]
            deadline._expire()
        self._ticker = loop.call_later(self._tick, self._look) if self._due else None

    def close(self) -> None:
        """Stop the ticker (the end of a run)."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None


@dataclass(slots=True)
class CheckClock:
    """The time one check took, as the server made it: from its first request going out (not
    from when it began to wait for a place among the host's connections), retries and their
    pauses included, the later waits for a per-host place left out: those are urlcheck's own
    queueing, not the server's time."""

    started: float | None = None
    queued: float = 0.0
    deadline: Deadline | None = None
    """The deadline of the attempt under way, armed when its first request goes out."""

    def request_starts(self, waited_s: float = 0.0) -> None:
        """A request goes out now, after `waited_s` seconds waiting for a place."""
        if self.started is None:
            self.started = time.perf_counter()
        else:
            self.queued += waited_s
        if self.deadline is not None:
            self.deadline.arm()

    def elapsed_ms(self) -> float:
        """Milliseconds since the first request, without the waits for a place."""
        if self.started is None:
            return 0.0
        return max(0.0, time.perf_counter() - self.started - self.queued) * 1000
