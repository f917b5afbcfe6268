"""The exceptions urlcheck raises; an unreachable URL is a result, never one of these.

UrlcheckError
├── InputError         a file or stream cannot be read as a URL list
├── DistributedError   the Celery cluster cannot check the list (broker, workers)
├── ShardError         a worker process of a long list failed (shards.py)
├── ServeError         the web view cannot listen, or is stopping while a check runs
├── HistoryError       the --db database cannot be opened or is not urlcheck's (database.py)
├── NotifyError        a --notify URL cannot be used, or Apprise is missing (monitor/notify.py)
└── SitemapError       bytes that are no sitemap urlcheck will read, or defusedxml is missing
                       (sitemaps.py)
"""

from __future__ import annotations


class UrlcheckError(Exception):
    """Base class of every exception urlcheck raises on purpose."""


class InputError(UrlcheckError):
    """A file or stream cannot be read as a URL list (missing, a directory, binary …)."""


class DistributedError(UrlcheckError):
    """The cluster cannot check the list: bad broker URL, broker unreachable, no worker …"""


class ShardError(UrlcheckError):
    """A worker process of a long list failed, so the run cannot be completed."""


class HistoryError(UrlcheckError):
    """The history database cannot be opened or is not urlcheck's."""


class ServeError(UrlcheckError):
    """The web view cannot listen (port in use …) or is stopping while a check runs."""


class NotifyError(UrlcheckError, ValueError):
    """A notify URL cannot be used (unknown service, malformed), or Apprise is not installed."""


class SitemapError(UrlcheckError, ValueError):
    """Bytes are no sitemap urlcheck will read (not XML, a DTD, too large …), or defusedxml
    is not installed."""
