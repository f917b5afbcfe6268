"""One run of the checks for the terminal: results streamed to stdout or a file as they
finish, a progress bar, Ctrl-C, the history, and the exit status.

The async part runs once per run through asgiref's `async_to_sync`, in a thread with its own
event loop; everything else here runs in the main thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Protocol

import click

from .loops import chosen_policy
from .models import CheckResult, Summary, in_input_order
from .options import SHARD_MIN_LINES, CheckOptions
from .params import InputFailure, UsageFailure
from .status import ExitStatus, exit_status

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from rich.console import Console
    from rich.progress import Progress, TaskID

    from .history import Recorder
    from .inputs import TargetReader
    from .models import Target

    class ResultSource(Protocol):
        """Where a run's results come from: `check_urls`, or the cluster's `check_urls_remote`."""

        def __call__(
            self,
            targets: TargetReader,
            options: CheckOptions,
            *,
            may_repeat: Callable[[Target], bool] | None = None,
        ) -> AsyncGenerator[CheckResult, None]: ...


PRINTING_LOADS_AFTER = 0.03
"""Seconds into the checks when rich and the table start loading in a thread of their
own: by then the first requests are out, and the import overlaps the wait for answers."""
IMPORT_SWITCH_INTERVAL = 0.001
"""The GIL's switch interval while that thread imports (Python's default is 0.005 s)."""
SCREEN_ROWS_FALLBACK = 24
TABLE_CHROME_ROWS = 8
"""Lines the table header, summary and prompt take around the rows."""


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


@dataclass
class _Run:
    """What one run of the checks produced, handed from the loop thread back to the CLI."""

    summary: Summary = field(default_factory=Summary)
    kept: list[CheckResult] = field(default_factory=list)
    """Results held for output at the end (table rows, json, csv)."""
    hidden_ok: int = 0
    interrupted: bool = False
    broken_pipe: bool = False
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    overflowed: bool = False
    """The table outgrew a screen: from then on only failures are kept."""

    def keep(self, result: CheckResult, output: _Output) -> None:
        """Hold a result for the output printed at the end."""
        paged = output.format == "table" and not output.show_all
        if paged and self.overflowed and result.ok:
            self.hidden_ok += 1
            return
        self.kept.append(result)
        if paged and not self.overflowed and len(self.kept) > output.table_limit:
            self.overflowed = True
            self.hidden_ok = sum(r.ok for r in self.kept)
            self.kept = [r for r in self.kept if not r.ok]


@dataclass
class _Output:
    """Where and how results go: decided once from the options, used per result."""

    format: str
    quiet: bool
    show_all: bool
    stdout: IO[str]
    table_limit: int
    recorder: Recorder | None = None
    """Where every result is also recorded (``--db``), if anywhere."""
    requests_out: threading.Event = field(default_factory=threading.Event)
    """Set soon after the checks start: what printing needs may load while answers come."""

    def keeps(self, result: CheckResult) -> bool:
        """Whether a result is shown at all (``--quiet`` shows only failures)."""
        return not (self.quiet and result.ok)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (ValueError, AttributeError):
        return False


def _screen_rows() -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).lines
    except (OSError, ValueError, AttributeError):
        return SCREEN_ROWS_FALLBACK


async def _check(
    reader: TargetReader,
    options: CheckOptions,
    output: _Output,
    interrupt: _Interrupt,
    progress: Progress | None,
    task_id: TaskID | None,
    source: ResultSource | None = None,
) -> _Run:
    """The whole async part of a run: stream results into the output as they finish."""
    import asyncio

    from .checker import check_urls
    from .render.records import to_jsonl  # imported already, before the loop started

    run = _Run()
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    interrupt.cancel = lambda: loop.call_soon_threadsafe(task.cancel)
    loop.call_later(PRINTING_LOADS_AFTER, output.requests_out.set)
    if interrupt.requested:
        run.interrupted = True
        return run
    try:
        async with contextlib.aclosing((source or check_urls)(reader, options)) as results:
            async for result in results:
                run.summary.add(result)
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
                    try:
                        output.stdout.write(to_jsonl(result) + "\n")
                        output.stdout.flush()
                    except BrokenPipeError:
                        run.broken_pipe = True
                        break
                else:
                    run.keep(result, output)
    except asyncio.CancelledError:
        task.uncancel()
        run.interrupted = True
    finally:
        interrupt.cancel = None
        run.summary.wall_s = time.perf_counter() - started
    return run


def _print_results(run: _Run, output: _Output, stdout: IO[str], files: list[str]) -> None:
    rows = in_input_order(run.kept, files)
    if output.format == "json":
        from .render.records import to_json

        output.stdout.write(to_json(rows) + "\n")
    elif output.format == "csv":
        from .render.records import to_csv

        output.stdout.write(to_csv(rows))
    elif output.format == "junit":
        import socket

        from .render.junit import to_junit

        output.stdout.write(to_junit(rows, started=run.started_at, hostname=socket.gethostname()))
    elif output.format == "prometheus":
        from .render.prometheus import to_prometheus

        output.stdout.write(to_prometheus(rows))
    elif output.format == "markdown":
        from .render.markdown import to_markdown

        output.stdout.write(to_markdown(rows, None if output.quiet else run.summary))
    elif output.format == "table":
        from .render.table import results_table, summary_text

        console = make_console(stdout)
        if rows:
            console.print(results_table(rows))
        if not output.quiet:
            console.print(
                summary_text(run.summary, hidden_ok=run.hidden_ok, interrupted=run.interrupted)
            )
    output.stdout.flush()


def _prepare_table(requests_out: threading.Event) -> None:
    """Import rich and the table once the requests are out, so it costs no wall time.

    The import runs in this thread while the loop times the checks in another: the GIL is
    handed over every millisecond meanwhile (not every 5, Python's default), so the loop
    waits at most about that long for it and the checks' times stay the servers'.
    """
    requests_out.wait()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(IMPORT_SWITCH_INTERVAL)
    try:
        from rich.console import Console  # noqa: F401

        from .render import table  # noqa: F401
    finally:
        sys.setswitchinterval(interval)


def make_console(stdout: IO[str]) -> Console:
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 here, which reads as "a URL failed": the caller exits quietly.
            self.quiet = True
            raise BrokenPipeError

    console = PipeConsole(file=stdout, highlight=False)
    if not console.is_terminal:
        # A report written to a file or a pipe is never cut: rows take the width they need.
        console = PipeConsole(file=stdout, highlight=False, width=100_000, color_system=None)
    return console


def _make_progress(enabled: bool) -> Progress | None:
    """A progress bar on stderr when it is a terminal (rich.progress is imported only then)."""
    if not enabled or not _is_terminal(sys.stderr):
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    stderr = Console(stderr=True)
    if not stderr.is_terminal:
        return None
    return Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


def open_recorder(
    db_path: str | None, keep: float | None, stack: contextlib.ExitStack
) -> Recorder | None:
    if db_path is None:
        if keep is not None:
            raise UsageFailure("--keep prunes the history: it needs --db")
        return None
    from .history import History, HistoryError, Recorder

    try:
        history = stack.enter_context(History(db_path))
    except HistoryError as exc:
        raise InputFailure(str(exc)) from None
    return Recorder(history, keep_s=keep)


def run_checks(
    reader: TargetReader,
    options: CheckOptions,
    fmt: str,
    quiet: bool,
    show_all: bool,
    stdout: IO[str],
    recorder: Recorder | None = None,
    source: ResultSource | None = None,
    processes: int = 0,
) -> ExitStatus:
    """Check everything the reader yields, print the results, and say how the run ended.

    Without a `source` (the cluster's), a long file list is spread over `processes` worker
    processes (0: decided by its length and the cores; see `shards.shard_count`).
    """
    from asgiref.sync import async_to_sync

    from .errors import DistributedError, ShardError

    shown_errors = len(reader.errors)
    rows = _screen_rows() if _is_terminal(stdout) else SCREEN_ROWS_FALLBACK
    output = _Output(
        format=fmt,
        quiet=quiet,
        show_all=show_all,
        stdout=stdout,
        table_limit=max(1, rows - TABLE_CHROME_ROWS),
        recorder=recorder,
    )
    file_order = [source.name for source in reader.sources]
    interrupt = _Interrupt()
    # Ctrl-C is ours from the first pass over the files to the last line printed: before
    # the checks start it stops them starting, after they end the output is still complete.
    with interrupt.installed():
        expected = None
        from .inputs import scan_sources

        # Files can be read twice: a quick first pass counts the lines for the progress bar
        # and finds the repeated URLs, so only their results are kept for the duplicates
        # (locally and with --broker alike).
        scan = scan_sources(reader.sources)
        if scan is not None:
            import functools

            from .checker import check_urls

            expected = scan.lines
            if source is None and (processes > 1 or scan.lines >= SHARD_MIN_LINES):
                from .shards import check_urls_sharded, shard_count

                shards = shard_count(scan.lines, options, processes)
                if shards > 1:
                    source = functools.partial(check_urls_sharded, shards=shards)
            source = functools.partial(source or check_urls, may_repeat=scan.may_repeat)
        from .checker import check_urls

        if fmt == "jsonl":
            from .render.records import to_jsonl  # noqa: F401 - likewise
        progress = _make_progress(not quiet)
        if fmt == "table":
            # rich and the table (~30 ms of imports) load while the first answers are awaited.
            threading.Thread(
                target=_prepare_table, args=(output.requests_out,), daemon=True
            ).start()
        with chosen_policy(), progress or contextlib.nullcontext():
            task_id = progress.add_task("check", total=expected) if progress else None
            try:
                run = async_to_sync(_check)(
                    reader, options, output, interrupt, progress, task_id, source
                )
            except (DistributedError, ShardError) as exc:  # broker gone, a worker died …
                raise InputFailure(str(exc)) from None

        for message in reader.errors[shown_errors:]:  # read errors met during the run
            click.echo(f"urlcheck: error: {message}", err=True)
        history_failed = False
        if recorder is not None:
            recorder.finish(run.summary, interrupted=run.interrupted)
            if recorder.error is not None:
                history_failed = True
                click.echo(f"urlcheck: error: {recorder.error}", err=True)
        if run.broken_pipe:
            _silence_stdout()
            return ExitStatus.BROKEN_PIPE
        if run.summary.total == 0 and not run.interrupted:
            names = ", ".join(each.name for each in reader.sources)
            raise InputFailure(f"no URLs found in {names}")
        try:
            _print_results(run, output, stdout, file_order)
        except BrokenPipeError:
            _silence_stdout()
            return ExitStatus.BROKEN_PIPE
    return exit_status(
        checked=run.summary.total,
        failed=run.summary.failed,
        input_errors=len(reader.errors) + history_failed,
        interrupted=run.interrupted or interrupt.requested,
    )


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[IO[str]]:
    """Standard output, or FILE written atomically: a temporary file renamed when complete."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    if target.is_dir():
        raise InputFailure(f"cannot write {path}: it is a directory")
    try:
        fd, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise InputFailure(f"cannot write {path}: {exc.strerror or exc}") from None
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from collectors
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        try:
            yield stream
        except BaseException:
            os.unlink(temporary)
            raise
    os.replace(temporary, target)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the final flush cannot fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
