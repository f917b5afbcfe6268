"""A deterministic website for crawl tests and benchmarks, and the facts a test asserts.

    site = build_site(200, seed=1, origin2=other.url(""))   # other: a second site_app
    with serve_app(site_app(site)) as served:
        ...                                   # crawl served.url("/") to --max-depth 2
        counts = request_counts(served)
        assert counts[ROBOTS] == 1
        assert {path for path in counts if path in site.pages} == site.within(2)
        assert set(counts.values()) == {1} and not site.private & counts.keys()
        broken = {(x.page, x.line, x.column) for x in site.broken() if x.page in site.within(1)}

What the site holds (`build_site` draws it from `seed`, nothing else):

- ``/`` and `pages` HTML pages ``/p/00000.html`` … in three roles. *Main* pages hang in a
  tree of fan-out `TREE_FANOUT` under ``/`` (each links to its children, its parent, often its
  grandparent and always ``/``: cycles), and link to random other main pages, 5 to 15 page links
  in all. A *chain* of `CHAIN_LENGTH` pages hangs off ``/``, each page linked only from the
  one before it (and its back links), so depths run to `CHAIN_LENGTH` and ``--max-depth``
  matters. *Orphans* are linked from nowhere: only the sitemaps list them.
- Links written relative (``00042.html``, ``../img/logo.png``), root-relative and absolute
  (``http://host:port/p/00042.html``); ``<base href>`` on a few pages (their relative links are
  written against it, so a crawler that ignores it requests ``/p/p/…``, a 404).
- ``<link rel=stylesheet>`` on every page, ``<img src>`` to `IMAGES` (some of them 404),
  ``#sec-N`` fragments (to other pages and the page itself; ids ``sec-1`` … present or not),
  ``mailto:`` links, links to `origin2` (when given) at `EXTERNAL_PATHS`.
- `GONE` (404) linked from several pages; `MOVED`, a 301 to the tree's root page.
- `PRIVATE_PAGES` pages under ``/private/``, which ``robots.txt`` disallows, linked from
  public pages: a polite crawler never requests them.
- ``robots.txt`` naming `SITEMAP_INDEX`, which points at the gzipped `SITEMAP_PAGES` and the
  plain `SITEMAP_OTHER`; between them they list every public page.

Absolute same-origin URLs are written as `ORIGIN` and filled in when served (from the
request's Host), so one `Site` serves on any port. Positions stay true whatever the origin:
an `ORIGIN` only ever stands inside a value that is the last one on its line.

Facts name same-origin URLs by path (``/p/00042.html#sec-2``); `Served.url` makes them
absolute. Facts about `origin2` assume it serves a `site_app` too (any `build_site`).
"""

from __future__ import annotations

import collections
import enum
import random
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from aiohttp import web

from .servers import SERVED, Served
from .site_pages import (
    DISALLOWED,
    GONE,
    HOME,
    HTML,
    IMAGES,
    MOVED,
    ORIGIN,
    ROBOTS,
    SITEMAP_INDEX,
    SITEMAP_OTHER,
    SITEMAP_PAGES,
    STYLESHEET,
    Item,
    Plan,
    Resource,
    fixed_resources,
    render_page,
)

MIN_PAGES = 20
CHAIN_LENGTH = 8
TREE_FANOUT = 4
LINKS_PER_PAGE = (5, 15)
"""How many ordinary links to other pages each page has (private pages not counted)."""
SECTIONS_PER_PAGE = (1, 4)
PRIVATE_PAGES = 3
EXTERNAL_PATHS = {HOME: 200, "/p/00000.html": 200, STYLESHEET: 200, GONE: 404}
"""What links to `origin2` point at, and the status any `site_app` gives each."""
MAILTO = ("mailto:webmaster@example.org", "mailto:help@example.org?subject=Broken%20link")
FRAGMENT_CHANCE = 0.12
SELF_FRAGMENT_CHANCE = 0.3
ABSOLUTE_SHARE = 0.2
RELATIVE_SHARE = 0.4


class Kind(enum.StrEnum):
    """What a link points at."""

    PAGE = "page"
    ASSET = "asset"
    GONE = "gone"
    REDIRECT = "redirect"
    PRIVATE = "private"
    EXTERNAL = "external"
    MAILTO = "mailto"


