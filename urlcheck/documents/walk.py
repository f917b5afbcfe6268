"""Which files are documents, and the documents of a directory tree.

A name ending ``.md`` or ``.markdown`` is Markdown, ``.html`` or ``.htm`` is HTML, and
``sitemap*.xml`` or ``sitemap*.xml.gz`` a sitemap (any letter case); any ``.xml`` or
``.xml.gz`` file named on the command line is a sitemap too (`named_kind`). A directory is
walked for those, in sorted order so that every run lists them alike; ``.git`` and
``node_modules`` are never entered, nor what an ``--exclude-path`` glob names.
A glob is matched (`fnmatch`, where ``*`` also crosses ``/``) against the path relative to
the walked directory, with ``/`` between its parts: ``drafts`` or ``drafts/*`` leave out a
directory with all it holds, ``*.draft.md`` some files anywhere. Symbolic links to
directories are followed once: a link back to where it stands is not a loop.
"""

from __future__ import annotations

import enum
import fnmatch
import os
from collections.abc import Iterator, Sequence

from ..record import record

ALWAYS_SKIPPED = frozenset({".git", "node_modules"})
"""Directories never walked: a repository's own data, and installed packages."""


class Kind(enum.StrEnum):
    """What a document is written in, which says how its links are read."""

    MARKDOWN = "markdown"
    HTML = "html"
    SITEMAP = "sitemap"


_SUFFIXES = {".md": Kind.MARKDOWN, ".markdown": Kind.MARKDOWN, ".html": Kind.HTML}
_SUFFIXES[".htm"] = Kind.HTML


def document_kind(name: str) -> Kind | None:
    """The kind of document a file in a walked directory is by its name, or None."""
    kind = _SUFFIXES.get(os.path.splitext(name)[1].lower())
    if kind is None and _is_sitemap_name(os.path.basename(name)):
        return Kind.SITEMAP
    return kind


def named_kind(name: str) -> Kind | None:
    """The kind of document a file named on the command line is: as in a directory, and
    any ``.xml`` or ``.xml.gz`` a sitemap."""
    if name.lower().endswith((".xml", ".xml.gz")):
        return Kind.SITEMAP
    return document_kind(name)


def _is_sitemap_name(name: str) -> bool:
    lower = name.lower()
    return lower.startswith("sitemap") and lower.endswith((".xml", ".xml.gz"))


@record
class Document:
    """A document to read: its path as results name it, its kind, and its absolute path
    (the key every lookup of the run knows it by)."""

    path: str
    kind: Kind
    absolute: str = ""

    def __post_init__(self) -> None:
        if not self.absolute:
            object.__setattr__(self, "absolute", os.path.abspath(self.path))


def absolute(path: str, cwd: str) -> str:
    """`os.path.abspath` from a working directory read once, not once a path (a syscall)."""
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(cwd, path))


def _excluded(relative: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(relative, glob) for glob in globs)


def walk(directory: str, exclude_paths: Sequence[str], errors: list[str]) -> Iterator[Document]:
    """The documents under `directory`, sorted by path; a directory that cannot be read is
    one message in `errors`, and the walk goes on."""
    globs = [glob.strip("/") for glob in exclude_paths]
    seen: set[tuple[int, int]] = set()

    def visit(path: str, relative: str) -> Iterator[Document]:
        try:
            info = os.stat(path)
            if (info.st_dev, info.st_ino) in seen:
                return
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(path) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            errors.append(f"{path}: cannot read the directory ({exc.strerror or exc})")
            return
        for entry in entries:
            inside = f"{relative}/{entry.name}" if relative else entry.name
            if entry.name in ALWAYS_SKIPPED or _excluded(inside, globs):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                yield from visit(entry.path, inside)
                continue
            kind = document_kind(entry.name)
            if kind is not None:
                yield Document(entry.path, kind, absolute(entry.path, cwd))

    cwd = os.getcwd()
    yield from visit(directory, "")
