"""What a terminal run prints, and where: the results held for the end (a table that
outgrows a screen keeps only failures), the formats printed then, the progress bar on
stderr, an ``--output`` file replaced atomically, and a closed pipe met quietly."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..models import CheckResult, Summary, in_input_order
from ..options import OutputOptions
from .params import InputFailure

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from ..history import Recorder
    from .monitoring import Monitoring

PRINTING_LOADS_AFTER = 0.03
"""Seconds into the checks when rich and the table start loading in a thread of their
own: by then the first requests are out, and the import overlaps the wait for answers."""
FAILURES_ONLY = frozenset({"sarif", "github"})
"""Formats that report failures alone: a fine result need not be held for them."""
SCREEN_ROWS_FALLBACK = 24
TABLE_CHROME_ROWS = 8
"""Lines the table header, summary and prompt take around the rows."""


@dataclass
class Run:
    """What one run of the checks produced, handed from the loop thread back to the CLI."""

    summary: Summary = field(default_factory=Summary)
    kept: list[CheckResult] = field(default_factory=list)
    """Results held for output at the end (table rows, json, csv)."""
    hidden_ok: int = 0
    interrupted: bool = False
    broken_pipe: bool = False
    write_error: str | None = None
    """Why the results could not be written as they came (a full disk …), if so."""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    overflowed: bool = False
    """The table outgrew a screen: from then on only failures are kept."""

    def keep(self, result: CheckResult, output: Output) -> None:
        """Hold a result for the output printed at the end."""
        if result.ok and output.format in FAILURES_ONLY:
            return
        if result.skipped and output.format == "table" and not output.show_all:
            return  # counted in the summary; --all lists them
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
class Output:
    """Where and how results go: decided once from the options, used per result."""

    format: str
    quiet: bool
    show_all: bool
    stdout: IO[str]
    table_limit: int
    recorder: Recorder | None = None
    """Where every result is also recorded (``--db``), if anywhere."""
    monitoring: Monitoring | None = None
    """With ``--db``: what the state needs of every result (see `monitoring`)."""
    terminal: bool = False
    """Standard output is a terminal: the table is drawn with rich, in colour."""
    requests_out: threading.Event = field(default_factory=threading.Event)
    """Set soon after the checks start: what printing needs may load while answers come."""

    def keeps(self, result: CheckResult) -> bool:
        """Whether a result is shown at all (``--quiet`` shows only failures; ``--changes``
        shows what changed instead, once the run is over)."""
        if self.monitoring is not None and self.monitoring.changes:
            return False
        return not (self.quiet and result.ok)

    @classmethod
    def for_run(
        cls,
        options: OutputOptions,
        stdout: IO[str],
        recorder: Recorder | None,
        monitoring: Monitoring | None = None,
    ) -> Output:
        """The output of a run: `options` on `stdout`, a table cut to the screen's height."""
        terminal = _is_terminal(stdout) or bool(os.environ.get("FORCE_COLOR"))
        rows = _screen_rows() if _is_terminal(stdout) else SCREEN_ROWS_FALLBACK
        return cls(
            terminal=terminal,
            format=options.fmt,
            quiet=options.quiet,
            show_all=options.show_all,
            stdout=stdout,
            table_limit=max(1, rows - TABLE_CHROME_ROWS),
            recorder=recorder,
            monitoring=monitoring,
        )


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


def print_results(run: Run, output: Output, stdout: IO[str], files: list[str]) -> None:
    rows = in_input_order(run.kept, files)
    if output.format == "json":
        from ..render.records import to_json

        output.stdout.write(to_json(rows) + "\n")
    elif output.format == "csv":
        from ..render.records import to_csv

        output.stdout.write(to_csv(rows))
    elif output.format == "junit":
        import socket

        from ..render.junit import to_junit

        output.stdout.write(to_junit(rows, started=run.started_at, hostname=socket.gethostname()))
    elif output.format == "prometheus":
        from ..render.prometheus import to_prometheus

        output.stdout.write(to_prometheus(rows))
    elif output.format == "sarif":
        from ..render.sarif import to_sarif

        output.stdout.write(to_sarif(rows))
    elif output.format == "github":
        from ..render.github import to_github

        output.stdout.write(to_github(rows, None if output.quiet else run.summary))
    elif output.format == "markdown":
        from ..render.markdown import to_markdown

        output.stdout.write(to_markdown(rows, None if output.quiet else run.summary))
    elif output.format == "table" and not output.terminal:
        # A file or a pipe: the same table as plain text, drawn without rich (fast at any size).
        from ..render.plain import plain_lines, plain_summary

        output.stdout.write("".join(plain_lines(rows)))  # one write, buffered or not
        if not output.quiet:
            output.stdout.write(
                plain_summary(run.summary, hidden_ok=run.hidden_ok, interrupted=run.interrupted)
            )
    elif output.format == "table":
        from ..render.table import results_table, summary_text

        console = make_console(stdout)
        if rows:
            console.print(results_table(rows))
        if not output.quiet:
            console.print(
                summary_text(run.summary, hidden_ok=run.hidden_ok, interrupted=run.interrupted)
            )
    output.stdout.flush()


def prepare_table(requests_out: threading.Event) -> None:
    """Import rich and the table once the requests are out, so it costs no wall time.

    The import runs in this thread while the loop times the checks in another: the GIL is
    handed over every millisecond meanwhile (`loops.SWITCH_INTERVAL_S`), so the loop waits
    at most about that long for it and the checks' times stay the servers'.
    """
    requests_out.wait()
    from rich.console import Console  # noqa: F401

    from ..render import table  # noqa: F401


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


def make_progress(enabled: bool) -> Progress | None:
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


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[IO[str]]:
    """Standard output, or FILE written atomically: a temporary file renamed when complete.

    A FILE that is no regular file (``/dev/null``, ``/dev/stdout``, a named pipe) is written
    to as it is, as a shell's ``>`` would: a file renamed over it would take its place (run
    as root, over ``/dev/null`` itself). A symbolic link keeps pointing where it did: the
    file it names is the one replaced."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    if target.is_dir():
        raise InputFailure(f"cannot write {path}: it is a directory")
    if target.exists() and not target.is_file():
        try:
            stream = target.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputFailure(f"cannot write {path}: {exc.strerror or exc}") from None
        with stream:
            yield stream
        return
    target = Path(os.path.realpath(target))
    import tempfile  # only for --output: it costs a list run 2 ms of start-up otherwise

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
            # Closed here, its error dropped: a flush failing again (a full disk) must not
            # take the place of the error that is on its way.
            with contextlib.suppress(OSError):
                stream.close()
            os.unlink(temporary)
            raise
    os.replace(temporary, target)


def silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the final flush cannot fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
