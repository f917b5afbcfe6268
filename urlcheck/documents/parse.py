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
from .found import Found, Parsed, Settings, Where, read_bytes, read_text, where
from .local import LocalFiles, decide, needs_other
from .resolve import Local, Remote, Unchecked, resolve
from .walk import Document, Kind

if TYPE_CHECKING:
    from ..extract import Link

_Where = tuple[str, str, str | None, Where | None]
"""What `Found` says of a link beside its position: what, target, fragment, place."""

RESOLVED_CACHE = 4_096
"""Links resolved per process before the cache starts again. Its hits are a document's
links repeated, or its neighbours' (the walk reads a directory's documents in turn): on
the documents benchmark's tree 4,096 entries miss 2 % more links than 100,000 did, and a
worker's peak memory went from 55 MB to 30 MB."""
ANCHORS_KEPT = 1_024
"""Documents whose anchors a parser keeps to judge later links to them itself; a link into
one it has forgotten is judged by the reader, which has them all. Links mostly point near
(the same directory, the next page): a worker's memory stays flat, the reader's share of
the verdicts grows a little."""
PLACES_CACHE = 100_000
"""Paths looked up per process before that cache starts again (a ``stat`` each)."""


class Parser:
    """Parses a run's documents in one process: its own lookups of paths, resolved links
    and anchors, which live as long as the run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        link_filter = LinkFilter.of(settings.include, settings.exclude)
        self.keep = link_filter.keeps if link_filter else None
        self.files: LocalFiles = LocalFiles(limit=ANCHORS_KEPT)
        self._places: dict[str, Where] = {}
        self._resolved: dict[tuple[str, str | None, str], _Where] = {}

    def place(self, path: str) -> Where:
        """`where`, each path looked up once."""
        known = self._places.get(path)
        if known is None:
            if len(self._places) >= PLACES_CACHE:
                self._places.clear()
            known = self._places[path] = where(path)
        return known

    def parse(self, document: Document) -> Parsed:
        """Read `document`, judge every link it can alone; an unreadable document is a
        `Parsed` with its `error`."""
        parsed = Parsed(document.path, document.kind, document.absolute)
        try:
            links, base, parsed.anchors = _extract(document)
        except (OSError, ValueError) as exc:  # SitemapError is a ValueError
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            parsed.error = f"{document.path}: cannot read it ({reason})"
            return parsed
        self.files.learn(parsed)
        absolute = document.absolute
        directory = os.path.dirname(absolute)
        keep, settings, files = self.keep, self.settings, self.files
        for link in links:
            url = link.url
            if keep is not None and not keep(url):
                continue
            what, target, fragment, place = self._resolve(url, absolute, directory, base)
            found = Found(url, link.line, link.column, what, target, fragment, place)
            if needs_other(found, files):
                parsed.deferred.append(found)
                continue
            parsed.items.append(decide(document, found, files, settings))
        return parsed

    def _resolve(self, url: str, document: str, directory: str, base: str | None) -> _Where:
        """`url` resolved from `directory` (with the document's `base`), and looked up."""
        # A fragment alone (or nothing) points into the document itself, not its directory.
        key = (document if not url or url[0] == "#" else directory, base, url)
        found = self._resolved.get(key)
        if found is not None:
            return found
        resolved = resolve(
            url, document, base=base, root_dir=self.settings.root_dir, directory=directory
        )
        if isinstance(resolved, Local):
            found = ("local", resolved.path, resolved.fragment, self.place(resolved.path))
        elif isinstance(resolved, Remote):
            found = ("remote", resolved.url, resolved.fragment, None)
        elif isinstance(resolved, Unchecked):
            found = ("unchecked", resolved.scheme, None, None)
        else:
            found = ("unknowable", resolved.problem, None, None)
        if len(self._resolved) >= RESOLVED_CACHE:
            self._resolved.clear()
        self._resolved[key] = found
        return found


def _extract(document: Document) -> tuple[list[Link], str | None, frozenset[str]]:
    """A document's links, its ``<base href>`` and its anchors; OSError or ValueError (a
    sitemap's `errors.SitemapError` too) say why it cannot be read."""
    from ..extract import Link, html_document, markdown_document

    if document.kind is Kind.SITEMAP:
        from ..sitemaps import MAX_SITEMAP_BYTES, parse_sitemap

        sitemap = parse_sitemap(read_bytes(document.path, MAX_SITEMAP_BYTES + 1))
        links = [Link(loc.url, loc.line, loc.column, "loc", None) for loc in sitemap.locs]
        return links, None, frozenset()
    text = read_text(document.path)
    if document.kind is Kind.MARKDOWN:
        found, anchors = markdown_document(text)
        return found, None, anchors
    return html_document(text)
