"""The ``urlcheck`` check command: `cli`, a dispatcher that groups its options (declared in
`panels`, by concern) with `options.pick` and hands over to the terminal run (`runner`),
the web view (``--serve``) or the cluster (``--broker``).

Only click is imported at module level: ``urlcheck --version`` and ``--help`` stay fast,
and the checking path never imports Flask.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

import click

from .._version import __version__
from ..options import (
    BrokerOptions,
    CheckOptions,
    DocumentOptions,
    FilterOptions,
    HistoryOptions,
    MonitorOptions,
    OutputOptions,
    ServeOptions,
    SiteOptions,
    pick,
)
from ..status import ExitStatus
from .panels import PANELS, every_option
from .params import (
    CONTEXT_SETTINGS,
    InputFailure,
    PanelledCommand,
    UsageFailure,
)
from .runner import open_recorder, run_checks
from .terminal import open_output

if TYPE_CHECKING:
    from ..history import Recorder
    from ..models import CheckResult
    from .runner import ResultSource


@click.command(
    name="urlcheck",
    cls=PanelledCommand,
    panels=PANELS,
    params=[
        click.Argument(["files"], metavar="[FILE]...", nargs=-1, type=click.Path(allow_dash=True)),
        *every_option(),
    ],
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Exit codes:
  0    every URL is fine
  1    at least one URL failed (an invalid line counts)
  2    usage or input error: nothing could be checked
  3    the run could not tell: --connectivity failed
  130  interrupted (Ctrl-C); what finished is printed
  141  the output went to a closed pipe (urlcheck … | head -1)

\b
More commands:
  urlcheck history --help   uptime, response times and state recorded with --db
  urlcheck incidents --help the outages the runs recorded with --db
  urlcheck worker --help    a Celery worker that checks chunks sent with --broker

\b
Every option can also be set in the environment as URLCHECK_<OPTION>,
e.g. URLCHECK_TIMEOUT=5 or URLCHECK_HEADER='Authorization: Bearer x'.""",
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
    monitor = pick(MonitorOptions, values)
    serve = pick(ServeOptions, values)
    broker = pick(BrokerOptions, values)
    documents = pick(DocumentOptions, values)
    filters = pick(FilterOptions, values)
    site = pick(SiteOptions, values)
    assert not values, f"options in no group: {sorted(values)}"
    # URLCHECK_NOTIFY holds one URL a line: its blank lines and comments are none.
    notify = tuple(url for url in map(str.strip, monitor.notify) if url and url[0] != "#")
    monitor = dataclasses.replace(monitor, notify=notify)
    if serve.serve:
        if documents != DocumentOptions() or filters != FilterOptions() or site != SiteOptions():
            raise UsageFailure("--serve checks lists of URLs: the Documents options are not its")
        _serve(files, options, serve, history, broker, monitor)
        return
    sys.exit(
        _check(
            files, options, output, history, broker, monitor, processes, documents, filters, site
        )
    )


