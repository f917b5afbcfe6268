"""The `urlcheck` command: parse options, run the core once through `async_to_sync`, print.

Only click is imported at module level: `urlcheck --version` and `--help` stay fast, and the
checking path never imports Flask.
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

from ._version import __version__
from .models import (
    DEFAULT_ACCEPT,
    DEFAULT_BROKER_TIMEOUT,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_METHOD,
    DEFAULT_PER_HOST,
    DEFAULT_REDELIVERY_TIMEOUT,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    CheckOptions,
    CheckResult,
    StatusRanges,
    Summary,
)
from .serve import DEFAULT_CACHE_TTL, DEFAULT_HOST, DEFAULT_INTERVAL, DEFAULT_PORT
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


FORMAT_CHOICES = ("table", "json", "jsonl", "csv", "junit", "prometheus", "markdown")
SCREEN_ROWS_FALLBACK = 24
TABLE_CHROME_ROWS = 8
"""Lines the table header, summary and prompt take around the rows."""


class InputFailure(click.ClickException):
    """Nothing could be checked: one clear line on stderr and exit 2."""

    exit_code = int(ExitStatus.ERROR)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"urlcheck: error: {self.format_message()}", err=True, file=file)


class StatusRangesType(click.ParamType[StatusRanges, str]):
    """Click type for ``--accept``: ranges of statuses such as ``200..299,401``."""

    name = "RANGES"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, StatusRanges):
            return value
        try:
            return StatusRanges(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class HeaderType(click.ParamType[tuple[str, str], str]):
    """Click type for ``--header 'Name: value'``."""

    name = "'NAME: VALUE'"
    envvar_list_splitter = "\n"
    """Several headers in URLCHECK_HEADER go on separate lines."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        name, sep, text = str(value).partition(":")
        name = name.strip()
        if not sep or not name or any(ch.isspace() or ord(ch) < 33 for ch in name):
            self.fail(f"{value!r} is not a header like 'Name: value'", param, ctx)
        if any(ch in text for ch in "\r\n"):
            self.fail(f"the value of header {name!r} has a line break", param, ctx)
        return (name, text.strip())