@dataclass(frozen=True, slots=True)
class SiteLink:
    """One link on a page: as written, where its value starts (1-based, characters), and
    what a checker must find there."""

    page: str
    element: str
    attribute: str
    href: str
    """The value as written; an absolute same-origin one starts with `ORIGIN`."""
    line: int
    column: int
    target: str
    """Resolved (``<base href>`` honoured): a path with its fragment on this origin, else the
    absolute URL (`origin2`, ``mailto:``)."""
    kind: Kind
    status: int | None
    """The final status a checker gets (after the redirect); None for ``mailto:``."""
    fragment_found: bool | None = None
    """Whether the target page has the ``#fragment``'s id; None without a fragment."""

    @property
    def broken(self) -> bool:
        """A 404, or a fragment the page does not have."""
        return self.status == 404 or self.fragment_found is False

    @property
    def path(self) -> str | None:
        """The same-origin path without the fragment; None for other origins and mailto."""
        return self.target.partition("#")[0] if self.target.startswith("/") else None

    def written(self, origin: str) -> str:
        """The value as served from `origin` (``http://host:port``)."""
        return self.href.replace(ORIGIN, origin)

    def url(self, origin: str) -> str:
        """The absolute target as served from `origin`."""
        return origin + self.target if self.target.startswith("/") else self.target


@dataclass(frozen=True)
class Page:
    """One HTML page: its links in document order and its ids."""

    path: str
    base: str | None
    anchors: frozenset[str]
    links: tuple[SiteLink, ...]


@dataclass(frozen=True)
class Site:
    """The generated site: what each path serves, and every fact about it."""

    seed: int
    origin2: str | None
    resources: dict[str, Resource]
    pages: dict[str, Page]
    """Every HTML page served with 200: ``/``, ``/p/…`` and ``/private/…``."""
    depths: dict[str, int]
    """BFS depth from ``/`` of every same-origin path a polite crawler requests by following
    links (pages, assets, `GONE`, `MOVED`); nothing under `DISALLOWED`, no orphan."""
    chain: tuple[str, ...]
    orphans: frozenset[str]
    private: frozenset[str]
    base_pages: frozenset[str]
    redirects: dict[str, str]
    sitemaps: dict[str, tuple[str, ...]]
    """Each sitemap's entries by path: the index lists sitemaps, the others pages."""
    disallowed_prefixes: tuple[str, ...] = (DISALLOWED,)

    @property
    def sitemap_urls(self) -> frozenset[str]:
        """The page paths the sitemaps list (the public pages, orphans included)."""
        return frozenset(
            p for name, ps in self.sitemaps.items() if name != SITEMAP_INDEX for p in ps
        )

    def disallowed(self, path: str) -> bool:
        """Whether robots.txt forbids `path`."""
        return path.startswith(self.disallowed_prefixes)

    def within(self, depth: int) -> frozenset[str]:
        """The pages (HTML, 200) a polite crawler reaches from ``/`` in at most `depth` links."""
        return frozenset(p for p, d in self.depths.items() if d <= depth and p in self.pages)

    def links(self) -> list[SiteLink]:
        """Every link on every page, page by page in path order."""
        return [link for path in sorted(self.pages) for link in self.pages[path].links]

    def broken(self) -> list[SiteLink]:
        """The links a checker must report: 404s and missing fragments."""
        return [link for link in self.links() if link.broken]

    def status(self, path: str) -> int:
        """What the server answers on `path` (redirects not followed)."""
        found = self.resources.get(path.partition("#")[0])
        return 404 if found is None else found.status

    def counts(self) -> dict[str, int]:
        """How many of each thing the site has: for reports."""
        links = self.links()
        kinds = collections.Counter(link.kind.value for link in links)
        return {
            "pages": len(self.pages),
            "chain": len(self.chain),
            "orphans": len(self.orphans),
            "private": len(self.private),
            "base_pages": len(self.base_pages),
            "max_depth": max(self.depths.values()),
            "links": len(links),
            "broken_links": sum(link.broken for link in links),
            "missing_fragments": sum(link.fragment_found is False for link in links),
            "unique_targets": len({link.target.partition("#")[0] for link in links}),
            **{f"links_{kind}": n for kind, n in sorted(kinds.items())},
        }


def page_path(n: int) -> str:
    """The path of page number `n`."""
    return f"/p/{n:05d}.html"


