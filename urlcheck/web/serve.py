"""`urlcheck --serve`: run the web view under waitress until Ctrl-C.

Only the standard library is imported at module level, so the CLI can take the defaults from
here while `urlcheck --version` and the terminal path never load Flask or waitress.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ServeError
from ..options import DEFAULT_CACHE_TTL, DEFAULT_HOST, DEFAULT_INTERVAL, DEFAULT_PORT

if TYPE_CHECKING:
    from ..options import CheckOptions

DEFAULT_THREADS = 256
"""Waitress worker threads: requests waiting for a running check each hold one (blocked on a
future, cheap), and /healthz must still find a free one while hundreds of pages wait."""
CONNECTION_LIMIT = 1024
"""Open connections waitress accepts (its default, 100, turned page loads away)."""
FORCED_EXIT = 130
"""Exit status after a second Ctrl-C, when the first one's clean stop takes too long."""


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is a loopback address (so only this machine sees it)."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare.split("%", 1)[0]).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(bare, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).split("%", 1)[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def _listen_urls(server: Any) -> list[str]:
    """The http:// addresses a waitress server listens on (the real port when 0 was asked)."""
    listen = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)
    ]
    urls = []
    for host, port in listen:
        shown = f"[{host}]" if ":" in str(host) else str(host)
        urls.append(f"http://{shown}:{port}/")
    return urls


def open_server(app: Any, host: str, port: int, *, threads: int = DEFAULT_THREADS) -> Any:
    """Bind a waitress server for `app`, or raise `ServeError` saying in one line why not."""
    from waitress.server import create_server

    try:
        return create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            connection_limit=CONNECTION_LIMIT,
            ident="urlcheck",
        )
    except OSError as exc:
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"cannot listen on {where}: the port is already in use (choose another with --port)"
            ) from None
        if exc.errno == errno.EACCES:
            raise ServeError(f"cannot listen on {where}: permission denied") from None
        raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}") from None


@contextmanager
def _stop_on_signals(stop_checks: Any, stderr: TextIO) -> Iterator[None]:
    """Ctrl-C / SIGTERM: cancel running checks, then stop waitress's loop; twice exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            os._exit(FORCED_EXIT)
        stopping = True
        stderr.write("urlcheck: stopping\n")
        stop_checks()
        # Waitress's loop stops cleanly on KeyboardInterrupt and waits for its workers.
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(
    files: Sequence[str],
    options: CheckOptions,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    interval: int = DEFAULT_INTERVAL,
    cache_ttl: float = DEFAULT_CACHE_TTL,
    threads: int = DEFAULT_THREADS,
    stderr: TextIO | None = None,
    db: str | None = None,
) -> None:
    """Serve the page for `files` until Ctrl-C or SIGTERM; raises `UrlcheckError` on bad input."""
    from .app import create_app, list_errors, stop_checks

    err = stderr or sys.stderr
    app = create_app(files, options, interval=interval, cache_ttl=cache_ttl, db=db)
    for message in list_errors(app):
        err.write(f"urlcheck: error: {message}\n")
    server = open_server(app, host, port, threads=threads)
    logging.basicConfig(format="urlcheck: %(name)s: %(levelname)s: %(message)s")
    # Requests that wait for a running check queue up in waitress by design: not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    with _stop_on_signals(lambda: stop_checks(app), err):
        try:
            if not is_loopback(host):
                err.write(
                    f"urlcheck: warning: listening on {host}, which is not a loopback address: "
                    "anyone who can reach this machine can see the page and make it check "
                    "the URLs\n"
                )
            for url in _listen_urls(server):
                err.write(f"urlcheck: serving {', '.join(files)} on {url} (Ctrl-C stops)\n")
            err.flush()
            server.run()  # returns once a signal raised KeyboardInterrupt in its loop
        except KeyboardInterrupt:
            pass
        finally:
            stop_checks(app)
            server.close()
    err.write("urlcheck: stopped\n")
