"""One document read, its links found and resolved, its local targets looked up, and every
verdict given that needs no other document: the work worker processes share.

What comes back (`Parsed`) is the document's anchors, its results and targets, and the
links it could not judge alone (`deferred`): a ``#fragment`` into another document whose
anchors this process has not read. The caller, who sees every document, judges those.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..filters import LinkFilter
from .found import Found, Parsed, Settings, Where, read_text, where
from .local import LocalFiles, decide, needs_other
from .resolve import Local, Remote, Unchecked, resolve
from .walk import Document, Kind

if TYPE_CHECKING:
    from ..extract import Link

RESOLVED_CACHE = 100_000
"""Links resolved per process before the cache starts again (memory stays flat)."""


class Parser:
    """Parses a run's documents in one process: its own lookups of paths, resolved links
    and anchors, which live as long as the run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        link_filter = LinkFilter.of(settings.include, settings.exclude)
        self.keep = link_filter.keeps if link_filter else None
        self.files: LocalFiles = LocalFiles()
        self._places: dict[str, Where] = {}
        self._resolved: dict[tuple[str, str | None, str], Found] = {}

    def place(self, path: str) -> Where:
        """`where`, each path looked up once."""
        known = self._places.get(path)
        if known is None:
            known = self._places[path] = where(path)
        return known

    def parse(self, document: Document) -> Parsed:
        """Read `document`, judge every link it can alone; an unreadable document is a
        `Parsed` with its `error`."""
        parsed = Parsed(document.path, document.kind)
        try:
            text = read_text(document.path)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            parsed.error = f"{document.path}: cannot read it ({reason})"
            return parsed
        links, base, parsed.anchors = _extract(text, document.kind)
        self.files.learn(parsed)
        directory = os.path.dirname(os.path.abspath(document.path))
        keep, settings, files = self.keep, self.settings, self.files
        for link in links:
            if keep is not None and not keep(link.url):
                continue
            found = self._found(link.url, directory, document.path, base)
            found = found._replace(line=link.line, column=link.column)
            if needs_other(found, files):
                parsed.deferred.append(found)
                continue
            parsed.items.append(decide(document.path, found, files, settings))
        return parsed

    def _found(self, url: str, directory: str, document: str, base: str | None) -> Found:
        """`url` resolved from `directory` (with the document's `base`), and looked up."""
        # A fragment alone (or nothing) points into the document itself, not its directory.
        key = (document if not url or url[0] == "#" else directory, base, url)
        found = self._resolved.get(key)
        if found is not None:
            return found
        resolved = resolve(url, document, base=base, root_dir=self.settings.root_dir)
        if isinstance(resolved, Local):
            place = self.place(resolved.path)
            found = Found(url, 0, 0, "local", resolved.path, resolved.fragment, place)
        elif isinstance(resolved, Remote):
            found = Found(url, 0, 0, "remote", resolved.url, resolved.fragment, None)
        elif isinstance(resolved, Unchecked):
            found = Found(url, 0, 0, "unchecked", resolved.scheme, None, None)
        else:
            found = Found(url, 0, 0, "unknowable", resolved.problem, None, None)
        if len(self._resolved) >= RESOLVED_CACHE:
            self._resolved.clear()
        self._resolved[key] = found
        return found


def _extract(text: str, kind: Kind) -> tuple[list[Link], str | None, frozenset[str]]:
    from ..extract import html_document, markdown_document

    if kind is Kind.MARKDOWN:
        links, anchors = markdown_document(text)
        return links, None, anchors
    return html_document(text)
