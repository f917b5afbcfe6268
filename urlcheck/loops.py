"""Which event loop runs the checks: uvloop when it is installed (``pip install
'urlcheck[fast]'``), unless ``URLCHECK_LOOP=asyncio`` asks for the standard one. The one
place that decides, for the terminal run and for each worker process of a long list."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Coroutine, Iterator
from types import ModuleType
from typing import Any, TypeVar

_T = TypeVar("_T")


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
    """While the block runs, new event loops are uvloop's (see `uvloop_module`).

    asgiref starts the run's loop with asyncio.run, which asks the policy for a new loop;
    the policy is put back afterwards, so nothing else in the process changes (a test run).
    """
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


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """Run `main` to its end on the chosen loop (a worker process's whole life)."""
    uvloop = uvloop_module()
    if uvloop is None:
        import asyncio

        return asyncio.run(main)
    result: _T = uvloop.run(main)
    return result
