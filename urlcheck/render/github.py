"""Failures as GitHub Actions workflow commands: ``::error file=…,line=…,col=…::message``,
which a workflow's log turns into annotations on the pull request's lines.

Values are escaped as the runner reads them: ``%``, CR and LF everywhere, and ``:`` and
``,`` in the properties. Paths are relative to the working directory (the checkout) when
they are inside it. A last plain line gives the counts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..models import CheckResult, Summary
from .labels import summary_line


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _path(file: str) -> str:
    if file in ("-", "<stdin>"):
        return file
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative.replace(os.sep, "/")


def github_annotation(result: CheckResult) -> str:
    """One failure as an ``::error`` command (``::warning`` for a warning)."""
    properties = [f"file={_property(_path(result.file))}"]
    if result.line:
        properties.append(f"line={result.line}")
    if result.column is not None:
        properties.append(f"col={result.column}")
    kind = str(result.error_kind or "failed")
    properties.append(f"title={_property(f'urlcheck: {kind}')}")
    command = "warning" if result.warning else "error"
    message = _data(f"{result.url}: {result.error or kind}")
    return f"::{command} {','.join(properties)}::{message}"


def to_github(results: Sequence[CheckResult], summary: Summary | None) -> str:
    """An ``::error`` line per failure, then the summary as plain text."""
    lines = [github_annotation(result) for result in results if not result.ok]
    if summary is not None:
        lines.append(summary_line(summary))
    return "\n".join(lines) + "\n" if lines else ""