def _check(
    files: tuple[str, ...],
    options: CheckOptions,
    output: OutputOptions,
    history: HistoryOptions,
    broker: BrokerOptions,
    monitor: MonitorOptions,
    processes: int,
    documents: DocumentOptions,
    filters: FilterOptions,
    site: SiteOptions,
) -> int:
    """A terminal run over the FILEs; its exit status."""
    from ..filters import IGNORE_FILE, run_filter
    from ..sources import open_sources

    if documents.fragments and broker.broker is not None:
        raise UsageFailure("--fragments reads the pages here; not with --broker")
    if documents.offline and documents.fragments:
        raise UsageFailure("--fragments fetches pages, --offline fetches nothing: choose one")
    if site.recursive:
        _require_protego(files)
    try:
        link_filter = run_filter(filters.include, filters.exclude)
    except ValueError as exc:  # a bad pattern in .urlcheckignore (the options are checked)
        raise InputFailure(str(exc)) from None
    except OSError as exc:
        raise InputFailure(f"{IGNORE_FILE}: cannot read it ({exc.strerror or exc})") from None

    monitoring = None
    if history.db_path is not None or monitor != MonitorOptions():  # a plain run: no import
        from .monitoring import check_connectivity, prepare

        monitoring = prepare(monitor, history, output.fmt)
        if monitor.connectivity is not None:
            check_connectivity(monitor.connectivity, options)

    stdin = sys.stdin.buffer
    if not files:
        if stdin.isatty():
            raise UsageFailure("give a FILE of URLs, or '-' to read standard input")
        files = ("-",)
    reader = open_sources(
        dict.fromkeys(files),
        stdin,
        documents=documents,
        link_filter=link_filter,
        site=site,
    )
    if reader.crawl is not None and broker.broker is not None:
        reader.close()
        raise UsageFailure("--broker checks lists of URLs; a web page is read here, without it")
    if site.recursive and reader.crawl is None:
        reader.close()
        raise UsageFailure("--recursive walks the site of a page: name one (https://…)")
    if reader.documents is not None:
        reader.documents.processes = processes
    if documents.offline and reader.sources:
        reader.close()
        raise UsageFailure(
            f"--offline checks the local links of documents: {reader.sources[0].name} is a list"
            " of URLs"
        )
    if not reader.sources and reader.documents is None and reader.crawl is None:
        # Nothing to check: one line per file says why, no more.
        *earlier, last = reader.errors or ["nothing to check"]
        for message in earlier:
            click.echo(f"urlcheck: error: {message}", err=True)
        raise InputFailure(last)
    for message in reader.errors:
        click.echo(f"urlcheck: error: {message}", err=True)

    source = _remote(broker)
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.closing(reader))
        if reader.documents is not None:
            reader.documents.start()  # their workers start up while the run sets up
        recorder = open_recorder(history.db_path, history.keep, stack)
        if history.cache is not None:
            reader.cached = _cached(recorder, history.cache)
        stdout = stack.enter_context(open_output(output.output_path))
        status = run_checks(
            reader, options, output, stdout, recorder, source, processes, monitoring
        )
    if monitor.heartbeat is not None and status in (ExitStatus.OK, ExitStatus.FAILED):
        from .monitoring import ping_heartbeat

        ping_heartbeat(monitor.heartbeat, options)
    return status


def _cached(recorder: Recorder | None, max_age_s: float) -> dict[str, CheckResult]:
    """--cache: the fine results the history holds, read before any check starts."""
    if recorder is None:
        raise UsageFailure("--cache answers from the history: it needs --db")
    import sqlite3

    try:
        return recorder.history.fresh_successes(max_age_s)
    except sqlite3.Error as exc:
        raise InputFailure(f"{recorder.history.path}: cannot read the history ({exc})") from None


def _serve(
    files: tuple[str, ...],
    options: CheckOptions,
    serve: ServeOptions,
    history: HistoryOptions,
    broker: BrokerOptions,
    monitor: MonitorOptions,
) -> None:
    """--serve: hand over to the web view, which reads the FILEs itself (again when they change)."""
    if monitor != MonitorOptions():
        # The page shows the state the runs recorded; it never changes it, nor alerts.
        raise UsageFailure("--serve shows the state that runs record: monitoring is theirs")
    if broker.broker is not None:
        raise UsageFailure("--broker checks FILEs on a cluster; not with --serve")
    if history.keep is not None:
        raise UsageFailure("--keep prunes the history when a run ends; not with --serve")
    if history.cache is not None:
        raise UsageFailure("--cache answers a run from the history; not with --serve")
    if not files:
        raise UsageFailure("--serve needs a FILE of URLs")
    if "-" in files:
        raise UsageFailure(
            "--serve reads its FILEs again when they change, so it cannot serve standard input"
        )
    from ..crawl import is_web_input
    from ..documents import is_document

    documents = [name for name in files if is_document(name) or is_web_input(name)]
    if documents:
        raise UsageFailure(
            f"--serve checks lists of URLs; check the links of {documents[0]} without it"
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


def _require_protego(files: tuple[str, ...]) -> None:
    """--recursive reads robots.txt with protego, an optional extra: say so in one line,
    before anything else is done, when there is a page to walk from."""
    import importlib.util

    from ..crawl import is_web_input

    if any(is_web_input(name) for name in files) and importlib.util.find_spec("protego") is None:
        from ..crawl.robots import INSTALL_HINT

        raise InputFailure(f"--recursive reads robots.txt with protego: {INSTALL_HINT}")


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
