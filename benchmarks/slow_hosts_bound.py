"""The best wall any client can reach on scenario 6's list at C128/H8, by simulation.

    python benchmarks/slow_hosts_bound.py

Scenario 6 (run.py) checks 5,000 URLs over 100 hosts, each URL answering after its own
20-400 ms, at `--concurrency 128 --per-host 8`. Its target compares a run with "the limit",
the latencies' sum over the concurrency: the wall if all 128 places were busy until the
last answer. No client reaches it: whoever takes the last URLs waits for them while the
other places have nothing left. This replays the same list (run.py's own latencies and
hosts, same seed) through 128 places with no cost but the latencies, under ways of
choosing the next URL that a client can use without knowing a latency in advance:

- oldest first, among the hosts with a free place (what `urlcheck.schedule` does);
- the same without the per-host limit (whether --per-host 8 binds at all);
- the host with the most URLs waiting first (a longest-queue rule).

Each gives the wall it would take, and its ratio to the limit. The process's own start and
end are not in it: they come on top.
"""

from __future__ import annotations

import collections
import heapq
import random
from collections.abc import Callable, Sequence

from run import SEED, SLOW_HOST_LATENCY, SLOW_HOST_LIMITS, latencies
from targets import SLOW_HOSTS

URLS = 5_000
Waiting = dict[int, collections.deque[int]]
Chooser = Callable[[list[int], Waiting], int]


def scenario_6(urls: int = URLS) -> tuple[list[int], list[int]]:
    """Each URL's latency (ms) and host number, as run.py draws them."""
    delays = latencies(urls, *SLOW_HOST_LATENCY)
    rng = random.Random(SEED)
    hosts = [rng.randrange(len(SLOW_HOSTS)) for _ in delays]
    return delays, hosts


def makespan(
    delays: Sequence[int], hosts: Sequence[int], choose: Chooser, concurrency: int, per_host: int
) -> float:
    """Seconds until the last answer, each place taking the URL `choose` picks."""
    waiting: Waiting = collections.defaultdict(collections.deque)
    for number, host in enumerate(hosts):
        waiting[host].append(number)
    busy: collections.Counter[int] = collections.Counter()
    in_flight: list[tuple[float, int]] = []
    now = 0.0
    while True:
        while len(in_flight) < concurrency:
            free = [host for host, queue in waiting.items() if queue and busy[host] < per_host]
            if not free:
                break
            host = choose(free, waiting)
            number = waiting[host].popleft()
            busy[host] += 1
            heapq.heappush(in_flight, (now + delays[number] / 1000, host))
        if not in_flight:
            return now
        now, host = heapq.heappop(in_flight)
        busy[host] -= 1


def oldest(free: list[int], waiting: Waiting) -> int:
    return min(free, key=lambda host: waiting[host][0])


def longest_queue(free: list[int], waiting: Waiting) -> int:
    return max(free, key=lambda host: (len(waiting[host]), -waiting[host][0]))


def main() -> None:
    delays, hosts = scenario_6()
    concurrency, per_host = SLOW_HOST_LIMITS
    limit = sum(delays) / 1000 / concurrency
    print(f"{len(delays):,} URLs over {len(set(hosts))} hosts, C{concurrency} H{per_host}")
    print(f"the limit (sum of latencies / {concurrency}): {limit:.3f} s")
    rules = [
        ("oldest first (urlcheck.schedule)", oldest, per_host),
        ("oldest first, no per-host limit", oldest, len(delays)),
        ("longest queue first", longest_queue, per_host),
    ]
    for name, choose, limit_per_host in rules:
        wall = makespan(delays, hosts, choose, concurrency, limit_per_host)
        print(f"{name:36} {wall:.3f} s  {wall / limit:.3f}x the limit")


if __name__ == "__main__":
    main()
