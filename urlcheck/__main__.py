"""`python -m urlcheck` and the `urlcheck` console script."""

import signal
import sys
import threading

INTERRUPTED = 130  # status.ExitStatus.INTERRUPTED; nothing else is imported before the handler


def _interrupted(signum: int, frame: object) -> None:
    # Until a run installs its own handler (and after it restores this one), Ctrl-C ends the
    # process with 130: not a KeyboardInterrupt traceback from an import, and not Click's
    # "Aborted!" with exit 1, which would say that a URL failed.
    raise SystemExit(INTERRUPTED)


def run() -> None:
    """Install the Ctrl-C handler first, then import and run the command line."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupted)
    from .cli import main

    main(sys.argv[1:])


if __name__ == "__main__":
    run()
