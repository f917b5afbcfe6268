"""Exit codes, chosen in one pure function over what a run produced."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """What `urlcheck` exits with, for cron and CI to act on."""

    OK = 0
    """Every URL is fine."""
    FAILED = 1
    """At least one URL failed, an invalid line included."""
    ERROR = 2
    """Usage or input error: nothing could be checked."""
    UNKNOWN = 3
    """The run could not tell: ``--connectivity`` failed, so this machine's network is down."""
    BROKEN_PIPE = 141
    """The reader of the output went away (128 + SIGPIPE, as a shell reports it)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT)."""


def exit_status(
    *, checked: int, failed: int, input_errors: int = 0, interrupted: bool = False
) -> ExitStatus:
    """The exit status of a run from its counts."""
    if interrupted:
        return ExitStatus.INTERRUPTED
    if checked == 0:
        return ExitStatus.ERROR
    if failed or input_errors:
        return ExitStatus.FAILED
    return ExitStatus.OK
