"""The browser view: a Flask app factory whose async views await the same core as the CLI.

Run it with ``urlcheck --serve FILE`` (waitress), or under another WSGI server::

    gunicorn --threads 16 'urlcheck.web:create_app(["urls.txt"])'

===========  ============================================================================
``app``      `create_app`: the factory; `list_errors`, `stop_checks` for a server around it
``views``    the routes, hooks and error handlers; the security headers
``cache``    the results every request shares: one check at a time, reused for a while
``sources``  the URL files, read again when one changes on disk
``records``  with ``--db``: the page's checks recorded, fresh runs shown, uptime figures
``present``  how a result is shown: rows, the summary as JSON, the app's own gauges
``serve``    ``urlcheck --serve``: the app under waitress until Ctrl-C
===========  ============================================================================

Flask is imported only when the app is made: ``urlcheck.web.serve`` is importable without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app, list_errors, stop_checks
    from .views import CONTENT_SECURITY_POLICY

__all__ = ["CONTENT_SECURITY_POLICY", "create_app", "list_errors", "stop_checks"]

_HOMES = {
    "create_app": "app",
    "list_errors": "app",
    "stop_checks": "app",
    "CONTENT_SECURITY_POLICY": "views",
}


def __getattr__(name: str) -> Any:
    """The app factory and its helpers, imported (with Flask) on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
