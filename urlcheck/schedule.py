"""Which target a free worker takes next: one whose host has a free place.

With a plain first-in-first-out queue, a worker that takes a URL of a host already at its
`--per-host` limit waits for that host while URLs of idle hosts wait behind it: on a list
of slow hosts, most of `--concurrency` sits idle. Here targets wait per host, and a worker
is handed the oldest target whose host has a place; a bounded number of targets is read
ahead to find them, so memory stays flat however long the list. (Oldest first, not the
hosts in turn: taking turns drains the hosts with few URLs first and leaves the end of a
run to the few with many, each held to its `--per-host`, while most workers sit idle.)

A host is what the client's own limit counts (`http.lean.HostKey`: scheme, host, port), and
the client still enforces `--per-host` itself (a redirect may lead to another host), so the
limit holds whatever this module decides.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
from typing import TYPE_CHECKING

from .urls import parse_url

if TYPE_CHECKING:
    from yarl import URL

    from .http.lean import HostKey
    from .models import Target

LOOKAHEAD_PER_WORKER = 8
"""Targets read ahead per worker, in all hosts' queues together: room to find, behind a
run of one saturated host's URLs, enough other hosts to keep every worker busy."""


def host_key(target: Target) -> HostKey:
    """The host the client's `--per-host` limit counts the target's URL under."""
    return _key(target.url, target.parsed or parse_url(target.url)[0])


def _key(text: str, url: URL | None) -> HostKey:
    if url is None:  # not a URL: the check fails at once, on no host
        return ("", text, 0)
    return (url.scheme, url.raw_host or "", url.port or 0)


class HostQueue:
    """Targets waiting per host; `get` hands out the oldest whose host has fewer than
    `per_host` in flight (0: no limit), with its host's key; `done(key)` gives the place
    back, `lend(key)` and `retake(key)` free it for a while (a retry's wait).

    `put` waits while `capacity` targets are waiting; `close` says no more will come, and
    `get` then returns None once every waiting target has been handed out.
    """

    def __init__(self, per_host: int, capacity: int) -> None:
        self._per_host = per_host
        self._capacity = max(1, capacity)
        self._waiting: dict[HostKey, collections.deque[tuple[int, Target]]] = {}
        """Each host's targets, with the number each came in as."""
        self._numbers = itertools.count()
        self._busy: collections.Counter[HostKey] = collections.Counter()
        self._ready: list[tuple[int, HostKey]] = []
        """A heap of the hosts with a target waiting and a free place, by the number of
        their oldest target."""
        self._queued: set[HostKey] = set()
        """The hosts in `_ready` (each is there once)."""
        self._size = 0
        self._closed = False
        self._getters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._putters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __len__(self) -> int:
        return self._size

    def full(self) -> bool:
        """Whether `put` would wait."""
        return self._size >= self._capacity

    def _has_room(self, key: HostKey) -> bool:
        return not self._per_host or self._busy[key] < self._per_host

    def _offer(self, key: HostKey) -> None:
        """Give `key` its turn, if it has a target waiting and a free place."""
        if key not in self._queued and key in self._waiting and self._has_room(key):
            self._queued.add(key)
            heapq.heappush(self._ready, (self._waiting[key][0][0], key))
            _wake(self._getters)

    async def put(self, target: Target) -> None:
        """Add `target`, waiting while the queue is full."""
        while self.full():
            await self._wait(self._putters)
        url = target.parsed
        if url is None:  # a document's or a crawl's link: parsed here once, for the request too
            url = parse_url(target.url)[0]
            if url is not None:
                target = target.with_parsed(url)
        key = _key(target.url, url)
        queue = self._waiting.get(key)
        if queue is None:
            queue = self._waiting[key] = collections.deque()
        queue.append((next(self._numbers), target))
        self._size += 1
        self._offer(key)

    async def get(self) -> tuple[HostKey, Target] | None:
        """The next target whose host has a free place (taking the place), or None at the
        end."""
        while True:
            while not self._ready:
                if self._closed and not self._size:
                    _wake(self._getters)  # the next one ends too
                    return None
                await self._wait(self._getters)
            _, key = heapq.heappop(self._ready)
            self._queued.discard(key)
            if self._has_room(key):  # (a retry may have taken its last place back)
                break
        queue = self._waiting[key]
        _, target = queue.popleft()
        self._size -= 1
        self._busy[key] += 1
        if not queue:
            del self._waiting[key]
        self._offer(key)  # its next target, in its place among the others'
        _wake(self._putters)
        if self._ready or (self._closed and not self._size):
            _wake(self._getters)  # more to hand out, or the end to tell
        return key, target

    def done(self, key: HostKey) -> None:
        """A check of the host `key` (from `get`) is over: its place is free again."""
        busy = self._busy[key] - 1
        assert busy >= 0, f"{key} given back more often than taken"
        if busy > 0:
            self._busy[key] = busy
        else:
            del self._busy[key]
        self._offer(key)

    lend = done
    """A check waits before it retries: its place goes to another of the host's targets."""

    def retake(self, key: HostKey) -> None:
        """The check is back from its wait: it holds a place again, even over the limit for
        a moment (the client's own limit makes it wait for a connection then)."""
        self._busy[key] += 1

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
