"""How a run reads the bodies it fetched (`pages.read_page`): off the loop that times the
checks, since parsing a long page takes milliseconds. By default in a thread
(`read_in_thread`); a ``--recursive`` crawl reads its pages in a worker process
(`crawl.readers`), and in a thread whenever that worker is not there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .pages import Page


class Fetched(NamedTuple):
    """A body to read, and how (`pages.read_page`'s arguments)."""

    body: bytes
    content_type: str | None
    url: str
    """Where the body came from, after redirects: what its links are read against."""
    complete: bool
    links: bool
    anchors: bool


ReadBody = Callable[[Fetched], Awaitable["Page"]]
"""A way to read a fetched body: `read_in_thread`, or a crawl's own."""


def read_here(fetched: Fetched) -> Page:
    """`pages.read_page` of `fetched`, in whatever thread or process calls it: a list whose
    checks read no body never imports the page reader."""
    from .pages import read_page

    body, content_type, url, complete, links, anchors = fetched
    return read_page(body, content_type, url, complete=complete, links=links, anchors=anchors)


async def read_in_thread(fetched: Fetched) -> Page:
    """What a fetched body held, read in a thread."""
    import asyncio  # loaded already where a loop runs; the page worker needs none of it

    return await asyncio.to_thread(read_here, fetched)