class DurationType(click.ParamType[float, str]):
    """Click type for durations such as ``30d``, ``24h``, ``15m``: converted to seconds."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | float):
            return float(value)
        from .history import parse_duration

        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _check_ca_bundle(path: str | None) -> str | None:
    """Load --ca-bundle once up front, so a bad file is a usage error, not a failed run."""
    if path is not None:
        import ssl

        try:
            ssl.create_default_context(cafile=path)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise click.BadParameter(
                f"{path} is not a PEM file of CA certificates ({exc})", param_hint="--ca-bundle"
            ) from None
    return path


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
    from .render import to_jsonl

    run = _Run()
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    interrupt.cancel = lambda: loop.call_soon_threadsafe(task.cancel)
    if interrupt.requested:
        run.interrupted = True
        return run
    try:
        async with contextlib.aclosing((source or check_urls)(reader, options)) as results:
            async for result in results:
                run.summary.add(result)
                if output.recorder is not None:
                    output.recorder.add(result)
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


def _order_key(files: dict[str, int]) -> Callable[[CheckResult], tuple[int, int]]:
    return lambda r: (files.get(r.file, len(files)), r.line)


def _print_results(run: _Run, output: _Output, console: Console, files: dict[str, int]) -> None:
    import socket

    from . import render

    rows = sorted(run.kept, key=_order_key(files))
    if output.format == "json":
        output.stdout.write(render.to_json(rows) + "\n")
    elif output.format == "csv":
        output.stdout.write(render.to_csv(rows))
    elif output.format == "junit":
        output.stdout.write(
            render.to_junit(rows, started=run.started_at, hostname=socket.gethostname())
        )
    elif output.format == "prometheus":
        output.stdout.write(render.to_prometheus(rows))
    elif output.format == "markdown":
        output.stdout.write(render.to_markdown(rows, None if output.quiet else run.summary))
    elif output.format == "table":
        results_table, summary_text = render.results_table, render.summary_text
        if rows:
            console.print(results_table(rows))
        if not output.quiet:
            console.print(
                summary_text(run.summary, hidden_ok=run.hidden_ok, interrupted=run.interrupted)
            )
    output.stdout.flush()


def _make_console(stdout: IO[str]) -> Console:
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


CONTEXT_SETTINGS = {
    "help_option_names": ["-h", "--help"],
    "auto_envvar_prefix": "URLCHECK",
    "show_default": True,
    "max_content_width": 100,
}


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Exit codes:
  0    every URL is fine
  1    at least one URL failed (an invalid line counts)
  2    usage or input error: nothing could be checked
  130  interrupted (Ctrl-C); what finished is printed

\b
More commands:
  urlcheck history --help   uptime and response times recorded with --db

\b
Every option can also be set in the environment as URLCHECK_<OPTION>,
e.g. URLCHECK_TIMEOUT=5 or URLCHECK_HEADER='Authorization: Bearer x'.""",
)
@click.argument("files", metavar="[FILE]...", nargs=-1, type=click.Path(allow_dash=True))
@click.option(
    "--format",
    "fmt",
    envvar="URLCHECK_FORMAT",
    type=click.Choice(FORMAT_CHOICES, case_sensitive=False),
    default="table",
    show_envvar=True,
    help="Output: a table, a JSON array, JSON lines (streamed as checks finish), CSV, "
    "JUnit XML, Prometheus text (node_exporter textfile format) or a Markdown table.",
)
@click.option(
    "--output",
    "-o",
    "output_path",
    envvar="URLCHECK_OUTPUT",
    metavar="FILE",
    default=None,
    show_envvar=True,
    help="Write the output to FILE instead of standard output; the file is replaced "
    "atomically when the run ends (safe for a Prometheus textfile collector).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 10_000),
    default=DEFAULT_CONCURRENCY,
    show_envvar=True,
    help="How many URLs are checked at once.",
)
@click.option(
    "--per-host",
    type=click.IntRange(0, 10_000),
    default=DEFAULT_PER_HOST,
    show_envvar=True,
    help="Connections to one host at once; 0 for no per-host limit.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, 3600, min_open=True),
    default=DEFAULT_TIMEOUT,
    metavar="SECONDS",
    show_envvar=True,
    help="Time for one attempt at a URL, the whole request (redirects included).",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=DEFAULT_RETRIES,
    show_envvar=True,
    help="Retries after a timeout, a connection error, 429 or 5xx; exponential backoff, "
    "Retry-After honoured up to 10 s.",
)
@click.option(
    "--max-redirects",
    type=click.IntRange(0, 100),
    default=DEFAULT_MAX_REDIRECTS,
    show_envvar=True,
    help="Redirects followed before a URL fails as too_many_redirects; 0 follows none.",
)
@click.option(
    "--accept",
    type=StatusRangesType(),
    default=DEFAULT_ACCEPT,
    show_envvar=True,
    help="Final statuses (after redirects) that count as fine, e.g. '200..299,401'.",
)
@click.option(
    "--method",
    type=click.Choice(["head", "get"], case_sensitive=False),
    default=DEFAULT_METHOD,
    show_envvar=True,
    help="head: HEAD, then GET when HEAD gets a status >= 400 or a protocol error. "
    "get: GET only. The body is never downloaded.",
)
@click.option(
    "--user-agent",
    metavar="TEXT",
    default=None,
    show_envvar=True,
    help=f"User-Agent header  [default: urlcheck/{__version__}]",
)
@click.option(
    "--header",
    "headers",
    envvar="URLCHECK_HEADER",
    type=HeaderType(),
    multiple=True,
    show_envvar=True,
    help="Extra request header 'Name: value'; repeat for more.",
)
@click.option(
    "--max-ms",
    type=click.FloatRange(0, min_open=True),
    default=None,
    metavar="MS",
    show_envvar=True,
    help="A URL slower than this (the whole check) fails as slow; a line's max-ms= wins.",
)
@click.option(
    "--cert-days",
    type=click.FloatRange(0),
    default=None,
    metavar="DAYS",
    show_envvar=True,
    help="Fail https URLs whose TLS certificate expires in fewer days (cert_expiry).",
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    metavar="FILE",
    show_envvar=True,
    callback=lambda ctx, param, value: _check_ca_bundle(value),
    help="Trust the CA certificates in this PEM file for this run, instead of the system's "
    "store (which SSL_CERT_FILE / SSL_CERT_DIR also point elsewhere).",
)
@click.option(
    "--insecure",
    is_flag=True,
    show_envvar=True,
    help="Do not verify TLS certificates.",
)
@click.option(
    "--db",
    "db_path",
    envvar="URLCHECK_DB",
    type=click.Path(dir_okay=False),
    default=None,
    show_envvar=True,
    help="Record every result in this SQLite history (see 'urlcheck history --help'); "
    "safe when cron runs overlap.",
)
@click.option(
    "--keep",
    type=DurationType(),
    default=None,
    metavar="DURATION",
    show_envvar=True,
    help="With --db: delete history older than this, e.g. 30d, 12h, 2w.",
)
@click.option(
    "--all",
    "show_all",
    envvar="URLCHECK_ALL",
    is_flag=True,
    show_envvar=True,
    help="Table: list every URL, also when the list is longer than a screen "
    "(otherwise only failures are listed then).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    show_envvar=True,
    help="Print only failures, and no summary (for cron).",
)
@click.option(
    "--broker",
    metavar="URL",
    default=None,
    show_envvar=True,
    help="Check on a Celery cluster: send the list in chunks through this Redis "
    "(redis://HOST:6379/0) to 'urlcheck worker' processes; needs urlcheck[distributed]. "
    "--concurrency and --per-host then hold per worker process, and --per-host is divided "
    "among the processes that answer at the start (never below 1). Delivery is at least "
    "once: a chunk can be checked twice, its results are reported once.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1, 100_000),
    default=DEFAULT_CHUNK_SIZE,
    show_envvar=True,
    help="With --broker: URL lines per chunk, the unit of work a worker takes.",
)
@click.option(
    "--redelivery-timeout",
    type=click.FloatRange(1, 7 * 86400),
    default=DEFAULT_REDELIVERY_TIMEOUT,
    metavar="SECONDS",
    show_envvar=True,
    help="With --broker: a chunk taken by a worker that died is checked by another after "
    "this long (the workers' own --redelivery-timeout sets it: give both the same). Keep it "
    "longer than a chunk takes, or chunks are checked twice.",
)
@click.option(
    "--broker-timeout",
    type=click.FloatRange(0, 86400, min_open=True),
    default=DEFAULT_BROKER_TIMEOUT,
    metavar="SECONDS",
    show_envvar=True,
    help="With --broker: give up (exit 2) when no worker takes a chunk for this long.",
)
@click.option(
    "--serve",
    is_flag=True,
    show_envvar=True,
    help="Serve the results as a web page (and /api/results, /metrics, /healthz) instead of "
    "printing them; the FILEs are read again when they change. Output options do not apply.",
)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    metavar="ADDRESS",
    show_envvar=True,
    help="With --serve: the address to listen on; any but a loopback address makes the page "
    "reachable by others (a warning says so).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_envvar=True,
    help="With --serve: the port to listen on; 0 picks a free one.",
)
@click.option(
    "--interval",
    type=click.IntRange(0, 86400),
    default=DEFAULT_INTERVAL,
    metavar="SECONDS",
    show_envvar=True,
    help="With --serve: an open page refreshes itself every SECONDS; 0 never.",
)
@click.option(
    "--cache-ttl",
    type=click.FloatRange(0, 86400),
    default=DEFAULT_CACHE_TTL,
    metavar="SECONDS",
    show_envvar=True,
    help="With --serve: every page, API and metrics request reuses results this young; "
    "requests that come during a check wait for it instead of checking again.",
)
@click.version_option(
    __version__, "--version", prog_name="urlcheck", message="%(prog)s %(version)s"
)
def cli(
    files: tuple[str, ...],
    fmt: str,
    output_path: str | None,
    concurrency: int,
    per_host: int,
    timeout: float,
    retries: int,
    max_redirects: int,
    accept: StatusRanges,
    method: str,
    user_agent: str | None,
    headers: tuple[tuple[str, str], ...],
    max_ms: float | None,
    cert_days: float | None,
    ca_bundle: str | None,
    insecure: bool,
    db_path: str | None,
    keep: float | None,
    show_all: bool,
    quiet: bool,
    broker: str | None,
    chunk_size: int,
    redelivery_timeout: float,
    broker_timeout: float,
    serve: bool,
    host: str,
    port: int,
    interval: int,
    cache_ttl: float,
) -> None:
    """Check the URLs listed in FILEs (one per line; '-' reads standard input).

    Lines that are blank or start with '#' are skipped. Every URL line gets exactly one
    result; a line that is not an http(s) URL fails as invalid_url.

    \b
    Examples:
      urlcheck urls.txt
      urlcheck --format jsonl - < urls.txt | jq 'select(.ok | not)'
      urlcheck --quiet --timeout 5 /etc/urlcheck/urls.txt || notify-someone
      urlcheck --accept '200..299,401' --header 'Authorization: Bearer $TOKEN' urls.txt
      urlcheck --serve --port 9000 urls.txt   # a page on http://127.0.0.1:9000/
    """
    options = CheckOptions(
        concurrency=concurrency,
        per_host=per_host,
        timeout=timeout,
        retries=retries,
        max_redirects=max_redirects,
        accept=accept,
        method=method.lower(),
        user_agent=user_agent,
        headers=headers,
        insecure=insecure,
        max_ms=max_ms,
        cert_days=cert_days,
        ca_bundle=ca_bundle,
    )
    if serve:
        if broker is not None:
            raise click.UsageError("--broker checks FILEs on a cluster; not with --serve")
        if keep is not None:
            raise click.UsageError("--keep prunes the history when a run ends; not with --serve")
        _serve(
            files,
            options,
            host=host,
            port=port,
            interval=interval,
            cache_ttl=cache_ttl,
            db=db_path,
        )
        return

    from .inputs import open_sources

    stdin = sys.stdin.buffer
    if not files:
        if stdin.isatty():
            raise click.UsageError("give a FILE of URLs, or '-' to read standard input")
        files = ("-",)
    reader = open_sources(dict.fromkeys(files), stdin)
    if not reader.sources:  # nothing to check: one line per file says why, no more
        *earlier, last = reader.errors or ["nothing to check"]
        for message in earlier:
            click.echo(f"urlcheck: error: {message}", err=True)
        raise InputFailure(last)
    for message in reader.errors:
        click.echo(f"urlcheck: error: {message}", err=True)

    source = _remote(broker, chunk_size, redelivery_timeout, broker_timeout)
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.closing(reader))
        recorder = _open_recorder(db_path, keep, stack)
        stdout = stack.enter_context(_open_output(output_path))
        status = _run(reader, options, fmt.lower(), quiet, show_all, stdout, recorder, source)
    sys.exit(status)


