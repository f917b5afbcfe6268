"""`python -m urlcheck` and the `urlcheck` console script."""

import atexit
import contextlib
import os
import signal
import sys
import threading

INTERRUPTED = 130  # status.ExitStatus.INTERRUPTED; nothing else is imported before the handler
BROKEN_PIPE = 141  # status.ExitStatus.BROKEN_PIPE: what the run says when its reader went away


def _interrupted(signum: int, frame: object) -> None:
    # Until a run installs its own handler (and after it restores this one), Ctrl-C ends the
    # process with 130: not a KeyboardInterrupt traceback from an import, and not Click's
    # "Aborted!" with exit 1, which would say that a URL failed.
    raise SystemExit(INTERRUPTED)


def run() -> None:
    """Install the Ctrl-C handler first, then import and run the command line; then end the
    process without tearing the interpreter down."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupted)
    from . import collector

    collector.tune()
    from .cli import main

    try:
        main(sys.argv[1:])
    except SystemExit as done:
        _exit(done.code)
    _exit(0)


def _exit(code: object) -> None:
    """Exit as Python would (threads joined, atexit handlers run, the streams flushed), but
    skip freeing every module and object one by one: 15-20 ms of a one-URL run, after its
    last line is out, that a cron job or a CI step waits for and gains nothing from."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): Python prints it and exits 1
        with contextlib.suppress(OSError, ValueError):
            print(code, file=sys.stderr)
        status = 1
    if threading.current_thread() is not threading.main_thread():
        sys.exit(status)  # (called from a thread, as a test might): the plain way
    # What Python's own shutdown does first, in its order: the threading module's exit
    # callbacks (concurrent.futures stops its workers), then the wait for non-daemon threads.
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head), a closed stream
            if stream is sys.stdout:
                status = BROKEN_PIPE  # as the run itself says when its reader went away
    os._exit(status)


if __name__ == "__main__":
    run()
