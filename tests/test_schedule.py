"""Host-aware scheduling: a free worker never waits for a busy host while another host's
URL waits (`urlcheck.schedule`), against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib

from urlcheck import CheckOptions, Target, check_urls
from urlcheck.inputs import to_target
from urlcheck.schedule import HostQueue, host_key

from .servers import Served, demo_app, serve_app

A, B = ("http", "a", 80), ("http", "b", 80)


def test_host_key_is_the_clients_own() -> None:
    """Scheme, host and port, as the client's --per-host counts them: the default port
    written or not, a password or not, it is one host."""
    for url, key in [
        ("https://Example.org:8443/a?b#c", ("https", "example.org", 8443)),
        ("https://example.org:443/a", ("https", "example.org", 443)),
        ("https://u:secret@example.org/a", ("https", "example.org", 443)),
        ("http://example.org?x", ("http", "example.org", 80)),
        ("http://example.org#top", ("http", "example.org", 80)),
    ]:
        assert host_key(to_target(url)) == key
        # unparsed targets (as shard workers get them) give the same key
        assert host_key(Target(url=url, display=url)) == key


async def test_a_busy_host_is_skipped_until_it_has_room() -> None:
    queue = HostQueue(per_host=2, capacity=10)
    for url in ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://a/4"]:
        await queue.put(to_target(url))
    queue.close()
    taken = [await queue.get() for _ in range(3)]
    # oldest first, but a/3 waits: a is at its limit, so b/1 goes before it
    assert [t.url for _, t in taken if t] == ["http://a/1", "http://a/2", "http://b/1"]
    # a is at its limit: nothing of it is handed out until one of its checks is done
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    queue.done(A)
    taken_a = await asyncio.wait_for(waiting, 1)
    assert taken_a is not None
    assert taken_a == (A, taken_a[1])
    assert taken_a[1].url == "http://a/3"
    queue.done(B)
    queue.done(A)
    nxt = await queue.get()
    assert nxt is not None
    assert nxt[1].url == "http://a/4"
    queue.done(A)
    queue.done(A)
    assert await queue.get() is None
    assert await queue.get() is None  # every later getter ends too


async def test_put_waits_while_full_and_get_ends_every_worker() -> None:
    queue = HostQueue(per_host=0, capacity=2)
    await queue.put(to_target("http://a/1"))
    await queue.put(to_target("http://a/2"))
    blocked = asyncio.ensure_future(queue.put(to_target("http://a/3")))
    await asyncio.sleep(0.01)
    assert not blocked.done()
    assert len(queue) == 2
    assert (await queue.get()) is not None
    await asyncio.wait_for(blocked, 1)
    assert len(queue) == 2
    getters = [asyncio.ensure_future(queue.get()) for _ in range(5)]
    queue.close()
    got = await asyncio.wait_for(asyncio.gather(*getters), 1)
    assert sorted(t[1].url for t in got if t) == ["http://a/2", "http://a/3"]
    assert got.count(None) == 3


async def test_a_cancelled_getter_passes_its_wake_on() -> None:
    queue = HostQueue(per_host=1, capacity=10)
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    await queue.put(to_target("http://a/1"))  # wakes `first` ...
    first.cancel()  # ... which is cancelled before it runs
    taken = await asyncio.wait_for(second, 1)
    assert taken is not None
    assert taken[1].url == "http://a/1"


async def test_a_fast_host_is_not_held_up_behind_a_slow_one(server: Served) -> None:
    """Four workers, two places per host: the slow host's third and fourth URLs wait for
    its places, the other host's URLs go at once (a FIFO queue held them behind)."""
    with serve_app(demo_app()) as fast:
        slow_urls = [server.url(f"/slow?delay=0.6&n={n}") for n in range(4)]
        fast_urls = [fast.url(f"/ok?n={n}") for n in range(2)]
        options = CheckOptions(retries=0, timeout=5, concurrency=4, per_host=2)
        order = []
        async with contextlib.aclosing(check_urls(slow_urls + fast_urls, options)) as results:
            async for result in results:
                assert result.ok, result
                order.append(result.url)
    # Both fast URLs went out beside the slow host's first two, not behind its last two.
    assert set(order[:2]) == set(fast_urls)
    assert server.state["peak"] == 2  # the per-host limit held all the same
    assert len(fast.log) == 2


async def test_a_retry_wait_lends_the_hosts_place() -> None:
    queue = HostQueue(per_host=1, capacity=10)
    await queue.put(to_target("http://a/1"))
    await queue.put(to_target("http://a/2"))
    queue.close()
    first = await queue.get()
    assert first is not None
    queue.lend(A)  # the first check waits to retry: the second may go meanwhile
    second = await asyncio.wait_for(queue.get(), 1)
    assert second is not None
    assert second[1].url == "http://a/2"
    queue.retake(A)  # back from its wait, over the limit for a moment
    queue.done(A)
    queue.done(A)
    assert await asyncio.wait_for(queue.get(), 1) is None


async def test_an_unparsed_target_is_parsed_once_for_the_queue_and_the_request() -> None:
    """Documents' and crawls' links come unparsed: the queue parses each once, and the
    target it hands out carries the parsed URL, so the request does not parse it again."""
    queue = HostQueue(per_host=1, capacity=10)
    await queue.put(Target(url="https://Example.org:443/a", display="x", line=3, column=7))
    queue.close()
    taken = await queue.get()
    assert taken is not None
    key, target = taken
    assert key == ("https", "example.org", 443)
    assert target.parsed is not None
    assert str(target.parsed) == "https://example.org/a"
    assert (target.url, target.display, target.line, target.column) == (
        "https://Example.org:443/a",
        "x",
        3,
        7,
    )