def _serve(
    files: tuple[str, ...],
    options: CheckOptions,
    *,
    host: str,
    port: int,
    interval: int,
    cache_ttl: float,
    db: str | None,
) -> None:
    """--serve: hand over to the web view, which reads the FILEs itself (again when they change)."""
    if not files:
        raise click.UsageError("--serve needs a FILE of URLs")
    if "-" in files:
        raise click.UsageError(
            "--serve reads its FILEs again when they change, so it cannot serve standard input"
        )
    from .errors import UrlcheckError
    from .serve import serve  # Flask and waitress are imported on this path only

    try:
        serve(
            list(dict.fromkeys(files)),
            options,
            host=host,
            port=port,
            interval=interval,
            cache_ttl=cache_ttl,
            db=db,
        )
    except UrlcheckError as exc:
        raise InputFailure(str(exc)) from None


def _remote(
    broker: str | None, chunk_size: int, redelivery_timeout: float, broker_timeout: float
) -> ResultSource | None:
    """With --broker, results come from the Celery workers (Celery is imported only then)."""
    if broker is None:
        return None
    from .distributed import remote_source
    from .errors import DistributedError

    try:
        return remote_source(
            broker,
            chunk_size=chunk_size,
            redelivery_timeout=redelivery_timeout,
            broker_timeout=broker_timeout,
        )
    except DistributedError as exc:
        raise InputFailure(str(exc)) from None


