"""The web as input: pages and sitemaps named on the command line, and with ``--recursive``
the site they are on (`frontier.Crawler`, what `check_urls` takes as its crawl), robots.txt
honoured (`robots`). What a fetched body holds is read by `urlcheck.pages`.

`arguments` (`is_web_input`) loads with the package, the rest on first use: a run of URL lists
asks whether an input is a web page and should not pay for the crawler to learn it is not."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .arguments import COMMAND_LINE, is_web_input

if TYPE_CHECKING:
    from .frontier import (
        DEFAULT_MAX_DEPTH,
        DEFAULT_MAX_PAGES,
        Crawler,
        CrawlSettings,
    )

__all__ = [
    "COMMAND_LINE",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_PAGES",
    "CrawlSettings",
    "Crawler",
    "is_web_input",
]

_LAZY = frozenset({"DEFAULT_MAX_DEPTH", "DEFAULT_MAX_PAGES", "CrawlSettings", "Crawler"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(".frontier", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
