"""How many sockets a run holds open: one per check in flight, and idle ones kept for each
host's next check, all within the process's limit on open files.

A check must never fail for a file descriptor the process could have had, and a server
should not see a new connection for every few requests: a run over many hosts keeps each
host's connections between its checks (as browsers and lychee's HTTP client do), not only
the last `--concurrency` used. 5,000 URLs over 100 slow hosts at ``--concurrency 128
--per-host 8`` opened 1,665 connections with room for 128 idle ones, 487 with room for 512
(lychee: 488), for a sixth less CPU (``strace -c -e trace=connect``, ``/usr/bin/time``).
"""

from __future__ import annotations

IDLE_PER_CHECK = 4
"""Idle connections kept per `--concurrency` place, over all hosts."""
SPARE_FILES = 64
"""Beside the sockets: the lists, the database, pipes to worker processes, the trust store."""
MACOS_OPEN_MAX = 10_240


def files_wanted(concurrency: int) -> int:
    """Open files a run of `concurrency` checks at once would use at most."""
    return concurrency * (1 + IDLE_PER_CHECK) + SPARE_FILES


def make_room(concurrency: int) -> None:
    """Raise the soft limit on open files towards the hard one when a run of `concurrency`
    checks needs more than it allows (macOS starts at 256, many systems at 1,024)."""
    try:
        import resource
    except ImportError:  # not on POSIX: nothing to raise
        return
    needed = files_wanted(concurrency)
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    room = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    for asked in (room, min(room, MACOS_OPEN_MAX)):  # macOS refuses more than OPEN_MAX
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (asked, hard))
            return
        except (OSError, ValueError):  # not allowed: the checks run within the limit there is
            continue


def idle_cap(concurrency: int) -> int:
    """How many idle connections a run of `concurrency` checks keeps: `IDLE_PER_CHECK` a
    place, fewer when the open-file limit (raised or not by `make_room`) leaves less room
    beside the checks' own connections, and at least one. Should the process run out of
    files all the same (other pools in it), the lean client closes idle connections and
    connects again (`LeanPool._connect`)."""
    wanted = concurrency * IDLE_PER_CHECK
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return wanted
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - concurrency - SPARE_FILES))
