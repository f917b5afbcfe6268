"""The inputs a run names, opened: a list of URLs (a file, or ``-`` for standard input),
documents (a directory, a Markdown or HTML file), or a page or sitemap on the web; each
input that cannot be opened is one message, and the others are read."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import BinaryIO

from .errors import InputError
from .filters import LinkFilter
from .inputs import Source, TargetReader, open_source
from .options import DocumentOptions, SiteOptions


def open_sources(
    names: Iterable[str],
    stdin: BinaryIO | None = None,
    *,
    documents: DocumentOptions | None = None,
    link_filter: LinkFilter | None = None,
    lists_only: bool = False,
    site: SiteOptions | None = None,
) -> TargetReader:
    """Open every named input; the ones that cannot be opened become errors, not exceptions.

    Directories and Markdown or HTML files are documents (see `documents.is_document`),
    read as `documents` says; every other input is a list of URLs. `link_filter` says which
    URLs are checked (``--exclude``, ``--include``). `lists_only`: every input is a list
    (a directory is then an error), as the web view reads them. An ``http(s)://`` input is
    a page or sitemap to read (`crawl`), the site it is on walked as `site` says.
    """
    from .crawl import COMMAND_LINE, is_web_input
    from .documents import Document, documents_of, is_document

    options = documents or DocumentOptions()
    sources: list[Source] = []
    errors: list[str] = []
    found: dict[str, Document] = {}
    starts: list[str] = []
    names = list(names)
    for name in names:  # in order, so that the errors are too
        if not lists_only and is_web_input(name):
            starts.append(name)
            continue
        if not lists_only and is_document(name):
            walked = documents_of([name], options.exclude_path, errors)
            if not walked and os.path.isdir(name):
                errors.append(f"{name}: no Markdown or HTML documents in it")
            for document in walked:  # each once, however many inputs name it
                found.setdefault(os.path.abspath(document.path), document)
            continue
        try:
            sources.append(open_source(name, stdin))
        except InputError as exc:
            errors.append(str(exc))
    keep = link_filter.keeps if link_filter else None
    # The web inputs' own rows are named as the command line's, where the first one stands.
    shown = list(dict.fromkeys(COMMAND_LINE if is_web_input(name) else name for name in names))
    reader = TargetReader(sources, errors, keep=keep, names=shown)
    if found:
        from .documents import DocumentReader, Settings

        patterns = link_filter or LinkFilter()
        settings = Settings(
            root_dir=options.root_dir and os.path.abspath(options.root_dir),
            fragments=options.fragments,
            offline=options.offline,
            include=tuple(pattern.pattern for pattern in patterns.include),
            exclude=tuple(pattern.pattern for pattern in patterns.exclude),
        )
        reader.documents = DocumentReader(list(found.values()), settings)
    if starts:
        from .crawl import Crawler, CrawlSettings

        walk = site or SiteOptions()
        reader.crawl = Crawler(
            starts,
            CrawlSettings(
                recursive=walk.recursive,
                max_depth=walk.max_depth,
                max_pages=walk.max_pages,
                fragments=options.fragments,
                keep=keep,
            ),
            errors=errors,
        )
    return reader
