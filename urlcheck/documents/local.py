"""The verdict on each link of a document that needs no request: a local file and its
fragment, a scheme that is not checked, a link that leads nowhere knowable; and the
`Target` of each remote one.

A local link is fine when its file or directory exists; with a ``#fragment``, when the file
is a Markdown or HTML document that has the anchor (`fragments.Anchors`; a fragment into any
other kind of file, ``main.py#L10``, is not looked at). Anchors come from the documents
read in the run, or are read here for a file outside them, once.
"""

from __future__ import annotations

import os

from ..fragments import Anchors, Dialect, missing_message
from ..models import ErrorKind, Target
from ..urls import line_id_at, mask_link, parse_url
from .found import Found, Parsed, Settings, Verdict, document_anchors, read_text
from .walk import Document, Kind

_DIALECTS = {Kind.MARKDOWN: Dialect.MARKDOWN, Kind.HTML: Dialect.HTML}


def shown_path(path: str, cwd: str) -> str:
    """An absolute path as a message shows it: relative to the working directory `cwd` when
    it is inside it."""
    inside = cwd.rstrip(os.sep) + os.sep
    return path[len(inside) :] if path.startswith(inside) else path


class LocalFiles:
    """The anchors of local documents, each read at most once in a process; with a `limit`,
    those of the last `limit` documents only (a worker's: what it forgets, it leaves to the
    parent, who knows every document of the run)."""

    def __init__(self, limit: int | None = None) -> None:
        self._anchors: dict[str, Anchors | None] = {}
        self._limit = limit
        self.cwd = os.getcwd()
        """Where messages show paths from."""

    def learn(self, parsed: Parsed) -> None:
        """Keep the anchors of a document just read."""
        dialect = _DIALECTS.get(parsed.kind)
        if parsed.error is None and dialect is not None:  # a sitemap has no anchors
            self._keep(parsed.absolute, Anchors(parsed.anchors, dialect))

    def _keep(self, path: str, anchors: Anchors | None) -> None:
        kept = self._anchors
        kept.pop(path, None)  # kept again, as the newest
        if self._limit is not None and len(kept) >= self._limit:
            del kept[next(iter(kept))]  # the oldest
        kept[path] = anchors

    def knows(self, path: str) -> bool:
        """Whether the anchors of `path` are known (read, or found unreadable)."""
        return path in self._anchors

    def anchors(self, path: str, kind: Kind) -> Anchors | None:
        """The anchors of the document at `path` (None when it cannot be read)."""
        if path not in self._anchors:
            try:
                text = read_text(path)
            except (OSError, ValueError):
                found = None
            else:
                found = Anchors(document_anchors(text, kind), _DIALECTS[kind])
            self._keep(path, found)
            return found
        return self._anchors[path]


def needs_other(found: Found, files: LocalFiles) -> bool:
    """Whether judging `found` needs the anchors of a document `files` has not read yet."""
    place = found.place
    return (
        found.fragment is not None
        and place is not None
        and place.kind is not None
        and not files.knows(found.target)
    )


def verdict(
    document: Document,
    found: Found,
    *,
    ok: bool = True,
    kind: ErrorKind | None = None,
    error: str | None = None,
    reason: str | None = None,
    skipped: bool = False,
) -> Verdict:
    """The verdict on `found`, a link of `document`: fine unless `ok` is False."""
    return (
        mask_link(found.url),
        found.line,
        found.column,
        ok,
        document.path,
        line_id_at(document.absolute, found.url),
        kind,
        error,
        reason,
        skipped,
    )


def decide(
    document: Document, found: Found, files: LocalFiles, settings: Settings
) -> Verdict | Target:
    """The result of a link that needs no request, or the `Target` of one that does (a
    skipped result instead with ``--offline``). A fragment into a document `files` has not
    read is read now (see `needs_other` to wait for it instead)."""
    what = found.what
    if what == "remote":
        if settings.offline:
            return verdict(document, found, skipped=True, reason="not checked: --offline")
        return _remote(document, found, fragments=settings.fragments)
    if what == "unchecked":
        reason = f"{found.target}: links are not checked"
        return verdict(document, found, skipped=True, reason=reason)
    if what == "unknowable":
        return verdict(document, found, ok=False, kind=ErrorKind.INVALID_URL, error=found.target)
    place = found.place
    assert place is not None
    if not place.exists:
        return verdict(
            document,
            found,
            ok=False,
            kind=ErrorKind.MISSING_FILE,
            error=f"no such file or directory: {shown_path(found.target, files.cwd)}",
        )
    if found.fragment is None or place.kind is None:
        return verdict(document, found)
    anchors = files.anchors(found.target, place.kind)
    if anchors is None:
        return verdict(
            document,
            found,
            ok=False,
            kind=ErrorKind.MISSING_FILE,
            error=f"cannot read {shown_path(found.target, files.cwd)} to find #{found.fragment}",
        )
    if anchors.has(found.fragment):
        return verdict(document, found)
    message = missing_message(found.fragment, shown_path(found.target, files.cwd), anchors)
    return verdict(document, found, ok=False, kind=ErrorKind.FRAGMENT, error=message)


def _remote(document: Document, found: Found, *, fragments: bool) -> Target:
    parsed, problem = parse_url(found.target)
    source = document.path
    display = mask_link(found.url)
    if problem is not None:
        return Target(
            url=found.target,
            display=display,
            source=source,
            line=found.line,
            column=found.column,
            problem=f"{source}:{found.line}:{found.column}: {problem}",
        )
    return Target(
        url=found.target,
        display=display,
        source=source,
        line=found.line,
        column=found.column,
        parsed=parsed,
        fragment=found.fragment if fragments and found.fragment else None,
    )
