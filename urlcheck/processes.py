"""The worker processes urlcheck starts (`shards`, `documents.workers`, `crawl.worker`):
how many cores there are to spread over, and how one is started."""

from __future__ import annotations

import os
import sys


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
