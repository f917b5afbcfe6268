"""The worker processes urlcheck starts (`shards`, `documents.workers`, `crawl.worker`):
how many cores there are to spread over, and how one is started."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on macOS and Windows
        return os.cpu_count() or 1


def worker_command(module: str) -> list[str]:
    """This Python running `module`, with ``-P``: the working directory's modules (a
    checkout of another urlcheck, a stray ``yarl.py``) never stand in for the installed
    ones in a worker."""
    return [sys.executable, "-P", "-m", module]


def serve_as_worker(serve: Callable[[IO[bytes], IO[bytes]], None]) -> None:
    """A worker's life (`documents.workers`, `crawl.worker`): Ctrl-C left to the parent that
    started it, the collector tuned as there, then `serve` over standard input and output,
    until the parent closes its input or stops reading."""
    import contextlib
    import signal

    from . import collector

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    collector.tune()
    with contextlib.suppress(BrokenPipeError, EOFError):
        serve(sys.stdin.buffer, sys.stdout.buffer)
