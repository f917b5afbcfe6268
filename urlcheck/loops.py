"""Which event loop runs the checks: uvloop when it is installed (``pip install
'urlcheck[fast]'``), unless ``URLCHECK_LOOP=asyncio`` asks for the standard one; and how
long another thread may keep it waiting for the GIL. The one place that decides, for the
terminal run and for each worker process of a long list."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Coroutine, Iterator
from types import ModuleType
from typing import Any, TypeVar

_T = TypeVar("_T")

SWITCH_INTERVAL_S = 0.001
"""How long a thread beside the loop (reading the list, loading the trust store or rich)
may hold the GIL while the loop waits for it, at most: Python's default is 5 ms, each one
added to the times of the checks in flight."""


def uvloop_module() -> ModuleType | None:
    """uvloop, if it is installed and not turned off with ``URLCHECK_LOOP=asyncio``."""
    if os.environ.get("URLCHECK_LOOP", "").lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop


@contextlib.contextmanager
def chosen_policy() -> Iterator[None]:
    """While the block runs, new event loops are uvloop's (see `uvloop_module`), and the
    GIL changes hands every `SWITCH_INTERVAL_S`.

    asgiref starts the run's loop with asyncio.run, which asks the policy for a new loop;
    the policy and the interval are put back afterwards, so nothing else in the process
    changes (a test run).
    """
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        uvloop = uvloop_module()
        if uvloop is None:
            yield
            return
        import asyncio  # here, not at the top: `urlcheck --version` needs none of it

        previous = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        try:
            yield
        finally:
            asyncio.set_event_loop_policy(previous)
    finally:
        sys.setswitchinterval(interval)


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """Run `main` to its end on the chosen loop (a worker process's whole life)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    uvloop = uvloop_module()
    if uvloop is None:
        import asyncio

        return asyncio.run(main)
    result: _T = uvloop.run(main)
    return result
