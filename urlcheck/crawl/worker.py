"""The worker process that reads a crawl's pages (``python -m urlcheck.crawl.worker``),
started by `readers.PageReader`: a body comes in on its standard input, what it held goes
out on its standard output as plain tuples (`Answer`), in order (`frames`), a long page's
links over several frames (`LINKS_PER_FRAME`). It imports only what reading a page needs,
not the checker: it is ready sooner, and fewer of a crawl's first pages are read in the
parent's threads.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any

from ..bodies import Fetched, read_here
from ..frames import frame, read_frame
from ..processes import serve_as_worker

if TYPE_CHECKING:
    from ..pages import Page

READY = "ready"
"""The worker's first message: its imports are done."""
LINKS_PER_FRAME = 500
"""A page's links in one frame at most: the parent rebuilds a frame in one go on the loop
that times the checks (2 µs a link), and a sitemap may hold 50,000."""
Links = list[tuple[Any, ...]]
"""`PageLink`s as tuples."""
Answer = tuple[str, tuple[frozenset[str], str, bool] | None, Links, str | None, int]
"""A `Page` as tuples: kind, anchors (names, dialect, complete), its first links, error,
and how many frames of further links (`Links`) follow."""


def answer_frames(page: Page) -> list[bytes]:
    """The frames that answer with `page`: its `Answer`, then the rest of its links."""
    anchors = page.anchors
    links = [
        (ln.written, ln.line, ln.column, ln.url, ln.fragment, ln.scheme, ln.normalized)
        for ln in page.links
    ]
    more = [
        links[at : at + LINKS_PER_FRAME]
        for at in range(LINKS_PER_FRAME, len(links), LINKS_PER_FRAME)
    ]
    answer: Answer = (
        page.kind,
        None if anchors is None else (anchors.names, anchors.dialect.value, anchors.complete),
        links[:LINKS_PER_FRAME],
        page.error,
        len(more),
    )
    return [frame(answer), *map(frame, more)]


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    # The HTML reader's imports, before the parent is told it may send pages.
    read_here(Fetched(b"<a href=x>", "text/html", "http://localhost/", True, True, True))
    stdout.write(frame(READY))
    stdout.flush()
    while (message := read_frame(stdin)) is not None:
        try:
            frames = answer_frames(read_here(Fetched(*message)))
        except Exception:  # the parent reads this one itself, and meets the error there
            frames = [frame(None)]
        stdout.writelines(frames)
        stdout.flush()


def main() -> None:
    """``python -m urlcheck.crawl.worker``: the worker, started by `readers.PageReader`."""
    serve_as_worker(_serve)
    os._exit(0)  # nothing to tear down: the parent waits for this exit


if __name__ == "__main__":
    main()
