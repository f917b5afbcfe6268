"""The web as input: pages and sitemaps named on the command line, and with ``--recursive``
the site they are on (`frontier.Crawler`, what `check_urls` takes as its crawl), robots.txt
honoured (`robots`). What a fetched body holds is read by `urlcheck.pages`."""

from __future__ import annotations

import re

from .frontier import COMMAND_LINE, DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAGES, Crawler, CrawlSettings

__all__ = [
    "COMMAND_LINE",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_PAGES",
    "CrawlSettings",
    "Crawler",
    "is_web_input",
]

_WEB_RE = re.compile(r"https?://", re.IGNORECASE)


def is_web_input(name: str) -> bool:
    """Whether an input named on the command line is a page or sitemap on the web."""
    return _WEB_RE.match(name) is not None
