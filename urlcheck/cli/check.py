"""The ``urlcheck`` check command: its options, in panels by concern (`PANELS`, which
``--help`` shows), and `cli`, a dispatcher that groups them (`options`) and hands over to
the terminal run (`runner`), the web view (``--serve``) or the cluster (``--broker``).

Only click is imported at module level: ``urlcheck --version`` and ``--help`` stay fast,
and the checking path never imports Flask.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any

import click

from .._version import __version__
from ..options import (
    DEFAULT_ACCEPT,
    DEFAULT_BROKER_TIMEOUT,
    DEFAULT_CACHE_TTL,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONCURRENCY,
    DEFAULT_HOST,
    DEFAULT_INTERVAL,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_METHOD,
    DEFAULT_PER_HOST,
    DEFAULT_PORT,
    DEFAULT_REDELIVERY_TIMEOUT,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    BrokerOptions,
    CheckOptions,
    HistoryOptions,
    OutputOptions,
    ServeOptions,
    pick,
)
from .params import (
    CONTEXT_SETTINGS,
    DurationType,
    HeaderType,
    HeaderValueType,
    InputFailure,
    PanelledCommand,
    StatusRangesType,
    UsageFailure,
    check_ca_bundle,
)
from .runner import open_recorder, run_checks
from .terminal import open_output

if TYPE_CHECKING:
    from .runner import ResultSource

FORMAT_CHOICES = ("table", "json", "jsonl", "csv", "junit", "prometheus", "markdown")

PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Checking",
        ("--concurrency", "--per-host", "--processes", "--timeout", "--retries"),
    ),
    (
        "What a URL must answer",
        ("--max-redirects", "--accept", "--method", "--user-agent", "--header", "--max-ms"),
    ),
    ("TLS", ("--cert-days", "--ca-bundle", "--insecure")),
    ("Output", ("--format", "--output", "--all", "--quiet")),
    ("History and monitoring", ("--db", "--keep")),
    ("Serve", ("--serve", "--host", "--port", "--interval", "--cache-ttl")),
    ("Distributed", ("--broker", "--chunk-size", "--redelivery-timeout", "--broker-timeout")),
)
"""``--help``'s panels, by concern: every option of the command is in exactly one."""


@click.command(
    name="urlcheck",
    cls=PanelledCommand,
    panels=PANELS,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Exit codes:
  0    every URL is fine
  1    at least one URL failed (an invalid line counts)
  2    usage or input error: nothing could be checked
  130  interrupted (Ctrl-C); what finished is printed
  141  the output went to a closed pipe (urlcheck … | head -1)

\b
More commands:
  urlcheck history --help   uptime and response times recorded with --db
  urlcheck worker --help    a Celery worker that checks chunks sent with --broker

\b
Every option can also be set in the environment as URLCHECK_<OPTION>,
e.g. URLCHECK_TIMEOUT=5 or URLCHECK_HEADER='Authorization: Bearer x'.""",
)
@click.argument("files", metavar="[FILE]...", nargs=-1, type=click.Path(allow_dash=True))
# Checking
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
    "--processes",
    type=click.IntRange(0, 64),
    default=0,
    show_envvar=True,
    help="Worker processes for the checks, one event loop each; --concurrency and "
    "--per-host are divided among them. 0: one per core (at most 4) for files of 5,000 "
    "URL lines or more, else 1. Standard input is checked in one process.",
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
    help="head: HEAD, then GET when HEAD gets a status >= 400, a protocol error or a dropped "
    "connection. "
    "get: GET only. No body is downloaded (only a line's contains= reads its first 64 KiB).",
)
@click.option(
    "--user-agent",
    metavar="TEXT",
    type=HeaderValueType(),
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
    callback=lambda ctx, param, value: check_ca_bundle(value),
    help="Trust the CA certificates in this PEM file for this run, instead of the system's "
    "store (which SSL_CERT_FILE / SSL_CERT_DIR also point elsewhere).",
)
@click.option(
    "--insecure",
    is_flag=True,
    show_envvar=True,
    help="Do not verify TLS certificates.",
)
# Output
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
# History and monitoring
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
# Serve
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
# Distributed
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
@click.version_option(
    __version__, "--version", prog_name="urlcheck", message="%(prog)s %(version)s"
)
def cli(files: tuple[str, ...], **values: Any) -> None:
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
    processes: int = values.pop("processes")
    options = pick(CheckOptions, values)
    output = pick(OutputOptions, values)
    history = pick(HistoryOptions, values)
    serve = pick(ServeOptions, values)
    broker = pick(BrokerOptions, values)
    assert not values, f"options in no group: {sorted(values)}"
    if serve.serve:
        _serve(files, options, serve, history, broker)
        return
    sys.exit(_check(files, options, output, history, broker, processes))


def _check(
    files: tuple[str, ...],
    options: CheckOptions,
    output: OutputOptions,
    history: HistoryOptions,
    broker: BrokerOptions,
    processes: int,
) -> int:
    """A terminal run over the FILEs; its exit status."""
    from ..inputs import open_sources

    stdin = sys.stdin.buffer
    if not files:
        if stdin.isatty():
            raise UsageFailure("give a FILE of URLs, or '-' to read standard input")
        files = ("-",)
    reader = open_sources(dict.fromkeys(files), stdin)
    if not reader.sources:  # nothing to check: one line per file says why, no more
        *earlier, last = reader.errors or ["nothing to check"]
        for message in earlier:
            click.echo(f"urlcheck: error: {message}", err=True)
        raise InputFailure(last)
    for message in reader.errors:
        click.echo(f"urlcheck: error: {message}", err=True)

    source = _remote(broker)
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.closing(reader))
        recorder = open_recorder(history.db_path, history.keep, stack)
        stdout = stack.enter_context(open_output(output.output_path))
        return run_checks(reader, options, output, stdout, recorder, source, processes)


def _serve(
    files: tuple[str, ...],
    options: CheckOptions,
    serve: ServeOptions,
    history: HistoryOptions,
    broker: BrokerOptions,
) -> None:
    """--serve: hand over to the web view, which reads the FILEs itself (again when they change)."""
    if broker.broker is not None:
        raise UsageFailure("--broker checks FILEs on a cluster; not with --serve")
    if history.keep is not None:
        raise UsageFailure("--keep prunes the history when a run ends; not with --serve")
    if not files:
        raise UsageFailure("--serve needs a FILE of URLs")
    if "-" in files:
        raise UsageFailure(
            "--serve reads its FILEs again when they change, so it cannot serve standard input"
        )
    from ..errors import UrlcheckError
    from ..web.serve import serve as serve_page  # Flask and waitress: on this path only

    try:
        serve_page(
            list(dict.fromkeys(files)),
            options,
            host=serve.host,
            port=serve.port,
            interval=serve.interval,
            cache_ttl=serve.cache_ttl,
            db=history.db_path,
        )
    except UrlcheckError as exc:
        raise InputFailure(str(exc)) from None


def _remote(broker: BrokerOptions) -> ResultSource | None:
    """With --broker, results come from the Celery workers (Celery is imported only then)."""
    if broker.broker is None:
        return None
    from ..distributed import remote_source
    from ..errors import DistributedError

    try:
        return remote_source(
            broker.broker,
            chunk_size=broker.chunk_size,
            redelivery_timeout=broker.redelivery_timeout,
            broker_timeout=broker.broker_timeout,
        )
    except DistributedError as exc:
        raise InputFailure(str(exc)) from None