def _open_recorder(
    db_path: str | None, keep: float | None, stack: contextlib.ExitStack
) -> Recorder | None:
    if db_path is None:
        if keep is not None:
            raise click.UsageError("--keep prunes the history: it needs --db")
        return None
    from .history import History, HistoryError, Recorder

    try:
        history = stack.enter_context(History(db_path))
    except HistoryError as exc:
        raise InputFailure(str(exc)) from None
    return Recorder(history, keep_s=keep)


def _run(
    reader: TargetReader,
    options: CheckOptions,
    fmt: str,
    quiet: bool,
    show_all: bool,
    stdout: IO[str],
    recorder: Recorder | None = None,
    source: ResultSource | None = None,
) -> ExitStatus:
    """Check everything the reader yields, print the results, and say how the run ended."""
    from asgiref.sync import async_to_sync

    from .errors import DistributedError

    shown_errors = len(reader.errors)
    console = _make_console(stdout)
    rows = _screen_rows() if console.is_terminal else SCREEN_ROWS_FALLBACK
    output = _Output(
        format=fmt,
        quiet=quiet,
        show_all=show_all,
        stdout=stdout,
        table_limit=max(1, rows - TABLE_CHROME_ROWS),
        recorder=recorder,
    )
    file_order = {source.name: index for index, source in enumerate(reader.sources)}
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
        source = functools.partial(source or check_urls, may_repeat=scan.may_repeat)
    progress = _make_progress(not quiet)
    interrupt = _Interrupt()
    with _uvloop(), interrupt.installed(), progress or contextlib.nullcontext():
        task_id = progress.add_task("check", total=expected) if progress is not None else None
        try:
            run = async_to_sync(_check)(
                reader, options, output, interrupt, progress, task_id, source
            )
        except DistributedError as exc:  # the cluster failed: broker gone, no worker …
            raise InputFailure(str(exc)) from None

    late_errors = list(reader.errors[shown_errors:])  # read errors met during the run
    if recorder is not None:
        recorder.finish(run.summary, interrupted=run.interrupted)
        if recorder.error is not None:
            late_errors.append(recorder.error)
    for message in late_errors:
        click.echo(f"urlcheck: error: {message}", err=True)
    if run.broken_pipe:
        _silence_stdout()
        return ExitStatus.BROKEN_PIPE
    if run.summary.total == 0 and not run.interrupted:
        names = ", ".join(source.name for source in reader.sources)
        raise InputFailure(f"no URLs found in {names}")
    try:
        _print_results(run, output, console, file_order)
    except BrokenPipeError:
        _silence_stdout()
        return ExitStatus.BROKEN_PIPE
    return exit_status(
        checked=run.summary.total,
        failed=run.summary.failed,
        input_errors=len(reader.errors) + len(late_errors),
        interrupted=run.interrupted,
    )


