"""Results → text: every output format, each a pure function in a module of its own; the
caller prints. ``table`` is the one that needs rich, so a run that prints JSON lines, CSV or
metrics never loads it.

==============  =====================================================================
``labels``      what every view says alike: status class and label, redirects, the
                certificate's level, a time bar, the summary's words (no rich)
``records``     JSON, JSON lines, CSV, and the history's figures as JSON
``table``       the terminal's table, summary line and history table (rich)
``markdown``    a Markdown table for pull-request comments
``junit``       JUnit XML for CI systems
``prometheus``  Prometheus text, and every metric's HELP and TYPE lines
``sarif``       SARIF 2.1.0 for code scanning: a result per failure, at its link
``github``      GitHub Actions ``::error`` annotations, a line per failure
==============  =====================================================================

A new format is a new module here with a pure function over `CheckResult`s.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .github import to_github
    from .junit import to_junit
    from .labels import (
        cert_level,
        plural,
        redirect_text,
        sparkline,
        status_class,
        status_label,
        summary_line,
        time_bar,
    )
    from .markdown import to_markdown
    from .prometheus import to_prometheus
    from .records import (
        csv_header,
        history_json,
        incidents_json,
        to_csv,
        to_csv_row,
        to_json,
        to_jsonl,
    )
    from .sarif import to_sarif
    from .table import history_table, incidents_table, results_table, summary_text

_HOMES = {
    "cert_level": "labels",
    "plural": "labels",
    "redirect_text": "labels",
    "sparkline": "labels",
    "status_class": "labels",
    "status_label": "labels",
    "summary_line": "labels",
    "time_bar": "labels",
    "csv_header": "records",
    "history_json": "records",
    "to_csv": "records",
    "to_csv_row": "records",
    "to_json": "records",
    "to_jsonl": "records",
    "history_table": "table",
    "incidents_table": "table",
    "incidents_json": "records",
    "results_table": "table",
    "summary_text": "table",
    "to_markdown": "markdown",
    "to_junit": "junit",
    "to_prometheus": "prometheus",
    "to_sarif": "sarif",
    "to_github": "github",
}

__all__ = [
    "cert_level",
    "csv_header",
    "history_json",
    "history_table",
    "incidents_json",
    "incidents_table",
    "plural",
    "redirect_text",
    "results_table",
    "sparkline",
    "status_class",
    "status_label",
    "summary_line",
    "summary_text",
    "time_bar",
    "to_csv",
    "to_csv_row",
    "to_github",
    "to_json",
    "to_jsonl",
    "to_junit",
    "to_markdown",
    "to_prometheus",
    "to_sarif",
]


def __getattr__(name: str) -> Any:
    """Import a renderer's module on first use (PEP 562): rich only for the table."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
