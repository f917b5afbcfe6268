"""How a run talks to servers, whichever client sends the request: TLS, proxies, headers."""

from __future__ import annotations

import concurrent.futures
import functools
import os
import ssl
import threading
import urllib.parse
from datetime import UTC, datetime

from .._version import __version__
from ..models import Target
from ..options import CheckOptions

DEFAULT_USER_AGENT = f"urlcheck/{__version__}"
DEFAULT_HEADERS = (("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate"))
"""Sent unless the user gives their own, as aiohttp does."""
BODY_LIMIT = 64 * 1024
"""Bytes of a body read for ``contains=``."""
PAGE_LIMIT = 8 * 1024 * 1024
"""Bytes of a page read for the anchors a link's ``#fragment`` must name (``--fragments``);
no other check reads a body."""


START_LIMIT = 50 * 1024 * 1024
"""Bytes read of a page or sitemap named on the command line: a sitemap may be this big."""


READABLE_TYPES = frozenset(
    {
        *("text/html", "application/xhtml+xml", "text/markdown", "text/x-markdown"),
        *("text/plain", "application/xml", "text/xml", "application/rss+xml"),
        *("application/gzip", "application/x-gzip", "application/octet-stream", ""),
    }
)
"""What a page's links or a fragment's anchors are read from: markup, text, and gzip or an
untyped body (a sitemap); an image, a PDF or a video is never downloaded for them."""


def body_types(target: Target) -> frozenset[str] | None:
    """The media types whose body a check of `target` reads (None: any, for ``contains=``)."""
    return READABLE_TYPES if target.page is not None or target.fragment is not None else None


def body_limit(target: Target, method: str) -> int:
    """How much of the body a check of `target` reads with `method` (0: none)."""
    if method != "GET":
        return 0
    if target.page is not None:
        return START_LIMIT if target.page == 0 else PAGE_LIMIT
    if target.fragment is not None:
        return PAGE_LIMIT
    return BODY_LIMIT if target.expect is not None and target.expect.contains else 0


def session_headers(options: CheckOptions) -> dict[str, str]:
    """The headers of every request: the User-Agent, then ``--header``'s."""
    headers = {"User-Agent": options.user_agent or DEFAULT_USER_AGENT}
    headers.update(options.headers)
    return headers


def request_headers(options: CheckOptions) -> list[tuple[str, str]]:
    """`session_headers` with the defaults a client adds (``Accept``, ``Accept-Encoding``)."""
    headers = list(session_headers(options).items())
    given = {name.lower() for name, _ in headers}
    headers.extend(item for item in DEFAULT_HEADERS if item[0].lower() not in given)
    return headers


_loading: dict[tuple[object, ...], concurrent.futures.Future[ssl.SSLContext]] = {}
"""TLS settings being loaded ahead (`load_ssl_context_soon`), by what they depend on."""


def _trust(options: CheckOptions) -> tuple[object, ...]:
    return (
        options.ca_bundle,
        options.insecure,
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("SSL_CERT_DIR"),
    )


def load_ssl_context_soon(options: CheckOptions) -> None:
    """Start loading `ssl_context(options)` in a thread, for the first https request to take.

    The trust store costs tens of milliseconds of CPU (50-65 here), spent in OpenSSL
    without the GIL: loaded while the run starts, they delay no check. Call it only when no
    process will be forked from this one any more, and `forget_ssl_context_soon` when the
    run ends: a load nobody took is not a later run's. The thread is not a daemon: the
    process waits for the load at exit rather than leave OpenSSL mid-way.
    """
    key = _trust(options)
    if key in _loading:
        return
    future: concurrent.futures.Future[ssl.SSLContext] = concurrent.futures.Future()

    def load() -> None:
        try:
            future.set_result(_load_ssl_context(options))
        except BaseException as exc:  # the request that takes it raises it
            future.set_exception(exc)

    thread = threading.Thread(target=load, name="urlcheck-trust-store")
    try:
        thread.start()
    except RuntimeError:  # no thread to be had (ulimit -u): the first request loads it
        return
    _loading[key] = future


def forget_ssl_context_soon(options: CheckOptions) -> None:
    """Drop what `load_ssl_context_soon` started for `options` and no request took."""
    _loading.pop(_trust(options), None)


def ssl_context(options: CheckOptions) -> ssl.SSLContext:
    """The TLS settings of a run: the system's trust store (``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` honoured), only ``--ca-bundle``'s, or none with ``--insecure``; the
    ones `load_ssl_context_soon` started loading, if it did (waited for: call it in a
    thread)."""
    loading = _loading.pop(_trust(options), None)
    if loading is not None:
        return loading.result()
    return _load_ssl_context(options)


def _load_ssl_context(options: CheckOptions) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=options.ca_bundle)
    if options.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@functools.cache
def _environment_proxies() -> dict[str, str]:
    if not any(name[-6:].lower() == "_proxy" for name in os.environ):
        return {}  # the usual case, without importing urllib.request (~8 ms)
    import urllib.request

    return urllib.request.getproxies_environment()


def has_proxies() -> bool:
    """Whether the environment names any proxy (read once per process)."""
    return bool(_environment_proxies())


def proxy_for(url: str) -> str | None:
    """The proxy for `url` from HTTP_PROXY / HTTPS_PROXY / NO_PROXY, read once per process."""
    proxies = _environment_proxies()
    if not proxies:
        return None
    scheme = url.partition(":")[0].lower()
    proxy = proxies.get(scheme)
    if proxy is None:
        return None
    host = urllib.parse.urlsplit(url).hostname or ""
    return None if _bypassed(host) else proxy


@functools.lru_cache(maxsize=4096)
def _bypassed(host: str) -> bool:
    import urllib.request

    return bool(urllib.request.proxy_bypass(host))


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        import email.utils

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
