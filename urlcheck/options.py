"""How to check: `CheckOptions`, the knobs of the command line with the same defaults, and
the rules its values must keep (checked here, once, for every door: the command line, the
library, the web view, a Celery worker)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from .models import StatusRanges
from .record import record

DEFAULT_CONCURRENCY = 256
"""URLs in flight at once. `DEFAULT_PER_HOST` is what spares each server; this only bounds
the client's own sockets. At 64, a list of 5,000 URLs over 100 hosts answering in 20-400 ms
took 2x lychee's wall (its default is 128); see BENCHMARKS.md's slow-hosts rows."""
DEFAULT_PER_HOST = 8
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_ACCEPT = "200..299"
DEFAULT_METHOD = "head"
DEFAULT_BACKOFF = 0.5
"""Seconds before the first retry; each further retry waits twice as long."""
DEFAULT_RETRY_WAIT_MAX = 10.0
"""Cap on one wait between attempts, a server's Retry-After included."""
SHARD_MIN_LINES = 8_000
"""Files with fewer URL lines are checked in one process (see shards.py). Measured on 2 cores
against nginx at ``--concurrency 128 --per-host 128``: at 5,000 URLs two processes are no
faster than one (1.02x), at 10,000 they take 0.78x the wall; and each process holds only its
share of ``--per-host``, which costs a list of slow hosts more than the CPU it saves."""
DEFAULT_CHUNK_SIZE = 1000
"""With a broker: URL lines per chunk, the unit of work a Celery worker takes."""
DEFAULT_REDELIVERY_TIMEOUT = 600.0
"""With a broker: seconds before a chunk taken by a worker that died goes to another."""
DEFAULT_HOST = "127.0.0.1"
"""With --serve: loopback only, the page is for this machine unless --host says otherwise."""
DEFAULT_PORT = 8000
DEFAULT_INTERVAL = 60
"""With --serve: seconds between automatic refreshes of an open page; 0 for none."""
DEFAULT_CACHE_TTL = 15.0
"""With --serve: seconds a finished check is reused by every request before the next one."""
DEFAULT_BROKER_TIMEOUT = 60.0
"""With a broker: seconds the client waits for a worker to take a chunk before giving up."""


_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP token (RFC 9110 section 5.6.2): what a header name is made of."""


_BREAKS = (("\r", "a carriage return (CR)"), ("\n", "a line feed (LF)"), ("\0", "a NUL"))


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as a header value (it would end the header), or None."""
    for char, what in _BREAKS:
        if char in value:
            return f"the value has {what}, which would end the header"
    return None


def header_problem(name: str, value: str) -> str | None:
    """Why ``name: value`` cannot be sent as a request header, or None when it can."""
    if not _TOKEN_RE.fullmatch(name):
        return f"{name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)"
    problem = header_value_problem(value)
    return None if problem is None else f"header {name!r}: {problem}"


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How to check: the knobs of the command line, with the same defaults.

    Frozen at run time too, not a `record`: it is the library's way in, validated once
    here, and made once per run."""

    concurrency: int = DEFAULT_CONCURRENCY
    per_host: int = DEFAULT_PER_HOST
    """Connections per host at once; 0 for no per-host limit."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for one attempt, the whole request."""
    retries: int = DEFAULT_RETRIES
    retry_refused: bool = False
    """Retry a `refused` connection too (curl's ``--retry-connrefused``): by default a
    connection refused or impossible is an answer, reported at once."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    accept: StatusRanges = field(default_factory=lambda: StatusRanges(DEFAULT_ACCEPT))
    method: str = DEFAULT_METHOD
    """``head`` (HEAD, then GET when HEAD is refused) or ``get``."""
    user_agent: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    insecure: bool = False
    max_ms: float | None = None
    """A response slower than this fails as `slow`."""
    cert_days: float | None = None
    """An https URL whose certificate expires in fewer days fails as `cert_expiry`."""
    ca_bundle: str | None = None
    """Trust only these CA certificates (PEM file) instead of the system's."""
    backoff: float = DEFAULT_BACKOFF
    retry_wait_max: float = DEFAULT_RETRY_WAIT_MAX
    unverified: str = "fail"
    """What a `rate_limited` or `blocked` answer is: ``fail``, or ``warn`` (not fine, but
    not failing the run either)."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.per_host < 0:
            raise ValueError("per_host must be 0 (no limit) or more")
        if not self.timeout > 0:
            raise ValueError("timeout must be more than 0 seconds")
        if self.retries < 0:
            raise ValueError("retries must be 0 or more")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must be 0 or more")
        if self.method not in ("head", "get"):
            raise ValueError("method must be 'head' or 'get'")
        if self.unverified not in ("fail", "warn"):
            raise ValueError("unverified must be 'fail' or 'warn'")
        # Checked here, once, for every door (the command line, the library, a worker):
        # a header with a line break would let a value inject headers of its own.
        if self.user_agent is not None:
            problem = header_value_problem(self.user_agent)
            if problem is not None:
                raise ValueError(f"user_agent: {problem}")
        for header in self.headers:
            if not (isinstance(header, tuple) and len(header) == 2):
                raise ValueError(f"headers: {header!r} is not a (name, value) pair")
            problem = header_problem(*header)
            if problem is not None:
                raise ValueError(f"headers: {problem}")

    def per_host_share(self, processes: int) -> int:
        """Each of `processes` processes' part of ``--per-host`` (each has its own pool), so
        that together they keep the limit; 0 (no limit) stays 0."""
        if not self.per_host or processes <= 1:
            return self.per_host
        return max(1, self.per_host // processes)


@record
class OutputOptions:
    """Where and how a terminal run prints its results."""

    fmt: str = "table"
    output_path: str | None = None
    """``--output FILE``: written atomically when the run ends; None for standard output."""
    quiet: bool = False
    show_all: bool = False


@record
class DocumentOptions:
    """Links in documents: where local ones are found, which fragments are looked for."""

    root_dir: str | None = None
    """Where a root-relative link (``/x.html``) of a local document is looked for."""
    exclude_path: tuple[str, ...] = ()
    """Globs of paths left out of a walked directory (relative to it)."""
    fragments: bool = False
    """Also look for the ``#fragment`` of remote links in their pages (local ones always)."""
    offline: bool = False
    """Request nothing: a document's remote links are skipped rows."""


