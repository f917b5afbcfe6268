"""What a command line's web input is, and the name its own rows carry: here, apart from the
crawler, so that a run of URL lists can ask without loading it."""

from __future__ import annotations

import re

COMMAND_LINE = "<command line>"
"""The `file` of a result for a URL named on the command line."""
_WEB_RE = re.compile(r"https?://", re.IGNORECASE)


def is_web_input(name: str) -> bool:
    """Whether an input named on the command line is a page or sitemap on the web."""
    return _WEB_RE.match(name) is not None
