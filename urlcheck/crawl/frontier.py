"""The pages and sitemaps a run reads from the web, and the links they give: what
`check_urls` checks next (the `checker.Crawl` it takes).

- A URL named on the command line is a page (depth 0), fetched with GET and read by its type
  (`pages`): an HTML page's links are checked, a sitemap's ``<loc>``s too, and a sitemap
  index's sitemaps are read in turn.
- With ``--recursive``, same-origin HTML pages found are read too, down to ``--max-depth``
  (the links of a page at that depth are checked, not followed), ``--max-pages`` at most.
  The origins walked are the named URLs' and where they redirect. Links elsewhere are
  checked, never followed.
- Every URL is known by one spelling (`urls.normalize_url`), so each page is fetched
  exactly once, and a page that is also a link is the same request (one key in
  `dedup.Duplicates`).
- A page's depth is its fewest links from a named URL. Pages above ``--max-depth`` are
  read as soon as they are found, whatever their order (their links are checked and
  followed at any such depth), and a page found by a shorter way than before is moved up,
  with the pages it leads to (`_lower`). Only pages at ``--max-depth`` wait, until every
  page above it is read: their depth is final then, so a page is never taken at the wrong
  side of the limit, and never first met as a mere link and fetched again as a page.
- robots.txt rules every origin walked (`robots`): a disallowed URL found there is never
  requested and is a skipped row. It is fetched beside the named URLs, which are always
  fetched themselves.
- A URL whose path names a file that is not a page (``.png``, ``.pdf`` …) is checked as a
  link, never read; a page's body is read only when it is markup or text.
"""

from __future__ import annotations

import asyncio
import posixpath
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeGuard

from ..bodies import Fetched, read_in_thread
from ..models import CheckResult, ErrorKind, Target
from ..streams import Slice
from ..urls import line_id, mask_link, mask_url, normalize_url, origin_of, parse_url
from .arguments import COMMAND_LINE

if TYPE_CHECKING:
    from ..models import Fetch
    from ..pages import Page, PageLink
    from .readers import PageReader
    from .robots import Robots

