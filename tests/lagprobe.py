"""Run the urlcheck command with a probe of its event loop's lag, for tests and benchmarks.

``python -m tests.lagprobe OUT.json -- [urlcheck arguments]`` runs ``urlcheck`` in this
process exactly as the console script does, after teaching every event loop policy (the
standard one and uvloop's) to start a sampler on each loop it makes: every `INTERVAL`
seconds the sampler asks to run again and notes how late it ran. A late callback is a
blocked loop: an import, a render, a file or database read, anything that holds the loop
while checks are in flight and so adds to their measured times. At exit the lags of the
loop that ran the checks go to OUT.json: p50, p99, max and the number of samples, in ms,
and the worst few with when they came (ms after the loop started) and how much CPU the loop's
thread had in each (``ran_ms``: far less than the lag is a wait for a core or the GIL) and
the whole process had (``process_ms``: more than ``ran_ms`` is another of its threads, which
held the GIL; far less than the lag, the process was not running at all: the cores were
busy with other processes, its own workers among them), to find what blocked it.
The garbage collector's pauses are noted too (`gc.callbacks`): ``max_net_ms`` is the worst
lag with the collections that ran inside it taken out, ``gc_max_ms`` the longest of them.

Nothing here touches urlcheck's code: the loop is the one urlcheck makes and runs.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import sys
import time
from typing import Any

INTERVAL = 0.001
"""Seconds between samples."""

WORST_KEPT = 10

_Worst = tuple[float, float, float, float]
"""(lag ms, ms since the loop started, ms of CPU the loop's thread had in the gap, ms of CPU
the whole process had in it)."""
_loops: list[tuple[list[float], list[_Worst], list[float]]] = []
_collections = {"began": 0.0, "total_s": 0.0, "max_s": 0.0}
"""The collector's pauses: when the one under way began, their sum and the longest."""


def _collected(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _collections["began"] = time.monotonic()  # the clock of asyncio's loop.time()
        return
    took = time.monotonic() - _collections["began"]
    _collections["total_s"] += took
    _collections["max_s"] = max(_collections["max_s"], took)


def _sample(loop: asyncio.AbstractEventLoop) -> None:
    lags: list[float] = []
    worst: list[_Worst] = []
    """The longest lags (see `_Worst`): a gap the thread did not run in was spent waiting
    for a core or for the GIL, not in a callback."""
    net: list[float] = []
    """Each lag less the collections that ran inside it."""
    _loops.append((lags, worst, net))
    began = loop.time()
    collected = [_collections["total_s"]]
    ran = [time.thread_time(), time.process_time()]

    def tick(expected: float) -> None:
        now = loop.time()
        lag = max(0.0, now - expected) * 1000
        cpu, process = time.thread_time(), time.process_time()
        ran_ms, process_ms = (cpu - ran[0]) * 1000, (process - ran[1]) * 1000
        ran[:] = cpu, process
        lags.append(lag)
        total = _collections["total_s"]
        net.append(max(0.0, lag - (total - collected[0]) * 1000))
        collected[0] = total
        if len(worst) < WORST_KEPT or lag > worst[-1][0]:
            worst.append((lag, (expected - began) * 1000, ran_ms, process_ms))
            worst.sort(reverse=True)
            del worst[WORST_KEPT:]
        loop.call_at(now + INTERVAL, tick, now + INTERVAL)

    start = loop.time() + INTERVAL
    loop.call_at(start, tick, start)


def _install() -> None:
    policies: list[Any] = [asyncio.DefaultEventLoopPolicy]
    try:
        import uvloop

        policies.append(uvloop.EventLoopPolicy)
    except ImportError:
        pass
    for policy in policies:
        original = policy.new_event_loop

        def new_event_loop(self: Any, _original: Any = original) -> asyncio.AbstractEventLoop:
            loop: asyncio.AbstractEventLoop = _original(self)
            _sample(loop)
            return loop

        policy.new_event_loop = new_event_loop


def summary(
    lags: list[float],
    worst: list[_Worst],
    net: list[float] | None = None,
) -> dict[str, Any]:
    """p50, p99 and max of the lags (ms), how many there are, and when the worst came; the
    worst lag without the collector's pauses, and the longest pause."""
    ordered = sorted(lags)
    pauses = {"max_net_ms": max(net or [0.0]), "gc_max_ms": _collections["max_s"] * 1000}
    if not ordered:
        return {"samples": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "worst": [], **pauses}
    return {
        "samples": len(ordered),
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max_ms": ordered[-1],
        "worst": [
            {"lag_ms": lag, "at_ms": at, "ran_ms": ran, "process_ms": process}
            for lag, at, ran, process in worst
        ],
        **pauses,
    }


def main() -> None:
    out, separator, *args = sys.argv[1:]
    if separator != "--":
        sys.exit("usage: python -m tests.lagprobe OUT.json -- [urlcheck arguments]")

    def report() -> None:
        lags, worst, net = max(_loops, key=lambda each: len(each[0]), default=([], [], []))
        with open(out, "w", encoding="utf-8") as stream:
            json.dump(summary(lags, worst, net), stream)  # the loop that ran the checks

    atexit.register(report)
    gc.callbacks.append(_collected)
    _install()
    sys.argv = ["urlcheck", *args]
    from urlcheck.__main__ import run

    run()


if __name__ == "__main__":
    main()