@contextlib.contextmanager
def _uvloop() -> Iterator[None]:
    """Run the checks on uvloop when it is installed (``pip install 'urlcheck[fast]'``).

    asgiref starts the loop with asyncio.run, which asks the policy for a new loop; the
    policy is put back afterwards, so nothing else in the process changes (a test run, say).
    URLCHECK_LOOP=asyncio keeps the standard loop.
    """
    try:
        if os.environ.get("URLCHECK_LOOP", "").lower() == "asyncio":
            raise ImportError
        import uvloop
    except ImportError:
        yield
        return
    import asyncio

    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(previous)


@contextlib.contextmanager
def _open_output(path: str | None) -> Iterator[IO[str]]:
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


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Example:
  urlcheck --db ~/.local/state/urlcheck.db --keep 30d --quiet urls.txt   # from cron
  urlcheck history --db ~/.local/state/urlcheck.db --since 7d""",
)
@click.option(
    "--db",
    "db_path",
    envvar="URLCHECK_DB",
    type=click.Path(dir_okay=False),
    required=True,
    show_envvar=True,
    help="The SQLite history that 'urlcheck --db PATH FILE' records into.",
)
@click.option(
    "--since",
    type=DurationType(),
    default="24h",
    metavar="DURATION",
    show_envvar=True,
    help="How far back to look, e.g. 90m, 24h, 30d, 2w.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"], case_sensitive=False),
    default="table",
    help="A table, or a JSON array.",
)
def history_command(db_path: str, since: float, fmt: str) -> None:
    """Show, per URL, uptime %, checks, p50/p95 response time and the last failure."""
    from .history import History, HistoryError
    from .render import history_json, history_table

    if not Path(db_path).is_file():
        raise InputFailure(f"{db_path}: no history yet (record one: urlcheck --db {db_path} FILE)")
    try:
        with History(db_path) as history:
            stats = history.stats(time.time() - since)
    except HistoryError as exc:
        raise InputFailure(str(exc)) from None
    if fmt.lower() == "json":
        click.echo(history_json(stats))
        return
    console = _make_console(sys.stdout)
    if not stats:
        console.print("no checks recorded in that period")
        return
    console.print(history_table(stats, since_label=_duration_label(since)))


def _duration_label(seconds: float) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


SUBCOMMANDS: dict[str, str] = {
    "history": ".cli:history_command",
    "worker": ".distributed:worker_command",
}
"""Commands beside the check itself (``urlcheck NAME …``) → "module:command", imported on use.

The check takes bare FILE arguments, so a Click group cannot tell ``urlcheck history`` from a
file named ``history``; a name here wins (write ``./history`` for such a file)."""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `urlcheck` console script."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in SUBCOMMANDS:
        import importlib

        module, _, name = SUBCOMMANDS[args[0]].partition(":")
        command: click.Command = getattr(importlib.import_module(module, __package__), name)
        command.main(args[1:], prog_name=f"urlcheck {args[0]}", auto_envvar_prefix="URLCHECK")
        return
    cli.main(args, prog_name="urlcheck")
