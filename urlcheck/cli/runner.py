"""One run of the checks for the terminal: the checks streamed into the output as they
finish, Ctrl-C, the history, and the exit status.

The async part runs once per run through asgiref's `async_to_sync`, in a thread with its own
event loop; everything else here runs in the main thread, and nothing that would block that
loop (an import, SQLite, printing) runs on it while checks are in flight.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Protocol

import click

from ..loops import chosen_policy
from ..models import CheckResult
from ..options import SHARD_MIN_LINES, CheckOptions, OutputOptions
from ..status import ExitStatus, exit_status
from .params import InputFailure, UsageFailure
from .terminal import (
    PRINTING_LOADS_AFTER,
    Output,
    Run,
    make_progress,
    prepare_table,
    print_results,
    silence_stdout,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from rich.progress import Progress, TaskID

    from ..history import Recorder
    from ..inputs import TargetReader
    from ..models import Target
    from ..monitor import Change
    from ..shards import Forked
    from .monitoring import Monitoring

    class ResultSource(Protocol):
        """Where a run's results come from: `check_urls`, or the cluster's `check_urls_remote`."""

        def __call__(
            self,
            targets: TargetReader,
            options: CheckOptions,
            *,
            may_repeat: Callable[[Target], bool] | None = None,
        ) -> AsyncGenerator[CheckResult, None]: ...


@dataclass
class _Interrupt:
    """Bridges Ctrl-C from the main thread to the event loop asgiref runs in its own thread."""

    requested: bool = False
    cancel: Callable[[], object] | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:  # a second Ctrl-C: the user wants out now
            os._exit(int(ExitStatus.INTERRUPTED))
        self.requested = True
        if self.cancel is not None:
            self.cancel()

    @contextlib.contextmanager
    def installed(self) -> Any:
        """Handle SIGINT while the block runs (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = signal.signal(signal.SIGINT, self)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


async def _check(
    reader: TargetReader,
    options: CheckOptions,
    output: Output,
    interrupt: _Interrupt,
    progress: Progress | None,
    task_id: TaskID | None,
    source: ResultSource | None = None,
) -> Run:
    """The whole async part of a run: stream results into the output as they finish."""
    import asyncio

    from ..checker import check_urls

    if output.format == "jsonl":
        from ..render.records import to_jsonl  # imported already, before the loop started
    run = Run()
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    interrupt.cancel = lambda: loop.call_soon_threadsafe(task.cancel)
    loop.call_later(PRINTING_LOADS_AFTER, output.requests_out.set)
    flush_due = False
    rows: list[str] = []
    """JSON lines known in this turn of the loop, not yet written."""

    def flush() -> None:
        # Once per turn of the loop, for every row known in it: a row is out as soon as it
        # is known, but a crawl's 24,000 rows are not 24,000 write calls on the loop. They
        # are joined here, not left to the stream's buffer: under PYTHONUNBUFFERED=1 (set
        # in many CI images) each write would be a system call of its own.
        nonlocal flush_due
        flush_due = False
        text = "".join(rows)
        rows.clear()
        try:
            output.stdout.write(text)
            output.stdout.flush()
        except BrokenPipeError:
            run.broken_pipe = True
        except OSError as exc:  # a full disk …: said once the run has stopped
            run.write_error = exc.strerror or str(exc)

    if interrupt.requested:
        run.interrupted = True
        return run
    try:
        async with contextlib.aclosing((source or check_urls)(reader, options)) as results:
            async for result in results:
                run.summary.add(result)
                if output.monitoring is not None:
                    output.monitoring.observe(result)
                if output.recorder is not None and output.recorder.add(result):
                    # SQLite may wait for another writer: never on the loop timing the checks.
                    await asyncio.to_thread(output.recorder.flush)
                if progress is not None and task_id is not None:
                    progress.update(task_id, completed=run.summary.total)
                    if reader.finished:
                        progress.update(task_id, total=reader.lines)
                if not output.keeps(result):
                    continue
                if output.format == "jsonl":
                    if run.broken_pipe or run.write_error:  # met by the last flush
                        break
                    rows.append(to_jsonl(result) + "\n")
                    if not flush_due:
                        flush_due = True
                        loop.call_soon(flush)
                else:
                    run.keep(result, output)
    except asyncio.CancelledError:
        task.uncancel()
        run.interrupted = True
    finally:
        interrupt.cancel = None
        run.summary.wall_s = time.perf_counter() - started
        if rows:  # known before the run ended, and not written yet
            flush()
    return run


def open_recorder(
    db_path: str | None, keep: float | None, stack: contextlib.ExitStack
) -> Recorder | None:
    if db_path is None:
        if keep is not None:
            raise UsageFailure("--keep prunes the history: it needs --db")
        return None
    from ..history import History, HistoryError, Recorder

    try:
        history = stack.enter_context(History(db_path))
    except HistoryError as exc:
        raise InputFailure(str(exc)) from None
    return Recorder(history, keep_s=keep)


def run_checks(
    reader: TargetReader,
    options: CheckOptions,
    output_options: OutputOptions,
    stdout: IO[str],
    recorder: Recorder | None = None,
    source: ResultSource | None = None,
    processes: int = 0,
    monitoring: Monitoring | None = None,
) -> ExitStatus:
    """Check everything the reader yields, print the results, and say how the run ended.

    Without a `source` (the cluster's), a long file list is spread over `processes` worker
    processes (0: decided by its length and the cores; see `shards.shard_count`). With
    `monitoring`, a run that completed turns into state and alerts (`monitoring.Monitoring`).
    """
    shown_errors = len(reader.errors)
    output = Output.for_run(output_options, stdout, recorder, monitoring)
    interrupt = _Interrupt()
    # Ctrl-C is ours from the first pass over the files to the last line printed: before
    # the checks start it stops them starting, after they end the output is still complete.
    with interrupt.installed():
        from ..http.sockets import make_room

        make_room(options.concurrency)  # before the checks' sockets open, or workers fork
        forked: list[Forked] = []
        source, expected = _plan(reader, options, source, processes, forked)
        try:
            run = _run(reader, options, output, interrupt, source, expected)
        finally:
            from ..http.config import forget_ssl_context_soon

            forget_ssl_context_soon(options)  # loaded ahead (see _plan) and not taken
            for worker in forked:  # forked for checks that never began (Ctrl-C, an error)
                worker.discard()
        for message in reader.errors[shown_errors:]:  # read errors met during the run
            click.echo(f"urlcheck: error: {message}", err=True)
        history_failed = _finish_history(recorder, run)
        changes = _monitor(monitoring, run, recorder)
        history_failed = history_failed or changes is None
        if run.broken_pipe:
            silence_stdout()
            return ExitStatus.BROKEN_PIPE
        if run.write_error is not None:
            silence_stdout()  # what is still buffered cannot be written either
            raise InputFailure(f"cannot write the results: {run.write_error}")
        if run.summary.total == 0 and not run.interrupted:
            names = ", ".join(reader.names)
            raise InputFailure(f"no URLs found in {names}")
        try:
            if monitoring is not None and monitoring.changes:
                from .monitoring import print_changes

                print_changes(changes or [], output.format, stdout)
            else:
                print_results(run, output, stdout, reader.names)
        except BrokenPipeError:
            silence_stdout()
            return ExitStatus.BROKEN_PIPE
        except OSError as exc:
            silence_stdout()
            raise InputFailure(f"cannot write the results: {exc.strerror or exc}") from None
    return exit_status(
        checked=run.summary.total,
        failed=run.summary.failed,
        input_errors=len(reader.errors) + history_failed,
        interrupted=run.interrupted or interrupt.requested,
    )


def _plan(
    reader: TargetReader,
    options: CheckOptions,
    source: ResultSource | None,
    processes: int,
    forked: list[Forked],
) -> tuple[ResultSource, int | None]:
    """Where the results come from, and how many URL lines are expected (None: unknown).

    Files can be read twice: a quick first pass counts the lines for the progress bar and
    finds the repeated URLs, so only their results are kept for the duplicates (locally and
    with --broker alike); a long list goes to worker processes, forked now into `forked`.
    """
    from ..scan import scan_sources

    if reader.crawl is not None:
        from ..checker import check_urls  # here, not on the loop that times the checks

        # A crawl finds its targets as it goes: one process, every result kept.
        return functools.partial(check_urls, crawl=reader.crawl), None
    scan = None if reader.documents is not None else scan_sources(reader.sources, reader.keep)
    checks_here = source is None
    if scan is not None and source is None and (processes > 1 or scan.lines >= SHARD_MIN_LINES):
        from ..shards import check_urls_sharded, prefork, shard_count

        shards = shard_count(scan.lines, options, processes)
        if shards > 1:
            # Now, while this process has no thread: forked, the workers check at once.
            forked.extend(prefork(shards) or [])
            source = functools.partial(check_urls_sharded, shards=shards, forked=forked or None)
            checks_here = False
    if checks_here and scan is not None and scan.secure:
        from ..http.config import load_ssl_context_soon

        load_ssl_context_soon(options)  # beside the imports and the loop's start, from now
    from ..checker import check_urls

    if scan is None:
        return source or check_urls, None
    return functools.partial(source or check_urls, may_repeat=scan.may_repeat), scan.lines


def _run(
    reader: TargetReader,
    options: CheckOptions,
    output: Output,
    interrupt: _Interrupt,
    source: ResultSource,
    expected: int | None,
) -> Run:
    """The checks, in asgiref's loop thread, with what printing needs loading beside them."""
    from asgiref.sync import async_to_sync

    from ..errors import DistributedError, ShardError

    if output.format == "jsonl":  # (a table, or a report printed at the end, needs none)
        from ..render.records import to_jsonl  # noqa: F401 - _check's, here, not on the loop
    progress = make_progress(not output.quiet)
    if output.format == "table" and output.terminal:
        # rich and the table (~30 ms of imports) load while the first answers are awaited.
        threading.Thread(target=prepare_table, args=(output.requests_out,), daemon=True).start()
    with chosen_policy(), progress or contextlib.nullcontext():
        task_id = progress.add_task("check", total=expected) if progress else None
        try:
            return async_to_sync(_check)(
                reader, options, output, interrupt, progress, task_id, source
            )
        except (DistributedError, ShardError) as exc:  # broker gone, a worker died …
            raise InputFailure(str(exc)) from None


def _monitor(
    monitoring: Monitoring | None, run: Run, recorder: Recorder | None
) -> list[Change] | None:
    """A completed run's state and alerts; what changed (None when the state could not be
    written). An interrupted run did not happen, as far as the state goes."""
    if monitoring is None or run.interrupted:
        return []
    from .monitoring import changes_of

    run_id = None if recorder is None else recorder.run_id
    outcome = monitoring.apply(run.started_at.timestamp(), run_id)
    return None if outcome is None else changes_of(outcome)


def _finish_history(recorder: Recorder | None, run: Run) -> bool:
    """Close the run in the history; True when the history could not be written."""
    if recorder is None:
        return False
    recorder.finish(run.summary, interrupted=run.interrupted)
    if recorder.error is None:
        return False
    click.echo(f"urlcheck: error: {recorder.error}", err=True)
    return True
