"""Documents parsed over worker processes (``python -m urlcheck.documents.workers``), in
order, a few batches ahead at most, so memory stays flat however big the tree.

Each worker gets the run's `Settings`, then batches of documents, and answers each batch
with its `Parsed` list (`frames` on its standard input and output). Batches go round the
workers in turn and come back in the order sent. The workers are plain subprocesses, not
multiprocessing's: nothing of the parent (its threads, its main module) is copied or
imported again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from typing import IO

from ..errors import InputError
from ..frames import frame, read_frame
from ..models import Target
from ..processes import serve_as_worker, worker_command
from .found import Parsed, Settings
from .parse import Parser
from .walk import Document

BATCH = 16
"""Documents per message."""
AHEAD = 3
"""Batches in flight per worker: enough to keep it busy while the parent reads another's."""


class Workers:
    """`count` worker processes, started before the run reads its documents, so that their
    start-up (about 0.15 s each: Python and the extractors' imports) overlaps the parent's.
    `parse` them once; `close` stops them (idempotent, and done by `parse` when it ends)."""

    def __init__(self, settings: Settings, count: int) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(count):
                self._processes.append(_start(settings))
        except BaseException:  # no process left behind when one cannot start (EMFILE …)
            self.close()
            raise

    def parse(self, documents: Sequence[Document]) -> Iterator[Parsed]:
        """`Parser.parse` of every document over the workers, in order. A worker that fails
        is an InputError; leaving the iterator early stops them all."""
        processes = self._processes
        workers = len(processes)
        try:
            batches = (list(documents[i : i + BATCH]) for i in range(0, len(documents), BATCH))
            sent: deque[subprocess.Popen[bytes]] = deque()
            turn = 0

            def send_more() -> None:
                nonlocal turn
                while len(sent) < workers * AHEAD:
                    batch = next(batches, None)
                    if batch is None:
                        return
                    process = processes[turn % workers]
                    turn += 1
                    assert process.stdin is not None
                    process.stdin.write(frame(batch))
                    process.stdin.flush()
                    sent.append(process)

            send_more()
            while sent:
                process = sent.popleft()
                assert process.stdout is not None
                try:
                    answer = read_frame(process.stdout)
                except EOFError:
                    answer = None
                if answer is None:
                    if process.poll() is None:  # alive, but what it sent was garbled
                        process.kill()
                    raise InputError(f"a process reading documents ended ({process.wait()})")
                send_more()
                yield from answer
        except BrokenPipeError:  # a worker went away before it had its batch
            raise InputError("a process reading documents ended") from None
        finally:
            self.close()

    def close(self) -> None:
        """Stop every worker and wait for it."""
        for process in self._processes:
            with contextlib.suppress(OSError):
                assert process.stdin is not None
                process.stdin.close()
            if process.poll() is None:
                process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()


def _start(settings: Settings) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        worker_command("urlcheck.documents.workers"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # Not in the terminal's process group: Ctrl-C is the parent's, which stops them.
        start_new_session=True,
    )
    assert process.stdin is not None
    process.stdin.write(frame(settings))
    return process


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    settings = read_frame(stdin)
    if not isinstance(settings, Settings):
        sys.exit("urlcheck.documents.workers: started by urlcheck, not by hand")
    parser = Parser(settings)
    while (batch := read_frame(stdin)) is not None:
        answer = [parser.parse(document) for document in batch]
        for parsed in answer:
            # The parent parses a URL again when it sends it: a yarl URL would cost more
            # to pickle than to parse.
            parsed.items = [
                dataclasses.replace(item, parsed=None) if isinstance(item, Target) else item
                for item in parsed.items
            ]
        stdout.write(frame(answer))
        stdout.flush()


def main() -> None:
    """``python -m urlcheck.documents.workers``: one worker, started by `Workers`."""
    serve_as_worker(_serve)


if __name__ == "__main__":
    main()
