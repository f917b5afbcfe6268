"""Links in documents: Markdown and HTML files, and the trees they stand in.

    reader = DocumentReader(documents_of(names, exclude_paths, errors), Settings(…))
    for item in reader: …        # a Target per remote link, a CheckResult for every other

`walk` (which files are documents, a directory's tree), `resolve` (where a link leads),
`parse` (one document's links, resolved, looked up and judged: the work worker processes
share), `local` (the verdict on links that need no request), `reader` (the run's
documents), `workers` (the processes that parse them when there are many). The links
themselves are found by `urlcheck.extract`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .walk import Document, Kind, document_kind, named_kind, walk

if TYPE_CHECKING:
    from .found import Settings
    from .reader import DocumentReader

_LAZY = {"DocumentReader": ".reader", "Settings": ".found"}
"""Loaded on first use: a run of URL lists asks `is_document` and reads no document."""

__all__ = [
    "Document",
    "DocumentReader",
    "Kind",
    "Settings",
    "document_kind",
    "documents_of",
    "is_document",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_document(name: str) -> bool:
    """Whether an input named on the command line is read as documents: a directory, or a
    file whose name says Markdown, HTML or a sitemap (any other file is a URL list)."""
    return name != "-" and (named_kind(name) is not None or os.path.isdir(name))


def documents_of(
    names: Iterable[str], exclude_paths: Sequence[str], errors: list[str]
) -> list[Document]:
    """The documents the inputs name, each once: the files as given, the directories walked.
    An input that does not exist is one message in `errors`."""
    found: dict[str, Document] = {}
    for name in names:
        if os.path.isdir(name):
            for document in walk(name, exclude_paths, errors):
                found.setdefault(document.absolute, document)
            continue
        kind = named_kind(name)
        assert kind is not None, "is_document said so"
        if not os.path.exists(name):
            errors.append(f"{name}: no such file")
            continue
        document = Document(name, kind)
        found.setdefault(document.absolute, document)
    return list(found.values())
