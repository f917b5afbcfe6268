"""The routes, hooks and error handlers of the web view, registered on the app by
`register`. Views and hooks that await something (a check, a file read off the loop) are
``async def``, run by Flask through asgiref in a thread with a loop of their own; the rest
are plain functions, which cost no event loop."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
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
    NotFound,
    ServiceUnavailable,
)

from .._version import __version__
from ..errors import ServeError
from ..models import CheckResult
from ..monitor.badge import line_badge as line_svg
from ..monitor.badge import status_badge
from ..render.prometheus import to_prometheus
from .cache import ResultCache, Snapshot
from .present import _extra_metrics, _rows, _summary_dict
from .records import HISTORY_WINDOW_S, HistoryView, Monitored
from .sources import UrlFiles

CHECK_NOW_MIN_AGE = 2.0
""""Check now" reuses results younger than this (or --cache-ttl, if shorter): a double click
or many tabs clicking at once make one check."""
STOPPING_RETRY_AFTER = 5
"""Seconds a client is told to wait when the server stops during its request."""
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
SVG_CONTENT_TYPE = "image/svg+xml"
NEEDS_LIST = frozenset({"index", "api_results", "metrics", "check_now", "badge", "line_badge"})
"""Endpoints that show results, and so load the URL list (re-read when a file changed)."""


@dataclass
class WebState:
    """Everything the app keeps between requests (in ``app.extensions["urlcheck"]``)."""

    files: UrlFiles
    cache: ResultCache
    interval: int
    history: HistoryView | None = None
    """With ``--db``: the history the page records into and shows figures from."""


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


async def _monitored(state: WebState) -> Monitored | None:
    """With ``--db``: the state the runs recorded, read off the loop."""
    return None if state.history is None else await asyncio.to_thread(state.history.monitored)


def _state_of(monitored: Monitored | None, result: CheckResult) -> str:
    """``up`` or ``down``: the state the runs recorded (with ``--db``), else the result's."""
    if monitored is None:
        return "up" if result.ok else "down"
    return monitored.state_of(result)


def _failed_only() -> bool:
    return request.args.get("failed", "") in ("1", "true", "yes")


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
    def add_headers(response: Response) -> Response:
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
        history = state.history
        stats = monitored = None
        if history is not None:
            stats, monitored = await asyncio.gather(
                asyncio.to_thread(history.stats), asyncio.to_thread(history.monitored)
            )
        return render_template(
            "index.html",
            snapshot=snapshot,
            summary=snapshot.summary,
            rows=_rows(shown, stats, None if monitored is None else monitored.states),
            incidents=[] if monitored is None else monitored.ongoing,
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

    @app.get("/badge.svg")
    async def badge() -> ResponseReturnValue:
        """The list's badge: how many URL lines are down (red), else how many are up."""
        snapshot = await _results()
        monitored = await _monitored(state)
        states = [_state_of(monitored, r) for r in snapshot.results]
        svg = status_badge(states.count("up"), states.count("down"))
        return Response(svg, content_type=SVG_CONTENT_TYPE)

    @app.get("/badge/<line>.svg")
    async def line_badge(line: str) -> ResponseReturnValue:
        """One URL line's badge, by the id its results carry (never a URL)."""
        snapshot = await _results()
        result = next((r for r in snapshot.results if r.id == line), None)
        if result is None:
            raise NotFound("No URL line of the list has this id.")
        svg = line_svg(_state_of(await _monitored(state), result))
        return Response(svg, content_type=SVG_CONTENT_TYPE)

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
    def not_found(error: HTTPException) -> ResponseReturnValue:
        """No such page (HTML) or API resource (JSON)."""
        return _error_response(error)

    @app.errorhandler(500)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        """A bug: a generic message, never the exception's text (Flask logs that)."""
        return _error_response(InternalServerError())

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> ResponseReturnValue:
        """405, 403, 413 …: the same HTML-or-JSON shape as 404 and 500."""
        return _error_response(error)

    @app.errorhandler(ServeError)
    def stopping(error: ServeError) -> ResponseReturnValue:
        """The server is stopping while this request waited for a check."""
        return _error_response(ServiceUnavailable(str(error), retry_after=STOPPING_RETRY_AFTER))


def register(app: Flask, state: WebState) -> None:
    """Put the hooks, views and error handlers on `app`."""
    _register_hooks(app, state)
    _register_views(app, state)
    _register_error_handlers(app)