@record
class SiteOptions:
    """Web pages named on the command line: whether the site they are on is walked."""

    recursive: bool = False
    max_depth: int = 3
    """The named pages are depth 0; the links of a page at this depth are not followed."""
    max_pages: int = 10_000


@record
class FilterOptions:
    """Which URLs are checked at all: regular expressions on the URL as written."""

    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()


@record
class HistoryOptions:
    """The ``--db`` history a run records into, and how much of it to keep."""

    db_path: str | None = None
    keep: float | None = None
    """Seconds of history kept (``--keep``); None keeps everything."""
    cache: float | None = None
    """Seconds a fine result stands for the URL without a new request (``--cache``)."""


@record
class MonitorOptions:
    """Monitoring from cron: state with thresholds, alerts that fire once, a heartbeat."""

    down_after: int | None = None
    """Failed runs in a row that turn a URL line down; None: not given (2 with --db)."""
    up_after: int | None = None
    """Good runs in a row that turn it up again; None: not given (1 with --db)."""
    changes: bool = False
    """Print only what changed in this run (and reminders), not every result."""
    notify: tuple[str, ...] = ()
    """Apprise URLs told of every change."""
    remind: float | None = None
    """Seconds after the latest message about a down URL before it is told again."""
    heartbeat: str | None = None
    """A URL to GET after every run that completed its checks."""
    connectivity: str | None = None
    """A URL checked first: when it fails, nothing else is (exit 3)."""

    def needs_db(self) -> list[str]:
        """The options given that need ``--db`` (they keep state between runs)."""
        given = {
            "--down-after": self.down_after is not None,
            "--up-after": self.up_after is not None,
            "--changes": self.changes,
            "--notify": bool(self.notify),
            "--remind": self.remind is not None,
        }
        return [name for name, present in given.items() if present]


@record
class ServeOptions:
    """``--serve``: the web view instead of a terminal run."""

    serve: bool = False
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    interval: int = DEFAULT_INTERVAL
    cache_ttl: float = DEFAULT_CACHE_TTL


@record
class BrokerOptions:
    """``--broker``: the checks on a Celery cluster instead of this machine."""

    broker: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    redelivery_timeout: float = DEFAULT_REDELIVERY_TIMEOUT
    broker_timeout: float = DEFAULT_BROKER_TIMEOUT


_Options = TypeVar("_Options")


def pick(cls: type[_Options], values: dict[str, Any]) -> _Options:
    """`cls` made from the `values` named after its fields, taken out of `values` (so that
    what is left over belongs to no group, which the command line checks)."""
    names = [f.name for f in fields(cls) if f.init]  # type: ignore[arg-type]
    return cls(**{name: values.pop(name) for name in names if name in values})
