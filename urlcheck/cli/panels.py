"""The options of the ``urlcheck`` check command, in panels by concern: the order and the
groups ``--help`` shows them in (`PANELS`), declared once, here. `check.cli` takes them all;
`options.pick` sorts their values into `CheckOptions` and the other groups by their names."""

from __future__ import annotations

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
    SHARD_MIN_LINES,
)
from .links import DOCUMENTS, SITE
from .params import (
    DurationType,
    HeaderType,
    HeaderValueType,
    LinesType,
    StatusRangesType,
    check_ca_bundle,
)

FORMAT_CHOICES = (
    *("table", "json", "jsonl", "csv", "junit", "prometheus", "markdown"),
    *("sarif", "github"),
)

OPTIONS: list[tuple[str, list[click.Option]]] = [
    (
        "Checking",
        [
            click.Option(
                ["--concurrency"],
                type=click.IntRange(1, 10_000),
                default=DEFAULT_CONCURRENCY,
                show_envvar=True,
                help="How many URLs are checked at once.",
            ),
            click.Option(
                ["--per-host"],
                type=click.IntRange(0, 10_000),
                default=DEFAULT_PER_HOST,
                show_envvar=True,
                help="Connections to one host at once; 0 for no per-host limit.",
            ),
            click.Option(
                ["--processes"],
                type=click.IntRange(0, 64),
                default=0,
                show_envvar=True,
                help=(
                    "Worker processes for the checks, one event loop each; --concurrency and "
                    "--per-host are divided among them. 0: one per core (at most 4) for files of "
                    f"{SHARD_MIN_LINES:,} URL lines or more, else 1. Standard input is checked in "
                    "one process."
                    " Documents: processes that read them (0: one per core, at most 4, for 200"
                    " documents or more)."
                ),
            ),
            click.Option(
                ["--timeout"],
                type=click.FloatRange(0, 3600, min_open=True),
                default=DEFAULT_TIMEOUT,
                metavar="SECONDS",
                show_envvar=True,
                help="Time for one attempt at a URL, the whole request (redirects included).",
            ),
            click.Option(
                ["--retries"],
                type=click.IntRange(0, 20),
                default=DEFAULT_RETRIES,
                show_envvar=True,
                help=(
                    "Retries after a timeout, a dropped connection, 429 or 5xx; exponential"
                    " backoff, Retry-After honoured up to 10 s."
                ),
            ),
            click.Option(
                ["--retry-refused"],
                is_flag=True,
                default=False,
                show_envvar=True,
                help=(
                    "Retry a connection that was refused or could not be made (refused) too,"
                    " as curl's --retry-connrefused; by default it is reported at once."
                ),
            ),
        ],
    ),
    (
        "What a URL must answer",
        [
            click.Option(
                ["--max-redirects"],
                type=click.IntRange(0, 100),
                default=DEFAULT_MAX_REDIRECTS,
                show_envvar=True,
                help="Redirects followed before a URL fails as too_many_redirects; 0 follows none.",
            ),
            click.Option(
                ["--accept"],
                type=StatusRangesType(),
                default=DEFAULT_ACCEPT,
                show_envvar=True,
                help="Final statuses (after redirects) that count as fine, e.g. '200..299,401'.",
            ),
            click.Option(
                ["--method"],
                type=click.Choice(["head", "get"], case_sensitive=False),
                default=DEFAULT_METHOD,
                show_envvar=True,
                help=(
                    "head: HEAD, then GET when HEAD gets a status >= 400, a protocol error or a"
                    " dropped connection. get: GET only. No body is downloaded (only a line's"
                    " contains= reads its first 64 KiB)."
                ),
            ),
            click.Option(
                ["--user-agent"],
                metavar="TEXT",
                type=HeaderValueType(),
                default=None,
                show_envvar=True,
                help=f"User-Agent header  [default: urlcheck/{__version__}]",
            ),
            click.Option(
                ["--header", "headers"],
                envvar="URLCHECK_HEADER",
                type=HeaderType(),
                multiple=True,
                show_envvar=True,
                help="Extra request header 'Name: value'; repeat for more.",
            ),
            click.Option(
                ["--max-ms"],
                type=click.FloatRange(0, min_open=True),
                default=None,
                metavar="MS",
                show_envvar=True,
                help=(
                    "A URL slower than this (the whole check) fails as slow; a line's max-ms= wins."
                ),
            ),
            click.Option(
                ["--unverified"],
                type=click.Choice(["fail", "warn"], case_sensitive=False),
                default="fail",
                show_envvar=True,
                help=(
                    "What a URL is that stays rate_limited (429 after the retries) or blocked"
                    " (a bot challenge): fail, or warn (listed, not fine, not failing the run)."
                ),
            ),
        ],
    ),
    DOCUMENTS,
    SITE,
    (
        "TLS",
        [
            click.Option(
                ["--cert-days"],
                type=click.FloatRange(0),
                default=None,
                metavar="DAYS",
                show_envvar=True,
                help="Fail https URLs whose TLS certificate expires in fewer days (cert_expiry).",
            ),
            click.Option(
                ["--ca-bundle"],
                type=click.Path(exists=True, dir_okay=False),
                default=None,
                metavar="FILE",
                show_envvar=True,
                callback=lambda ctx, param, value: check_ca_bundle(value),
                help=(
                    "Trust the CA certificates in this PEM file for this run, instead of the "
                    "system's store (which SSL_CERT_FILE / SSL_CERT_DIR also point elsewhere)."
                ),
            ),
            click.Option(
                ["--insecure"],
                is_flag=True,
                show_envvar=True,
                help="Do not verify TLS certificates.",
            ),
        ],
    ),
    (
        "Output",
        [
            click.Option(
                ["--format", "fmt"],
                envvar="URLCHECK_FORMAT",
                type=click.Choice(FORMAT_CHOICES, case_sensitive=False),
                default="table",
                show_envvar=True,
                help=(
                    "Output: a table, a JSON array, JSON lines (streamed as checks finish), CSV, "
                    "JUnit XML, Prometheus text (node_exporter textfile format) or a Markdown "
                    "table."
                ),
            ),
            click.Option(
                ["--output", "-o", "output_path"],
                envvar="URLCHECK_OUTPUT",
                metavar="FILE",
                default=None,
                show_envvar=True,
                help=(
                    "Write the output to FILE instead of standard output; the file is replaced "
                    "atomically when the run ends (safe for a Prometheus textfile collector)."
                ),
            ),
            click.Option(
                ["--all", "show_all"],
                envvar="URLCHECK_ALL",
                is_flag=True,
                show_envvar=True,
                help=(
                    "Table: list every URL, also when the list is longer than a screen (otherwise "
                    "only failures are listed then)."
                ),
            ),
            click.Option(
                ["--quiet", "-q"],
                is_flag=True,
                show_envvar=True,
                help="Print only failures, and no summary (for cron).",
            ),
        ],
    ),
    (
        "History and monitoring",
        [
            click.Option(
                ["--db", "db_path"],
                envvar="URLCHECK_DB",
                type=click.Path(dir_okay=False),
                default=None,
                show_envvar=True,
                help=(
                    "Record every result in this SQLite history (see 'urlcheck history --help'); "
                    "safe when cron runs overlap."
                ),
            ),
            click.Option(
                ["--keep"],
                type=DurationType(),
                default=None,
                metavar="DURATION",
                show_envvar=True,
                help="With --db: delete history older than this, e.g. 30d, 12h, 2w.",
            ),
            click.Option(
                ["--cache"],
                type=DurationType(),
                default=None,
                metavar="DURATION",
                show_envvar=True,
                help=(
                    "With --db: a URL whose latest check was fine less than DURATION ago is"
                    " reported from the history (cached), without a request; failures are"
                    " always checked again."
                ),
            ),
            click.Option(
                ["--down-after"],
                type=click.IntRange(1, 10_000),
                default=None,
                metavar="N",
                show_envvar=True,
                help="With --db: a URL line turns down after N failed runs in a row.  [default: 2]",
            ),
            click.Option(
                ["--up-after"],
                type=click.IntRange(1, 10_000),
                default=None,
                metavar="N",
                show_envvar=True,
                help=(
                    "With --db: a down URL line turns up again after N good runs in a row.  "
                    "[default: 1]"
                ),
            ),
            click.Option(
                ["--changes"],
                is_flag=True,
                show_envvar=True,
                help=(
                    "With --db: print only the URLs whose state changed in this run, and reminders:"
                    " silence while nothing changes (for cron's mail). As text, json or jsonl."
                ),
            ),
            click.Option(
                ["--notify", "notify"],
                envvar="URLCHECK_NOTIFY",
                type=LinesType(),
                multiple=True,
                metavar="URL",
                show_envvar=True,
                help=(
                    "With --db: tell this Apprise URL (json://, ntfy://, slack://, discord://, "
                    "mailto:// …) of every change of state, once; repeatable; URLCHECK_NOTIFY takes"
                    " one a line. A message that cannot be delivered waits in the database for the "
                    "next run. Needs urlcheck[notify]."
                ),
            ),
            click.Option(
                ["--remind"],
                type=DurationType(),
                default=None,
                metavar="DURATION",
                show_envvar=True,
                help=(
                    "With --notify or --changes: while a URL is down, tell again once DURATION has "
                    "passed since the last message about it, e.g. 4h."
                ),
            ),
        ],
    ),
    (
        "Cron",
        [
            click.Option(
                ["--heartbeat"],
                metavar="URL",
                default=None,
                show_envvar=True,
                help=(
                    "After every run that completed its checks, one GET to this URL "
                    "(healthchecks.io, an Uptime Kuma push monitor), so a cron job that stopped is "
                    "noticed; a failure is one line on stderr."
                ),
            ),
            click.Option(
                ["--connectivity"],
                metavar="URL",
                default=None,
                show_envvar=True,
                help=(
                    "Check this URL first: when it fails, check nothing else, change no state, send"
                    " no alert, and exit 3 (the problem is this machine's network, not the sites)."
                ),
            ),
        ],
    ),
    (
        "Serve",
        [
            click.Option(
                ["--serve"],
                is_flag=True,
                show_envvar=True,
                help=(
                    "Serve the results as a web page (and /api/results, /metrics, /healthz) instead"
                    " of printing them; the FILEs are read again when they change. Output options "
                    "do not apply."
                ),
            ),
            click.Option(
                ["--host"],
                default=DEFAULT_HOST,
                metavar="ADDRESS",
                show_envvar=True,
                help=(
                    "With --serve: the address to listen on; any but a loopback address makes the "
                    "page reachable by others (a warning says so)."
                ),
            ),
            click.Option(
                ["--port"],
                type=click.IntRange(0, 65535),
                default=DEFAULT_PORT,
                show_envvar=True,
                help="With --serve: the port to listen on; 0 picks a free one.",
            ),
            click.Option(
                ["--interval"],
                type=click.IntRange(0, 86400),
                default=DEFAULT_INTERVAL,
                metavar="SECONDS",
                show_envvar=True,
                help="With --serve: an open page refreshes itself every SECONDS; 0 never.",
            ),
            click.Option(
                ["--cache-ttl"],
                type=click.FloatRange(0, 86400),
                default=DEFAULT_CACHE_TTL,
                metavar="SECONDS",
                show_envvar=True,
                help=(
                    "With --serve: every page, API and metrics request reuses results this young; "
                    "requests that come during a check wait for it instead of checking again."
                ),
            ),
        ],
    ),
    (
        "Distributed",
        [
            click.Option(
                ["--broker"],
                metavar="URL",
                default=None,
                show_envvar=True,
                help=(
                    "Check on a Celery cluster: send the list in chunks through this Redis "
                    "(redis://HOST:6379/0) to 'urlcheck worker' processes; needs "
                    "urlcheck[distributed]. --concurrency and --per-host then hold per worker "
                    "process, and --per-host is divided among the processes that answer at the "
                    "start (never below 1). Delivery is at least once: a chunk can be checked "
                    "twice, its results are reported once."
                ),
            ),
            click.Option(
                ["--chunk-size"],
                type=click.IntRange(1, 100_000),
                default=DEFAULT_CHUNK_SIZE,
                show_envvar=True,
                help="With --broker: URL lines per chunk, the unit of work a worker takes.",
            ),
            click.Option(
                ["--redelivery-timeout"],
                type=click.FloatRange(1, 7 * 86400),
                default=DEFAULT_REDELIVERY_TIMEOUT,
                metavar="SECONDS",
                show_envvar=True,
                help=(
                    "With --broker: a chunk taken by a worker that died is checked by another after"
                    " this long (the workers' own --redelivery-timeout sets it: give both the "
                    "same). Keep it longer than a chunk takes, or chunks are checked twice."
                ),
            ),
            click.Option(
                ["--broker-timeout"],
                type=click.FloatRange(0, 86400, min_open=True),
                default=DEFAULT_BROKER_TIMEOUT,
                metavar="SECONDS",
                show_envvar=True,
                help="With --broker: give up (exit 2) when no worker takes a chunk for this long.",
            ),
        ],
    ),
]
"""(panel title, its options), in the order ``--help`` shows them."""

PANELS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (title, tuple(option.opts[0] for option in options)) for title, options in OPTIONS
)
"""``--help``'s panels by option name: every option of the command is in exactly one."""


def every_option() -> list[click.Option]:
    """All the options, panel after panel."""
    return [option for _, options in OPTIONS for option in options]
