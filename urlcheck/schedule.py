"""Which target a free worker takes next: one whose host has a free place.

With a plain first-in-first-out queue, a worker that takes a URL of a host already at its
`--per-host` limit waits for that host while URLs of idle hosts wait behind it: on a list
of slow hosts, most of `--concurrency` sits idle (issue 16 measured 2x lychee's wall). Here
targets wait per host, and a worker is handed a target only when its host has a place, the
hosts taking turns; a bounded number of targets is read ahead to find them, so memory stays
flat however long the list.

The host is the scheduling key only: the client still enforces `--per-host` itself (a
redirect may lead to another host), so the limit holds whatever this module decides.
"""

from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Target

HostKey = str

LOOKAHEAD_PER_WORKER = 8
"""Targets read ahead per worker, in all hosts' queues together: room to find, behind a
run of one saturated host's URLs, enough other hosts to keep every worker busy."""


def host_key(target: Target) -> HostKey:
    """The scheme and authority of the target's URL, lower-cased: ``https://example.org``.

    Cheap and good enough to spread the work: it is not the limit's own key (the client
    parses the URL for that), so a URL written oddly at worst shares a turn it need not.
    """
    parsed = target.parsed
    if parsed is not None:
        return f"{parsed.scheme}://{parsed.raw_authority}".lower()
    url = target.url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.lower()
    end = len(rest)
    for mark in "/?#":
        at = rest.find(mark, 0, end)
        if at != -1:
            end = at
    return f"{scheme}://{rest[:end]}".lower()


class HostQueue:
    """Targets waiting per host; `get` hands out one whose host has fewer than `per_host`
    in flight (0: no limit), the hosts taking turns, with its host's key; `done(key)` gives
    the place back.

    `put` waits while `capacity` targets are waiting; `close` says no more will come, and
    `get` then returns None once every waiting target has been handed out.
    """

    def __init__(self, per_host: int, capacity: int) -> None:
        self._per_host = per_host
        self._capacity = max(1, capacity)
        self._waiting: dict[HostKey, collections.deque[Target]] = {}
        self._busy: collections.Counter[HostKey] = collections.Counter()
        self._ready: collections.deque[HostKey] = collections.deque()
        """Hosts with a target waiting and a free place, in turn order (each at most once)."""
        self._size = 0
        self._closed = False
        self._getters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._putters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __len__(self) -> int:
        return self._size

    def _has_room(self, key: HostKey) -> bool:
        return not self._per_host or self._busy[key] < self._per_host

    async def put(self, target: Target) -> None:
        """Add `target`, waiting while the queue is full."""
        while self._size >= self._capacity:
            await self._wait(self._putters)
        key = host_key(target)
        queue = self._waiting.get(key)
        if queue is None:
            queue = self._waiting[key] = collections.deque()
        queue.append(target)
        self._size += 1
        if len(queue) == 1 and self._has_room(key):
            self._ready.append(key)
            _wake(self._getters)

    async def get(self) -> tuple[HostKey, Target] | None:
        """The next target whose host has a free place (taking the place), or None at the
        end."""
        while not self._ready:
            if self._closed and not self._size:
                _wake(self._getters)  # the next one ends too
                return None
            await self._wait(self._getters)
        key = self._ready.popleft()
        queue = self._waiting[key]
        target = queue.popleft()
        self._size -= 1
        self._busy[key] += 1
        if not queue:
            del self._waiting[key]
        elif self._has_room(key):
            self._ready.append(key)  # its next target, after the other hosts' turns
        _wake(self._putters)
        if self._ready or (self._closed and not self._size):
            _wake(self._getters)  # more to hand out, or the end to tell
        return key, target

    def done(self, key: HostKey) -> None:
        """A check of the host `key` (from `get`) is over: its place is free again."""
        busy = self._busy[key] - 1
        if busy:
            self._busy[key] = busy
        else:
            del self._busy[key]
        if self._per_host and busy == self._per_host - 1 and key in self._waiting:
            self._ready.append(key)  # it was full, with targets waiting: its turn again
            _wake(self._getters)

    def close(self) -> None:
        """No more targets will be put: wake the getters, so they can end."""
        self._closed = True
        _wake(self._getters)  # each getter that ends wakes the next

    async def _wait(self, waiters: collections.deque[asyncio.Future[None]]) -> None:
        waiter = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                _wake(waiters)  # woken, then cancelled: the wake goes to the next one
            waiter.cancel()
            raise
        finally:
            if waiter in waiters:
                waiters.remove(waiter)


def _wake(waiters: collections.deque[asyncio.Future[None]]) -> None:
    """Wake the first waiter still waiting."""
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            return
