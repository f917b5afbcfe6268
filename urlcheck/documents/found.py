"""What the documents' stages hand each other: a link resolved and looked up (`Found`),
a document parsed (`Parsed`), a run's settings; and reading a document from disk."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from ..models import CheckResult
from .walk import Kind, document_kind

if TYPE_CHECKING:
    from ..models import ErrorKind, Target

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""A larger file is not read as a document (its links would not fit a sensible run)."""
READ_BLOCK = 1024 * 1024
"""How much more is asked for at a time when a file holds more than its size said."""


class Where(NamedTuple):
    """What is at a local path: a file, a directory, or nothing (and the kind of document)."""

    exists: bool
    is_dir: bool
    kind: Kind | None


NOTHING = Where(False, False, None)


def where(path: str) -> Where:
    """Look `path` up on disk (one ``stat``)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return NOTHING
    is_dir = stat.S_ISDIR(info.st_mode)
    return Where(True, is_dir, None if is_dir else document_kind(path))


class Found(NamedTuple):
    """One link of a document, resolved.

    `what` is ``remote`` (`target` is the URL without its fragment), ``local`` (`target` is
    the absolute path; `place` what is there), ``unchecked`` (`target` is the scheme) or
    ``unknowable`` (`target` says why).
    """

    url: str
    line: int
    column: int
    what: str
    target: str
    fragment: str | None
    place: Where | None


@dataclass(frozen=True, slots=True)
class Settings:
    """What a run asks of its documents' links (it travels to the worker processes)."""

    root_dir: str | None = None
    fragments: bool = False
    offline: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


Verdict = tuple[str, int, int, bool, str, str, "ErrorKind | None", str | None, str | None, bool]
"""The result of a link decided without a request, in the few values it has: url, line,
column, ok, document, id, error kind, error, reason, skipped (`local.verdict` makes one).

A plain tuple, not a named one: a worker makes one a link and pickles it, and pickle makes a
named tuple again through its Python ``__new__`` (at 200,000 links 1.7 s to load, against
0.1 s for plain tuples). `verdict_result` makes its `CheckResult` once, where the results
are read, not in the worker and again in the parent.
"""


def verdict_result(verdict: Verdict) -> CheckResult:
    """The row of a `Verdict`, as every other row of the run."""
    url, line, column, ok, document, id_, kind, error, reason, skipped = verdict
    return CheckResult(
        url=url,
        line=line,
        ok=ok,
        reason=reason,
        error_kind=kind,
        error=error,
        file=document,
        id=id_,
        column=column,
        skipped=skipped,
    )


@dataclass(slots=True)
class Parsed:
    """A document's verdicts, the links left to the caller, and its anchors."""

    path: str
    kind: Kind
    absolute: str
    anchors: frozenset[str] = frozenset()
    items: list[Verdict | Target] = field(default_factory=list)
    """Verdicts and targets, in the document's order."""
    deferred: list[Found] = field(default_factory=list)
    error: str | None = None


def read_bytes(path: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """A document's bytes; OSError, or ValueError when it is larger than `limit`."""
    with open(path, "rb", buffering=0) as stream:
        # Ask for what the file holds (and a byte more), not for `limit`: a read of 64 MiB
        # allocates 64 MiB first, a cost per document that dwarfs the read itself.
        size = os.fstat(stream.fileno()).st_size
        left = limit + 1
        want = size + 1 if size else READ_BLOCK  # no size: a pipe, a file of /proc …
        chunks = []
        while left > 0 and (chunk := stream.read(min(want, left))):
            chunks.append(chunk)
            left -= len(chunk)
            want = READ_BLOCK  # more than its size said: it grew meanwhile
    data = b"".join(chunks)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // (1024 * 1024)} MiB")
    return data


def read_text(path: str) -> str:
    """A document's text: UTF-8, undecodable bytes replaced; OSError, or ValueError when it
    is too large, says why not."""
    return read_bytes(path).decode("utf-8", errors="replace")


def document_anchors(text: str, kind: Kind) -> frozenset[str]:
    """What a ``#fragment`` may name in a document's text."""
    from ..extract import html_anchors, markdown_anchors

    return markdown_anchors(text) if kind is Kind.MARKDOWN else html_anchors(text)
