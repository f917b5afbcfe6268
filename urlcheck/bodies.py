"""How a run reads the bodies it fetched (`pages.read_page`): off the loop that times the
checks, since parsing a long page takes milliseconds. By default in a thread
(`read_in_thread`); a ``--recursive`` crawl reads its pages in a worker process
(`crawl.readers`), and this in a thread whenever that worker is not there."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .pages import Page


class ReadBody(Protocol):
    """A way to read a fetched body: `read_in_thread`, or a crawl's own."""

    async def __call__(
        self,
        body: bytes,
        content_type: str | None,
        url: str,
        *,
        complete: bool,
        links: bool,
        anchors: bool,
    ) -> Page: ...


def _read_page(
    body: bytes, content_type: str | None, url: str, *, complete: bool, links: bool, anchors: bool
) -> Page:
    """`pages.read_page`, in the thread that parses the body: a list whose checks read no
    body never imports the page reader."""
    from .pages import read_page

    return read_page(body, content_type, url, complete=complete, links=links, anchors=anchors)


async def read_in_thread(
    body: bytes, content_type: str | None, url: str, *, complete: bool, links: bool, anchors: bool
) -> Page:
    """What a fetched body held (`pages.read_page`), read in a thread."""
    return await asyncio.to_thread(
        _read_page, body, content_type, url, complete=complete, links=links, anchors=anchors
    )