DEFAULT_MAX_DEPTH = 3
DEFAULT_MAX_PAGES = 10_000
NOT_PAGES = frozenset(
    {
        *(".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".tif"),
        *(".tiff", ".css", ".js", ".mjs", ".map", ".json", ".pdf", ".zip", ".gz", ".tgz"),
        *(".bz2", ".xz", ".7z", ".rar", ".tar", ".mp3", ".mp4", ".m4a", ".webm", ".ogg"),
        *(".wav", ".mov", ".avi", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".exe", ".dmg"),
        *(".iso", ".apk", ".deb", ".rpm", ".whl", ".csv", ".doc", ".docx", ".xls", ".xlsx"),
        *(".ppt", ".pptx"),
    }
)
"""Path endings of files that are no pages: checked as links, never downloaded to be read."""
LINKS_AHEAD = 4_096
"""Links found and not yet handed on, past which no page is handed on to be read."""
PAGES_AHEAD = 1_024
"""Pages handed on and not read yet, past which no more are: with both bounds the links
waiting stay under about 4,096 + 1,024 x a page's links. Unbounded, the pages handed on
filled the checker's queue, and their links piled up faster than the checks took them
(a 20,000-page site: 100,000 links waiting at once). Above 1,024 concurrent checks, the
rest check links while that many pages are read."""


@dataclass
class CrawlSettings:
    """What a run asks of the web pages it reads."""

    recursive: bool = False
    max_depth: int = DEFAULT_MAX_DEPTH
    max_pages: int = DEFAULT_MAX_PAGES
    fragments: bool = False
    keep: Callable[[str], bool] | None = None


@dataclass(slots=True, eq=False)
class _Taken:
    """A page taken to be read: its depth so far, lowered when a shorter way to it is found."""

    url: str
    depth: int
    done: bool = False
    """Read (or its fetch failed): it counts no more among the pages unread."""
    links: list[_Taken] | None = None
    """The taken pages its links lead to, while depths may still fall (see `Crawler._lower`)."""


@dataclass
class Crawler:
    """The web inputs of a run: the URLs named, and what reading them finds."""

    starts: list[str]
    settings: CrawlSettings = field(default_factory=CrawlSettings)
    errors: list[str] = field(default_factory=list)
    pages: int = 0
    """Pages (and sitemaps) taken to be read so far."""
    _links: deque[Target | CheckResult] = field(default_factory=deque)
    """Links (and rows) found on the pages read, in order, not yet handed on."""
    _pages: deque[Target] = field(default_factory=deque)
    """Pages found that may be read now, not yet handed on."""
    _found: asyncio.Event | None = None
    """Set when a page is read: it may have found something, or ended the crawl."""
    _handed: set[str] = field(default_factory=set)
    """The pages handed on (normalized): as a page, or first as a link to a page taken and
    not yet handed on, which is then that page's one request."""
    _reads: int = 0
    """Pages read (each is read once, by the first target of its URL handed on)."""
    _unread: int = 0
    """Pages taken and not read yet."""
    _shallow: int = 0
    """Pages taken above ``--max-depth`` and not read yet: while there are any, a depth
    may still fall, and the pages at ``--max-depth`` wait in `_held`."""
    _held: dict[str, list[Target]] = field(default_factory=dict)
    """A page at ``--max-depth`` (normalized) → its target and the links to it found since,
    waiting until its depth is final."""
    _known: dict[str, _Taken] = field(default_factory=dict)
    """Every URL taken as a page (normalized)."""
    _origins: set[str] = field(default_factory=set)
    _read: set[str] = field(default_factory=set)
    """The pages whose links were taken, by their final URL: a redirect to one of them
    (fetched again, to know where it ends) gives its links no second time."""
    _robots: Robots | None = None
    """robots.txt, read with the run's fetch (see `attach`)."""
    _reader: PageReader | None = None
    """Where a ``--recursive`` run's pages are read (see `attach`)."""

    def __post_init__(self) -> None:
        # Now, not on the loop, where the first pages' checks are timed meanwhile.
        from . import robots  # noqa: F401

        if self.settings.recursive:
            import protego  # noqa: F401

            from . import readers  # noqa: F401

    @property
    def wants_anchors(self) -> bool:
        """Only ``--fragments`` gives a link a fragment to find (see `checker.Crawl`)."""
        return self.settings.fragments

    async def attach(self, fetch: Fetch) -> None:
        """The run's way to fetch robots.txt, and with ``--recursive`` a worker process to
        read its pages in (see `checker.Crawl`)."""
        from .robots import Robots

        self._robots = Robots(fetch)
        if self.settings.recursive:
            from .readers import PageReader

            reader = PageReader()
            await reader.start()
            self._reader = reader

    async def read_body(self, fetched: Fetched) -> Page:
        """What a body held: read by the worker when there is one (see `checker.Crawl`)."""
        if self._reader is not None:
            return await self._reader.read(fetched)
        return await read_in_thread(fetched)

    async def close(self) -> None:
        """Stop the page worker and robots.txt's reads (see `checker.Crawl`); idempotent."""
        if self._robots is not None:
            self._robots.close()
        if self._reader is not None:
            await self._reader.close()

    async def __aiter__(self) -> AsyncIterator[Target | CheckResult]:
        found = self._found = asyncio.Event()
        handed = self._handed
        # Every named URL is taken first: each is depth 0 before any page's links count.
        starts = [self._start(start, number) for number, start in enumerate(self.starts, 1)]
        if self.settings.recursive and self._robots is not None:
            for origin in self._origins:
                self._robots.prefetch(origin)  # read beside the first page, not after it
        for target in starts:
            if target.page is not None:
                handed.add(target.url)
            yield target
        links, pages, held = self._links, self._pages, self._held
        while True:
            if pages and len(handed) - self._reads < PAGES_AHEAD and len(links) < LINKS_AHEAD:
                page = pages.popleft()
                handed.add(page.url)
                yield page
            elif links:
                item = links.popleft()
                if self._reads_a_page(item):
                    # A link to a page taken and not handed on yet would be that page's
                    # request: it waits for its turn among the pages, or with the page.
                    waiting = held.get(item.url)
                    if waiting is not None:
                        waiting.append(item)
                    else:
                        pages.append(item)
                else:
                    yield item
            elif self._unread:
                found.clear()
                await found.wait()  # for a page being read
            else:
                return

    def _reads_a_page(self, item: Target | CheckResult) -> TypeGuard[Target]:
        """Whether handing `item` on has a page read (its first target)."""
        return type(item) is Target and item.page is not None and item.url not in self._handed

    def _start(self, url: str, number: int) -> Target:
        """A URL named on the command line: a page at depth 0, whatever its origin."""
        normalized = normalize_url(url)
        parsed, problem = parse_url(url)
        target = Target(
            url=normalized if problem is None else url,
            display=mask_url(url),
            source=COMMAND_LINE,
            line=number,
            parsed=None,
            problem=None if problem is None else f"{COMMAND_LINE}:{number}: {problem}",
        )
        if problem is not None or parsed is None:
            return target
        self._origins.add(origin_of(normalized))
        self._take(normalized, 0)
        return Target(
            url=normalized, display=target.display, source=COMMAND_LINE, line=number, page=0
        )

    def _take(self, normalized: str, depth: int) -> _Taken:
        taken = self._known[normalized] = _Taken(normalized, depth)
        self._unread += 1
        if depth < self.settings.max_depth:
            self._shallow += 1
        self.pages += 1
        return taken

    async def read(self, target: Target, result: CheckResult, page: Page | None) -> None:
        """A page was fetched: queue its links (see `checker.Crawl`)."""
        assert self._found is not None
        assert target.page is not None
        taken = self._known.get(target.url)
        try:
            if page is None or not result.ok:
                return
            if page.error is not None:
                self.errors.append(page.error)
            final = normalize_url(result.final_url) if result.final_url else target.url
            depth = target.page if taken is None else taken.depth
            if depth == 0 and self.settings.recursive:
                self._origins.add(origin_of(final))
            elif depth > 0 and page.kind == "html" and origin_of(final) not in self._origins:
                return  # it redirected off the site: a link that works, not a page of it
            if final in self._read:
                return
            self._read.add(final)
            where = result.final_url or target.display
            # Its links lead where the page it redirected to leads: both move up together.
            parents = [taken] if taken is not None else []
            landed = self._known.get(final)
            if landed is not None and landed is not taken:
                parents.append(landed)
            # A sitemap index lists sitemaps, read at its own depth; any other page's
            # links are one deeper. The depth is asked again for each link: a shorter way
            # to this page may be found while it is read.
            index = page.kind == "sitemapindex"
            share = Slice()  # a sitemap's 50,000 links are 250 ms of Python: not in one go
            for link in page.links:
                depth = target.page if taken is None else taken.depth
                depth = depth if index else depth + 1
                item = await self._link(link, where, depth, index, parents)
                if item is not None:
                    self._links.append(item)
                if share.over():
                    self._found.set()  # what is taken so far goes out meanwhile
                    await share.next()
        finally:
            self._reads += 1
            if taken is not None and not taken.done:
                taken.done = True
                self._unread -= 1
                if taken.depth < self.settings.max_depth:
                    self._shallow -= 1
                    if not self._shallow:
                        self._settle()
            self._found.set()

    def _settle(self) -> None:
        """Every page above ``--max-depth`` is read: no depth falls any more, and the pages
        at it go out."""
        for waiting in self._held.values():
            self._pages.extend(waiting)
        self._held.clear()
        for taken in self._known.values():
            taken.links = None

    def _lower(self, taken: _Taken, depth: int) -> None:
        """A shorter way to `taken`, at `depth`: it moves up, and so do the pages it leads
        to; one that rises above ``--max-depth`` is read now, not after the pages above."""
        max_depth = self.settings.max_depth
        rising = [(taken, depth)]
        while rising:
            taken, depth = rising.pop()
            if depth >= taken.depth:
                continue
            if not taken.done and depth < max_depth <= taken.depth:
                self._shallow += 1
                self._pages.extend(self._held.pop(taken.url, ()))
            taken.depth = depth
            if taken.links:
                rising.extend((child, depth + 1) for child in taken.links)

    async def _link(
        self, link: PageLink, where: str, depth: int, sitemap: bool, parents: list[_Taken]
    ) -> Target | CheckResult | None:
        """What a link found at `where` (on the pages `parents`) becomes: a target, a
        skipped row, or None (left out by ``--exclude``, or a page newly taken: it waits in
        `_pages` or `_held`)."""
        keep = self.settings.keep
        if keep is not None and not keep(link.written):
            return None
        shown = mask_link(link.written)
        if link.url is None:
            if link.scheme:
                return self._row(
                    where, link, shown, skipped=f"{link.scheme}: links are not checked"
                )
            return self._row(where, link, shown, problem=f"{link.written!r} is no URL")
        normalized = link.normalized or normalize_url(link.url)
        known = self._known.get(normalized)
        walked = False
        # A page taken below the start passed robots.txt then: it is not asked again.
        if known is None or known.depth == 0:
            origin = origin_of(normalized)
            walked = self.settings.recursive and origin in self._origins
            if walked:
                robots = self._robots
                assert robots is not None, "attach() comes first"
                allowed = robots.known(origin, normalized)  # no coroutine once it is read
                if allowed is None:
                    allowed = await robots.allows(origin, normalized)
                if not allowed:
                    return self._row(where, link, shown, skipped="disallowed by robots.txt")
            # Another page's reading may have taken it while robots.txt was fetched.
            known = self._known.get(normalized)
        settings = self.settings
        # A page taken already: the same request answers this link. A new one is taken.
        take = (
            known is None
            and (sitemap or (walked and depth <= settings.max_depth and _may_be_page(normalized)))
            and self.pages < settings.max_pages
        )
        if known is not None and depth < known.depth:
            self._lower(known, depth)
        target = Target(
            url=normalized,
            display=shown,
            source=where,
            line=link.line,
            column=link.column,
            fragment=link.fragment if settings.fragments and link.fragment else None,
            page=known.depth if known is not None else depth if take else None,
        )
        if take:
            known = self._take(normalized, depth)
        if known is not None and self._shallow:
            for parent in parents:  # a shorter way to a parent is one to this page too
                if parent is not known:
                    if parent.links is None:
                        parent.links = [known]
                    elif parent.links[-1] is not known:
                        parent.links.append(known)
        if not take:
            return target
        if depth >= settings.max_depth and self._shallow:
            self._held[normalized] = [target]  # its depth may still fall
        else:
            self._pages.append(target)
        return None

    def _row(
        self,
        where: str,
        link: PageLink,
        shown: str,
        *,
        skipped: str | None = None,
        problem: str | None = None,
    ) -> CheckResult:
        return CheckResult(
            url=shown,
            line=link.line,
            ok=problem is None,
            reason=skipped,
            error_kind=None if problem is None else ErrorKind.INVALID_URL,
            error=problem,
            file=where,
            id=line_id(where, link.written),
            column=link.column,
            skipped=skipped is not None,
        )


def _may_be_page(url: str) -> bool:
    """Whether normalized `url`'s path could be a page (not a file type that never is)."""
    rest = url.partition("://")[2]
    slash = rest.find("/")
    path = rest[slash:].partition("?")[0] if slash >= 0 else ""
    return posixpath.splitext(path)[1].lower() not in NOT_PAGES