def build_site(pages: int, *, seed: int = 1, origin2: str | None = None) -> Site:
    """`pages` pages under ``/p/`` (and ``/``, the private pages …), drawn from `seed`; links
    to `origin2` (a second server's base URL) only when it is given, the rest unchanged."""
    if pages < MIN_PAGES:
        raise ValueError(f"a site needs at least {MIN_PAGES} pages, not {pages}")
    rng = random.Random(seed)
    numbers = list(range(pages))
    rng.shuffle(numbers)
    chain = [page_path(n) for n in numbers[:CHAIN_LENGTH]]
    n_orphans = max(2, pages // 50)
    orphans = [page_path(n) for n in numbers[CHAIN_LENGTH : CHAIN_LENGTH + n_orphans]]
    main = [page_path(n) for n in numbers[CHAIN_LENGTH + n_orphans :]]
    private = [f"{DISALLOWED}{n:05d}.html" for n in range(PRIVATE_PAGES)]
    public = [HOME, *main, *chain, *orphans]
    sections = {path: rng.randint(*SECTIONS_PER_PAGE) for path in [*public, *private]}
    plans = {path: Plan(path) for path in [*public, *private]}

    def fill(plan: Plan, required: list[str]) -> None:
        # The nav's links to / and up count too (on / itself its link to / does not).
        wanted = rng.randint(*LINKS_PER_PAGE) - (plan.up is not None) - (plan.path != HOME)
        others = [p for p in rng.sample(main, min(len(main), wanted + 8)) if p != plan.path]
        others = [p for p in others if p not in required and p != plan.up]
        for target in required + others[: max(0, wanted - len(required))]:
            fragment = None
            if target.startswith("/p/") and rng.random() < FRAGMENT_CHANCE:
                fragment = f"sec-{rng.randint(1, 5)}"
            plan.pages.append((target, fragment))

    fill(plans[HOME], [main[0], chain[0], *main[1:3]])
    for k, path in enumerate(main):
        parent = HOME if k == 0 else main[(k - 1) // TREE_FANOUT]
        children = main[TREE_FANOUT * k + 1 : TREE_FANOUT * k + 1 + TREE_FANOUT]
        up = (k - 1) // TREE_FANOUT
        back = [main[(up - 1) // TREE_FANOUT]] if k > TREE_FANOUT and rng.random() < 0.5 else []
        plans[path].up = parent
        fill(plans[path], [*children, *back])
    for i, path in enumerate(chain):
        plans[path].up = chain[i - 1] if i else HOME
        fill(plans[path], [*chain[i + 1 : i + 2], *chain[max(0, i - 3) : max(0, i - 1)]])
    for path in [*orphans, *private]:
        plans[path].up = HOME
        fill(plans[path], [])

    # Everything below draws the same numbers whether origin2 is given or not.
    hosts = [*main, *chain, *orphans]
    for path in rng.sample(main, max(3, pages // 100)):
        plans[path].specials.append(GONE)
    plans[HOME].specials.append(GONE)
    for path in rng.sample(main[1:], max(2, pages // 200)):
        plans[path].specials.append(MOVED)
    for path in [HOME, *rng.sample(main, max(3, pages // 100))]:
        plans[path].specials.append(rng.choice(private))
    for path in [HOME, *rng.sample(hosts, max(3, pages // 50))]:
        external = rng.choice(sorted(EXTERNAL_PATHS))
        if origin2 is not None:
            plans[path].specials.append(origin2.rstrip("/") + external)
    for path in [HOME, *rng.sample(hosts, max(2, pages // 20))]:
        plans[path].specials.append(rng.choice(MAILTO))
    for plan in plans.values():
        plan.images = rng.sample(sorted(IMAGES), rng.choice((0, 0, 1, 1, 2)))
    base_pages = rng.sample(hosts, max(2, pages // 40))
    for i, path in enumerate(base_pages):
        plans[path].base = "/" if i % 2 else ORIGIN + "/"
    for plan in plans.values():
        if plan.base is None and rng.random() < SELF_FRAGMENT_CHANCE:
            plan.self_fragment = f"sec-{rng.randint(1, sections[plan.path] + 1)}"
        plan.sections = sections[plan.path]
        plan.seed = rng.getrandbits(32)

    redirects = {MOVED: main[0]}
    resources: dict[str, Resource] = {}
    built: dict[str, Page] = {}
    for path, plan in plans.items():
        text, items = render_page(plan, _title(path), RELATIVE_SHARE, ABSOLUTE_SHARE)
        anchors = frozenset(f"sec-{s}" for s in range(1, plan.sections + 1))
        links = tuple(_fact(item, plan, sections, redirects) for item in items)
        built[path] = Page(path, plan.base, anchors, links)
        resources[path] = Resource(200, HTML, text)
    sitemaps = _sitemap_entries(public, orphans)
    resources.update(fixed_resources(sitemaps, moved_to=main[0]))
    return Site(
        seed=seed,
        origin2=origin2,
        resources=resources,
        pages=built,
        depths=_bfs(built, redirects),
        chain=tuple(chain),
        orphans=frozenset(orphans),
        private=frozenset(private),
        base_pages=frozenset(base_pages),
        redirects=redirects,
        sitemaps=sitemaps,
    )


def _fact(
    item: Item,
    plan: Plan,
    sections: dict[str, int],
    redirects: dict[str, str],
) -> SiteLink:
    target = item.target
    path, _, fragment = target.partition("#")
    found: bool | None = None
    status: int | None = 200
    if target.startswith("mailto:"):
        kind, status = Kind.MAILTO, None
    elif not target.startswith("/"):
        kind = Kind.EXTERNAL
        status = EXTERNAL_PATHS[urllib.parse.urlsplit(target).path or HOME]
    elif path.startswith(DISALLOWED):
        kind = Kind.PRIVATE
    elif path == GONE:
        kind, status = Kind.GONE, 404
    elif path in redirects:
        kind = Kind.REDIRECT
    elif path in IMAGES or path == STYLESHEET:
        kind, status = Kind.ASSET, IMAGES.get(path, 200)
    else:
        assert path in sections, target
        kind = Kind.PAGE
    if "#" in target:
        found = fragment in {f"sec-{s}" for s in range(1, sections[path] + 1)}
    return SiteLink(
        page=plan.path,
        element=item.element,
        attribute=item.attribute,
        href=item.href,
        line=item.line,
        column=item.column,
        target=target,
        kind=kind,
        status=status,
        fragment_found=found,
    )


def _title(path: str) -> str:
    if path == HOME:
        return "Home"
    number = int(path.rpartition("/")[2].removesuffix(".html"))
    return f"Private {number}" if path.startswith(DISALLOWED) else f"Page {number}"


def _sitemap_entries(public: list[str], orphans: list[str]) -> dict[str, tuple[str, ...]]:
    # Half the orphans in each sitemap: a crawler must read both to find them all.
    plain = set(orphans[len(orphans) // 2 :])
    return {
        SITEMAP_INDEX: (SITEMAP_PAGES, SITEMAP_OTHER),
        SITEMAP_PAGES: tuple(sorted(set(public) - plain)),
        SITEMAP_OTHER: tuple(sorted(plain)),
    }


def _bfs(pages: dict[str, Page], redirects: dict[str, str]) -> dict[str, int]:
    depths = {HOME: 0}
    frontier = [HOME]
    depth = 0
    while frontier:
        depth += 1
        found = []
        for page in frontier:
            for link in pages[page].links:
                path = link.path
                if path is None or path in depths or path.startswith(DISALLOWED):
                    continue
                depths[path] = depth
                if path in redirects:
                    # By construction the redirect's target is nearer (depth 1): whether a
                    # crawler counts the redirect as a step or not, the depths are the same.
                    assert depths.get(redirects[path], depth) < depth
                elif path in pages:
                    found.append(path)
        frontier = found
    return depths


def request_counts(served: Served) -> collections.Counter[str]:
    """Requests per path (query and method ignored) a `site_app` saw so far."""
    counts = served.state.setdefault("requests", collections.Counter())
    return cast("collections.Counter[str]", counts)


NOT_FOUND = Resource(404, "text/plain", b"not found\n")


def site_app(
    site: Site, *, origin: str | None = None, stats_path: str | None = None
) -> web.Application:
    """The aiohttp app serving `site`; every request logged in its `Served` (when run by
    `serve_app`) and counted by path (`request_counts`). With `origin` every body is rendered
    up front (for benchmarks); else on first use for the origin the request names. With
    `stats_path`, that path answers the counts so far as JSON (itself neither logged nor
    counted, and in no fact: for a benchmark's harness, not for a crawler)."""
    rendered: dict[tuple[str, str], bytes] = {}
    if origin is not None:
        rendered = {(origin, path): r.render(origin) for path, r in site.resources.items()}

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        served = request.app.get(SERVED)
        if served is not None and request.path != stats_path:
            served.log.append((request.method, request.path_qs, dict(request.headers)))
            request_counts(served)[request.path] += 1
        return await handler(request)

    async def serve(request: web.Request) -> web.StreamResponse:
        resource = site.resources.get(request.path, NOT_FOUND)
        if resource.location is not None:
            raise web.HTTPMovedPermanently(resource.location)
        here = origin or f"{request.scheme}://{request.host}"
        body = rendered.get((here, request.path))
        if body is None:
            body = resource.render(here)
            if resource is not NOT_FOUND:
                rendered[here, request.path] = body
        textual = resource.content_type.startswith(("text/", "application/xml"))
        return web.Response(
            status=resource.status,
            body=body,
            content_type=resource.content_type,
            charset="utf-8" if textual else None,
        )

    async def stats(request: web.Request) -> web.Response:
        served = request.app.get(SERVED)
        counts = request_counts(served) if served is not None else {}
        return web.json_response({"requests": sum(counts.values()), "paths": counts})

    app = web.Application(middlewares=[record])
    if stats_path is not None:
        app.router.add_get(stats_path, stats, allow_head=False)
    app.router.add_route("*", "/{tail:.*}", serve)
    return app


__all__ = [
    "DISALLOWED",
    "GONE",
    "HOME",
    "IMAGES",
    "MOVED",
    "ORIGIN",
    "ROBOTS",
    "SITEMAP_INDEX",
    "SITEMAP_OTHER",
    "SITEMAP_PAGES",
    "STYLESHEET",
    "Kind",
    "Page",
    "Resource",
    "Site",
    "SiteLink",
    "build_site",
    "page_path",
    "request_counts",
    "site_app",
]
