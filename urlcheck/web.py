"""The browser view: a Flask app factory whose async views await the same core as the CLI.

Flask runs every async view, hook and error handler through asgiref, each call in a thread
with an event loop of its own, so no asyncio object or aiohttp session outlives one call. What
requests share is the results: `ResultCache` hands them out under a lock, and requests that
arrive while a check runs wait on that check's `concurrent.futures.Future` (any thread can).

Run it with ``urlcheck --serve FILE`` (waitress), or under another WSGI server::

    gunicorn --threads 16 'urlcheck.web:create_app(["urls.txt"])'
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import (
    Forbidden,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
)

from ._version import __version__
from .checker import check_urls
from .errors import InputError, ServeError
from .history import History, HistoryError, Recorder, UrlStats
from .inputs import open_sources
from .models import CheckResult, StatusRanges, Summary, Target, in_input_order
from .options import DEFAULT_CACHE_TTL, DEFAULT_INTERVAL, CheckOptions
from .render.labels import cert_level, status_class, status_label
from .render.prometheus import family, to_prometheus

CHECK_NOW_MIN_AGE = 2.0
""""Check now" reuses results younger than this (or --cache-ttl, if shorter): a double click
or many tabs clicking at once make one check."""
MEDIUM_MS = 300.0
"""Response times from here on get an amber bar."""
SLOW_MS = 1000.0
"""Response times from here on get a red bar."""
MAX_REQUEST_BYTES = 16 * 1024
"""The only body the app accepts is the tiny "check now" form."""
STOPPING_RETRY_AFTER = 5
"""Seconds a client is told to wait when the server stops during its request."""
HISTORY_WINDOW_S = 24 * 3600
"""With --db, the page's uptime covers this much of the history."""
SPARK_POINTS = 30
STATS_TTL_S = 10.0
"""With --db, the page's uptime figures are shared for this long between page views."""
"""Recent response times drawn in each row's sparkline."""
API_PREFIX = "/api/"
EXTENSION = "urlcheck"
"""Where the app keeps its `WebState` in ``app.extensions``."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), geolocation=(), microphone=()",
}
"""Sent on every response the app makes: pages, API, metrics, static files and errors."""
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NEEDS_LIST = frozenset({"index", "api_results", "metrics", "check_now"})
"""Endpoints that show results, and so load the URL list (re-read when a file changed)."""

Signature = tuple[tuple[int, int, int] | None, ...]


@dataclass(frozen=True, slots=True)
class UrlList:
    """One reading of the URL files: the targets in order, and what could not be read."""

    targets: tuple[Target, ...]
    errors: tuple[str, ...]
    files: tuple[str, ...]
    """The files that were read, in the order given (order of the results too)."""
    signature: Signature
    version: int
    """Goes up whenever a reading gives different targets: older results are then stale."""


class UrlFiles:
    """The URL files named at start, read again whenever one changes on disk (mtime, size)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(dict.fromkeys(os.fspath(name) for name in names))
        self._lock = threading.Lock()
        self._current = self._read(self._signature(), version=1)

    @property
    def current(self) -> UrlList:
        """The latest reading."""
        return self._current

    def changed(self) -> bool:
        """Whether a file changed on disk since the latest reading (a few stat calls)."""
        return self._signature() != self._current.signature

    def reload(self) -> UrlList:
        """Read the files again if they changed since the latest reading; thread-safe."""
        with self._lock:
            signature = self._signature()
            current = self._current
            if signature != current.signature:
                fresh = self._read(signature, current.version + 1)
                if (fresh.targets, fresh.errors) == (current.targets, current.errors):
                    # Touched but not changed: keep the version, so the cache stays valid.
                    fresh = UrlList(
                        current.targets, current.errors, current.files, signature, current.version
                    )
                self._current = fresh
            return self._current

    def _signature(self) -> Signature:
        # Taken before reading, so a write during the read shows up as a change next time.
        stamps: list[tuple[int, int, int] | None] = []
        for name in self.names:
            try:
                info = os.stat(name)
            except OSError:
                stamps.append(None)
            else:
                stamps.append((info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(stamps)

    def _read(self, signature: Signature, version: int) -> UrlList:
        reader = open_sources(self.names)
        with contextlib.closing(reader):
            targets = tuple(reader)
        files = tuple(source.name for source in reader.sources)
        return UrlList(targets, tuple(reader.errors), files, signature, version)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One finished check of the whole list, shared read-only by every request."""

    results: tuple[CheckResult, ...]
    """In input order: files as given, then line numbers."""
    summary: Summary
    list_version: int
    checked_at: datetime
    duration_s: float
    finished: float
    """`time.monotonic()` when the check ended, for the cache's age."""

    def age(self) -> float:
        """Seconds since the check ended."""
        return time.monotonic() - self.finished


class HistoryView:
    """The web view's use of a ``--db`` history: record checks, reuse fresh runs, figures.

    Every call opens its own SQLite connection: requests run in threads of their own.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        History(path).close()  # creates it, or fails now with a clear message
        self._lock = threading.Lock()
        self._stats: tuple[float, dict[str, UrlStats]] | None = None
        """(when, figures): shared by the page views of the next `STATS_TTL_S` seconds."""

    def record(self, snapshot: Snapshot) -> None:
        """Store a check the page made, like a ``urlcheck --db`` run; a failure is logged."""
        try:
            with History(self.path) as history:
                recorder = Recorder(history)
                for result in snapshot.results:
                    recorder.add(result)
                recorder.finish(snapshot.summary, interrupted=False)
                error = recorder.error
            with self._lock:
                self._stats = None  # the figures now include this check
        except HistoryError as exc:
            error = str(exc)
        if error is not None:
            logging.getLogger(__name__).warning("%s", error)

    def fresh(self, urls: UrlList, max_age: float) -> Snapshot | None:
        """A run recorded less than `max_age` ago (by cron, say) of exactly this list."""
        with History(self.path) as history:
            run = history.latest(max_age)
        if run is None:
            return None
        listed = sorted((t.display, t.line, t.source) for t in urls.targets)
        if sorted((r.url, r.line, r.file) for r in run.results) != listed:
            return None  # a run of another list, or of an older version of this one
        summary = Summary(wall_s=run.finished_at - run.started_at)
        for result in run.results:
            summary.add(result)
        results = in_input_order(run.results, urls.files)
        return Snapshot(
            results=tuple(results),
            summary=summary,
            list_version=urls.version,
            checked_at=datetime.fromtimestamp(run.started_at, UTC),
            duration_s=summary.wall_s,
            finished=time.monotonic() - (time.time() - run.finished_at),
        )

    def stats(self, window_s: float = HISTORY_WINDOW_S) -> dict[str, UrlStats]:
        """Uptime and recent response times per URL over the last `window_s` seconds.

        Read again at most every `STATS_TTL_S` seconds, or after the page recorded a check:
        many open tabs do not each scan a day of rows.
        """
        with self._lock:
            cached = self._stats
        if cached is not None and time.monotonic() - cached[0] < STATS_TTL_S:
            return cached[1]
        with History(self.path) as history:
            figures = {s.url: s for s in history.stats(time.time() - window_s, recent=SPARK_POINTS)}
        with self._lock:
            self._stats = (time.monotonic(), figures)
        return figures


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a request got from the cache, and how (for Server-Timing)."""

    snapshot: Snapshot
    how: str
    """``hit`` (cached), ``ran`` (this request checked) or ``joined`` (waited for a check)."""
    waited_ms: float


@dataclass(slots=True)
class _Pending:
    """A check under way: which list it checks and the future its followers wait on."""

    list_version: int
    future: concurrent.futures.Future[Snapshot]


class ResultCache:
    """Results shared by every request and thread: reused for `ttl` seconds, one check at once.

    Thread-safe: a `threading.Lock` guards the state, and followers wait on the leader's
    `concurrent.futures.Future`, which any thread and event loop can await.
    """

    def __init__(
        self, options: CheckOptions, ttl: float, history: HistoryView | None = None
    ) -> None:
        self.options = options
        self.ttl = ttl
        self.history = history
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._pending: _Pending | None = None
        self._running: set[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = set()
        self.checks = 0
        """How many checks of the list have been started (for /healthz and the tests)."""

    @property
    def latest(self) -> Snapshot | None:
        """The latest finished check, however old."""
        return self._snapshot

    @property
    def checking(self) -> bool:
        """Whether a check is under way."""
        return self._pending is not None

    async def get(self, urls: UrlList, *, max_age: float | None = None) -> Fetched:
        """Results of `urls` younger than `max_age` (default: the ttl), checking if need be."""
        max_age = self.ttl if max_age is None else max_age
        started = time.perf_counter()
        with self._lock:
            snapshot = self._snapshot
            if (
                snapshot is not None
                and snapshot.list_version == urls.version
                and snapshot.age() < max_age
            ):
                return Fetched(snapshot, "hit", 0.0)
            checking = self._pending is not None
        if self.history is not None and not checking:
            # Read outside the lock: other requests must not queue behind SQLite.
            recorded = self.history.fresh(urls, max_age)
            if recorded is not None:
                with self._lock:
                    if self._snapshot is None or self._snapshot.finished < recorded.finished:
                        self._snapshot = recorded
                return Fetched(recorded, "history", 0.0)
        with self._lock:
            snapshot = self._snapshot
            if (  # a check may have ended while the history was read
                snapshot is not None
                and snapshot.list_version == urls.version
                and snapshot.age() < max_age
            ):
                return Fetched(snapshot, "hit", 0.0)
            pending = self._pending
            leader = pending is None or pending.list_version != urls.version
            if leader:
                pending = _Pending(urls.version, concurrent.futures.Future())
                self._pending = pending
                self.checks += 1
        assert pending is not None
        if not leader:
            # shield: a follower that goes away must not cancel the check others wait for.
            snapshot = await asyncio.shield(asyncio.wrap_future(pending.future))
            return Fetched(snapshot, "joined", (time.perf_counter() - started) * 1000)
        try:
            snapshot = await self._check(urls)
        except BaseException as exc:
            with self._lock:
                if self._pending is pending:
                    self._pending = None
            pending.future.set_exception(exc)
            raise
        with self._lock:
            if self._snapshot is None or self._snapshot.finished <= snapshot.finished:
                self._snapshot = snapshot
            if self._pending is pending:
                self._pending = None
        pending.future.set_result(snapshot)
        if self.history is not None:
            await asyncio.to_thread(self.history.record, snapshot)
        return Fetched(snapshot, "ran", (time.perf_counter() - started) * 1000)

    async def _check(self, urls: UrlList) -> Snapshot:
        """Check every target once through the core, in this request's own event loop."""
        task = asyncio.current_task()
        assert task is not None
        key = (asyncio.get_running_loop(), task)
        with self._lock:
            self._running.add(key)
        checked_at = datetime.now(UTC)
        started = time.perf_counter()
        summary = Summary()
        results: list[CheckResult] = []
        try:
            async with contextlib.aclosing(check_urls(urls.targets, self.options)) as stream:
                async for result in stream:
                    summary.add(result)
                    results.append(result)
        except asyncio.CancelledError:
            task.uncancel()
            raise ServeError("the server is stopping; the check was cancelled") from None
        finally:
            with self._lock:
                self._running.discard(key)
        results = in_input_order(results, urls.files)
        summary.wall_s = time.perf_counter() - started
        return Snapshot(
            results=tuple(results),
            summary=summary,
            list_version=urls.version,
            checked_at=checked_at,
            duration_s=summary.wall_s,
            finished=time.monotonic(),
        )

    def cancel_running(self) -> None:
        """Cancel every check under way (the server is stopping); callable from any thread."""
        with self._lock:
            running = list(self._running)
        for loop, task in running:
            with contextlib.suppress(RuntimeError):  # that loop has just closed
                loop.call_soon_threadsafe(task.cancel)


@dataclass
class WebState:
    """Everything the app keeps between requests (in ``app.extensions["urlcheck"]``)."""

    files: UrlFiles
    cache: ResultCache
    interval: int


@dataclass(frozen=True, slots=True)
class Row:
    """One result as the page shows it."""

    result: CheckResult
    badge: str
    """CSS class of the status badge: ``ok``, ``warn``, ``fail`` or ``invalid``."""
    label: str
    bar: float
    """Bar length in percent of the slowest timed result."""
    speed: str
    """``fast``, ``medium`` or ``slow``: the colour of the bar."""
    linked: bool
    """Whether the URL is an http(s) URL that was requested, and so safe to link."""
    cert: str
    """``ok``, ``warn`` or ``fail``: how soon the certificate expires ('' when unknown)."""
    uptime: float | None = None
    """Percentage of the recorded checks that were fine (with ``--db``)."""
    spark: str = ""
    """SVG polyline points of the recent response times (with ``--db``)."""


def _spark_points(values: Sequence[float]) -> str:
    """Points for an SVG polyline in a 100 x 20 box, highest value at the top."""
    if len(values) < 2:
        return ""
    top = max(values) or 1.0
    step = 100 / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{20 - 18 * v / top:.1f}" for i, v in enumerate(values))


def _rows(results: Sequence[CheckResult], stats: Mapping[str, UrlStats] | None = None) -> list[Row]:
    longest = max((r.elapsed_ms for r in results if r.attempts), default=0.0)
    rows = []
    for r in results:
        bar = 0.0 if not r.attempts or longest <= 0 else max(1.0, 100 * r.elapsed_ms / longest)
        speed = (
            "slow" if r.elapsed_ms >= SLOW_MS else "medium" if r.elapsed_ms >= MEDIUM_MS else "fast"
        )
        linked = r.attempts > 0 and r.url.lower().startswith(("http://", "https://"))
        history = None if stats is None else stats.get(r.url)
        rows.append(
            Row(
                r,
                status_class(r),
                status_label(r),
                round(bar, 2),
                speed,
                linked,
                cert_level(r.cert_days),
                None if history is None else history.uptime,
                "" if history is None else _spark_points(history.recent_ms),
            )
        )
    return rows


def _format_ms(value: float) -> str:
    return f"{value:,.0f} ms"


def _format_seconds(value: float) -> str:
    if value == int(value) or value >= 10:
        return f"{value:,.0f} s"
    return f"{value:.2f} s"


def _options_from(value: CheckOptions | Mapping[str, Any] | None) -> CheckOptions:
    """CheckOptions from a mapping of literals too, e.g. ``{"timeout": 5}`` on a gunicorn line."""
    if value is None:
        return CheckOptions()
    if isinstance(value, CheckOptions):
        return value
    fields = dict(value)
    if isinstance(fields.get("accept"), str):
        fields["accept"] = StatusRanges(fields["accept"])
    if isinstance(fields.get("headers"), Mapping):
        fields["headers"] = tuple(fields["headers"].items())
    return CheckOptions(**fields)


def _wants_json() -> bool:
    return request.path.startswith(API_PREFIX)


def _cross_site() -> bool:
    """Whether a POST comes from another site's page (a browser says so; curl sends neither)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != request.host.lower()


def _timing(name: str, dur_ms: float | None = None, desc: str | None = None) -> None:
    """Add one Server-Timing entry to this request's response."""
    entry = name
    if dur_ms is not None:
        entry += f";dur={dur_ms:.1f}"
    if desc is not None:
        entry += f';desc="{desc}"'
    g.setdefault("timings", []).append(entry)


def _state() -> WebState:
    state: WebState = current_app.extensions[EXTENSION]
    return state


async def _results(*, max_age: float | None = None) -> Snapshot:
    """The results of the current list, from the cache or a check; recorded in Server-Timing."""
    fetched = await _state().cache.get(g.urls, max_age=max_age)
    if fetched.how == "ran":
        count = len(fetched.snapshot.results)
        _timing("check", fetched.waited_ms, f"checked {count} URL{'' if count == 1 else 's'}")
    elif fetched.how == "joined":
        _timing("check", fetched.waited_ms, "waited for a running check")
    elif fetched.how == "history":
        _timing("history", desc="a recent run from the history")
    else:
        _timing("cache", desc=f"hit, {fetched.snapshot.age():.1f} s old")
    return fetched.snapshot


def _failed_only() -> bool:
    return request.args.get("failed", "") in ("1", "true", "yes")


def _summary_dict(snapshot: Snapshot) -> dict[str, Any]:
    summary = snapshot.summary
    return {
        "total": summary.total,
        "ok": summary.ok,
        "failed": summary.failed,
        "slowest": None if summary.slowest is None else summary.slowest.url,
        "slowest_ms": None if summary.slowest is None else round(summary.slowest.elapsed_ms, 3),
    }


def _extra_metrics(snapshot: Snapshot, urls: UrlList) -> str:
    """App-level gauges after the blackbox_exporter-style series."""
    gauges = (
        (
            "urlcheck_last_check_timestamp_seconds",
            "When the results were checked, as Unix time.",
            f"{snapshot.checked_at.timestamp():.3f}",
        ),
        (
            "urlcheck_check_duration_seconds",
            "How long the last check of the whole list took.",
            f"{snapshot.duration_s:.6f}",
        ),
        ("urlcheck_urls", "URL lines in the files.", str(len(snapshot.results))),
        ("urlcheck_input_errors", "Files that could not be read.", str(len(urls.errors))),
    )
    lines = []
    for name, help_text, value in gauges:
        lines += family(name, help_text, [f"{name} {value}"])
    return "\n".join(lines) + "\n"


def create_app(
    files: Sequence[str] | str,
    options: CheckOptions | Mapping[str, Any] | None = None,
    *,
    interval: int = DEFAULT_INTERVAL,
    cache_ttl: float = DEFAULT_CACHE_TTL,
    db: str | None = None,
) -> Flask:
    """The web view of the URLs in `files`: page, JSON API, metrics and health check.

    Only these files are ever read, and only their URLs ever checked. With `db`, every check
    is recorded in that history, a fresh run found there (from cron, say) is shown instead
    of checking again, and the page shows uptime and recent response times. Raises
    `InputError` when none of the files can be read, `HistoryError` for an unusable `db`.
    """
    if isinstance(files, str | os.PathLike):
        files = [os.fspath(files)]
    if interval < 0:
        raise ValueError("interval must be 0 (no refresh) or more seconds")
    if cache_ttl < 0:
        raise ValueError("cache_ttl must be 0 or more seconds")
    url_files = UrlFiles(files)
    if not url_files.current.files:
        raise InputError("; ".join(url_files.current.errors) or "no file of URLs given")
    history = None if db is None else HistoryView(db)
    state = WebState(url_files, ResultCache(_options_from(options), cache_ttl, history), interval)

    # The static route is added by hand below, after automatic OPTIONS are turned off:
    # every method but the ones a route names answers 405.
    app = Flask(__name__, static_folder=None)
    app.config.update(
        PROVIDE_AUTOMATIC_OPTIONS=False,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order
    app.static_folder = "static"
    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=app.send_static_file)
    app.extensions[EXTENSION] = state
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["version"] = __version__
    app.jinja_env.filters["ms"] = _format_ms
    app.jinja_env.filters["seconds"] = _format_seconds
    _register_hooks(app, state)
    _register_views(app, state)
    _register_error_handlers(app)
    return app


def list_errors(app: Flask) -> tuple[str, ...]:
    """What could not be read of the URL files, as of the latest reading."""
    state: WebState = app.extensions[EXTENSION]
    return state.files.current.errors


def stop_checks(app: Flask) -> None:
    """Cancel the checks under way, e.g. when the server stops; callable from any thread."""
    state: WebState = app.extensions[EXTENSION]
    state.cache.cancel_running()


def _register_hooks(app: Flask, state: WebState) -> None:
    @app.before_request
    async def load_list() -> None:
        """Start the request's timer and load the URL list, re-reading changed files."""
        g.started = time.perf_counter()
        g.timings = []
        if request.endpoint not in NEEDS_LIST:
            return
        if state.files.changed():
            started = time.perf_counter()
            g.urls = await asyncio.to_thread(state.files.reload)
            _timing("list", (time.perf_counter() - started) * 1000, "re-read the URL files")
        else:
            g.urls = state.files.current

    @app.after_request
    async def add_headers(response: Response) -> Response:
        """Security headers and Server-Timing on every response, errors and static files too."""
        started = g.get("started")
        timings = list(g.get("timings", []))
        if started is not None:
            timings.append(f"total;dur={(time.perf_counter() - started) * 1000:.1f}")
        if timings:
            response.headers["Server-Timing"] = ", ".join(timings)
        response.headers.update(SECURITY_HEADERS)
        if request.endpoint != "static" or response.status_code >= 400:
            response.headers["Cache-Control"] = "no-store"
        return response


def _register_views(app: Flask, state: WebState) -> None:
    @app.get("/")
    async def index() -> ResponseReturnValue:
        """The status page: summary, table, filter, check-now and auto refresh."""
        snapshot = await _results()
        failed_only = _failed_only()
        shown = [r for r in snapshot.results if not (failed_only and r.ok)]
        history = state.cache.history
        stats = None if history is None else await asyncio.to_thread(history.stats)
        return render_template(
            "index.html",
            snapshot=snapshot,
            summary=snapshot.summary,
            rows=_rows(shown, stats),
            history=stats is not None,
            history_window=HISTORY_WINDOW_S,
            failed_only=failed_only,
            urls=g.urls,
            interval=state.interval,
            cache_ttl=state.cache.ttl,
        )

    @app.post("/check")
    async def check_now() -> ResponseReturnValue:
        """Check again now (a form on the page), then show the page: POST, redirect, GET."""
        if _cross_site():
            raise Forbidden("Check now only works from this site's own page.")
        await _results(max_age=min(CHECK_NOW_MIN_AGE, state.cache.ttl))
        failed = request.form.get("failed") == "1"
        return redirect(url_for("index", failed=1 if failed else None), code=303)

    @app.get("/api/results")
    async def api_results() -> ResponseReturnValue:
        """The results as JSON: each one has the fields of ``--format json``."""
        snapshot = await _results()
        failed_only = _failed_only()
        return jsonify(
            {
                "checked_at": snapshot.checked_at.isoformat(timespec="seconds"),
                "duration_s": round(snapshot.duration_s, 3),
                "summary": _summary_dict(snapshot),
                "errors": list(g.urls.errors),
                "results": [r.to_dict() for r in snapshot.results if not (failed_only and r.ok)],
            }
        )

    @app.get("/metrics")
    async def metrics() -> ResponseReturnValue:
        """Prometheus text: blackbox_exporter names, one series per URL (``url`` label)."""
        snapshot = await _results()
        body = to_prometheus(snapshot.results) + _extra_metrics(snapshot, g.urls)
        return Response(body, content_type=PROMETHEUS_CONTENT_TYPE)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        """200 while the app is up; checks no URL and reads no file."""
        latest = state.cache.latest
        return jsonify(
            {
                "status": "ok",
                "version": __version__,
                "checking": state.cache.checking,
                "last_checked": None
                if latest is None
                else latest.checked_at.isoformat(timespec="seconds"),
            }
        )


def _error_response(error: HTTPException) -> ResponseReturnValue:
    """An error as JSON under /api/, else as a page; keeps headers such as 405's Allow."""
    code = error.code or 500
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        body = jsonify({"status": code, "error": error.name, "message": error.description})
        return body, code, headers
    page = render_template("error.html", code=code, name=error.name, message=error.description)
    return page, code, headers


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(404)
    async def not_found(error: HTTPException) -> ResponseReturnValue:
        """No such page (HTML) or API resource (JSON)."""
        return _error_response(error)

    @app.errorhandler(500)
    async def server_error(error: InternalServerError) -> ResponseReturnValue:
        """A bug: a generic message, never the exception's text (Flask logs that)."""
        return _error_response(InternalServerError())

    @app.errorhandler(HTTPException)
    async def other_http_error(error: HTTPException) -> ResponseReturnValue:
        """405, 403, 413 …: the same HTML-or-JSON shape as 404 and 500."""
        return _error_response(error)

    @app.errorhandler(ServeError)
    async def stopping(error: ServeError) -> ResponseReturnValue:
        """The server is stopping while this request waited for a check."""
        return _error_response(ServiceUnavailable(str(error), retry_after=STOPPING_RETRY_AFTER))
