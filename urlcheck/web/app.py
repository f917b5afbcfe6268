"""The web view's app factory, `create_app`: the page, JSON API, metrics and health check
of the URLs in some files, as a Flask app any WSGI server can run."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask

from .._version import __version__
from ..durations import human_duration, iso_utc
from ..errors import InputError
from ..models import StatusRanges
from ..options import DEFAULT_CACHE_TTL, DEFAULT_INTERVAL, CheckOptions
from .cache import ResultCache
from .present import _format_ms, _format_seconds
from .records import HistoryView
from .sources import UrlFiles
from .views import EXTENSION, WebState, register

MAX_REQUEST_BYTES = 16 * 1024
"""The only body the app accepts is the tiny "check now" form."""


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
    cache = ResultCache(_options_from(options), cache_ttl, history)
    state = WebState(url_files, cache, interval, history)

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
    app.jinja_env.filters["iso"] = iso_utc
    app.jinja_env.filters["duration"] = human_duration
    register(app, state)
    return app


def list_errors(app: Flask) -> tuple[str, ...]:
    """What could not be read of the URL files, as of the latest reading."""
    state: WebState = app.extensions[EXTENSION]
    return state.files.current.errors


def stop_checks(app: Flask) -> None:
    """Cancel the checks under way, e.g. when the server stops; callable from any thread."""
    state: WebState = app.extensions[EXTENSION]
    state.cache.cancel_running()
