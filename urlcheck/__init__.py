"""urlcheck: check lists of URLs fast and tell the truth about them.

The public API is importable from here; heavy modules (aiohttp) load on first use so
that `urlcheck --version` and `import urlcheck` stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .checker import check_urls, fetch_url
    from .inputs import parse_line, read_targets
    from .models import CheckResult, ErrorKind, StatusRanges, Target
    from .options import CheckOptions

__all__ = [
    "CheckOptions",
    "CheckResult",
    "ErrorKind",
    "StatusRanges",
    "Target",
    "__version__",
    "check_urls",
    "fetch_url",
    "parse_line",
    "read_targets",
]

_LAZY = {
    "check_urls": "checker",
    "fetch_url": "checker",
    "parse_line": "inputs",
    "read_targets": "inputs",
    "CheckOptions": "options",
    "CheckResult": "models",
    "ErrorKind": "models",
    "StatusRanges": "models",
    "Target": "models",
}


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'urlcheck' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
