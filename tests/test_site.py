"""The crawl-test site (tests/site.py) keeps its own promises: the same seed gives the same
site, the graph has what the crawl tests rely on, positions are where the values start, and
what the server serves agrees with every fact, seen by a small polite crawler of our own."""

from __future__ import annotations

import collections
import gzip
import http.client
import urllib.parse
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from urlcheck.extract import html_document

from .servers import Served, serve_app
from .site import (
    CHAIN_LENGTH,
    DISALLOWED,
    GONE,
    HOME,
    LINKS_PER_PAGE,
    MIN_PAGES,
    MOVED,
    ORIGIN,
    ROBOTS,
    SITEMAP_INDEX,
    SITEMAP_OTHER,
    SITEMAP_PAGES,
    Kind,
    Site,
    build_site,
    page_path,
    request_counts,
    site_app,
)

PAGES = 120
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def two_sites() -> Iterator[tuple[Site, Served, Served]]:
    """A site with links to a second one, both served: (site, its server, the second's)."""
    with serve_app(site_app(build_site(MIN_PAGES, seed=2))) as other:
        site = build_site(PAGES, origin2=other.url(""))
        with serve_app(site_app(site)) as served:
            yield site, served, other


def test_the_same_seed_gives_the_same_site() -> None:
    first, again = build_site(PAGES, seed=7), build_site(PAGES, seed=7)
    assert first == again
    assert [r.render("http://h:1") for r in first.resources.values()] == [
        r.render("http://h:1") for r in again.resources.values()
    ]
    assert build_site(PAGES, seed=8).resources != first.resources
    # A second origin adds its links and changes nothing else.
    other = build_site(PAGES, seed=7, origin2="http://127.0.0.1:9")
    assert other.depths == first.depths
    assert other.sitemaps == first.sitemaps
    kinds = collections.Counter(link.kind for link in other.links())
    assert kinds - collections.Counter(link.kind for link in first.links()) == {
        Kind.EXTERNAL: kinds[Kind.EXTERNAL]
    }


def test_a_site_too_small_for_its_parts_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        build_site(MIN_PAGES - 1)


def test_the_graph_has_what_crawl_tests_rely_on() -> None:
    site = build_site(PAGES, origin2="http://127.0.0.1:9")
    public = {HOME, *(page_path(n) for n in range(PAGES))}
    assert set(site.pages) == public | site.private
    for path in public:
        others = {link.path for link in site.pages[path].links if link.kind is Kind.PAGE}
        assert LINKS_PER_PAGE[0] <= len(others - {path}) <= LINKS_PER_PAGE[1], path
    # Cycles: every page reached links back to / and to a page nearer to it.
    for path in site.within(99) - {HOME}:
        targets = {link.path for link in site.pages[path].links}
        assert HOME in targets
        assert min(site.depths.get(t or "", 99) for t in targets) < site.depths[path]
    # The chain: one page deeper each, only the first within depth 3 of its own.
    assert [site.depths[p] for p in site.chain] == list(range(1, CHAIN_LENGTH + 1))
    assert not set(site.chain[3:]) & site.within(3)
    assert site.within(CHAIN_LENGTH) == public - site.orphans
    # Orphans only in the sitemaps, which list every public page and nothing private.
    assert site.orphans
    assert not site.orphans & site.depths.keys()
    assert site.sitemap_urls == public
    assert site.orphans & set(site.sitemaps[SITEMAP_PAGES])
    assert site.orphans & set(site.sitemaps[SITEMAP_OTHER])
    # Private pages are linked from public pages, disallowed, never reached.
    private_links = [link for link in site.links() if link.kind is Kind.PRIVATE]
    assert {link.page for link in private_links} <= public
    assert all(site.disallowed(p) for p in site.private)
    assert not any(p.startswith(DISALLOWED) for p in site.depths)
    # The 404 page from several pages; the redirect to a page at depth 1.
    assert len({link.page for link in site.links() if link.kind is Kind.GONE}) >= 3
    assert site.status(GONE) == 404
    assert site.status(MOVED) == 301
    assert site.depths[site.redirects[MOVED]] == 1
    # Every kind of link and every way of writing one.
    kinds = collections.Counter(link.kind for link in site.links())
    assert set(kinds) == set(Kind)
    hrefs = [link.href for link in site.links() if link.path]
    assert any(h.startswith(ORIGIN) for h in hrefs)
    assert any(h.startswith("/") for h in hrefs)
    assert any(h.startswith("../") for h in hrefs)
    assert any(h[0].isalnum() for h in hrefs)
    assert any(h.startswith("#") for h in hrefs)
    fragments = [link.fragment_found for link in site.links() if link.fragment_found is not None]
    assert True in fragments
    assert False in fragments
    assert {link.status for link in site.links() if link.kind is Kind.ASSET} == {200, 404}


def test_base_href_pages_mislead_a_crawler_that_ignores_it() -> None:
    site = build_site(PAGES)
    assert site.base_pages
    origin = "http://h:1"
    misled = 0
    for path in site.base_pages:
        page = site.pages[path]
        assert page.base is not None
        base = urllib.parse.urljoin(origin + path, page.base.replace(ORIGIN, origin))
        for link in page.links:
            assert urllib.parse.urljoin(base, link.written(origin)) == link.url(origin)
            misled += urllib.parse.urljoin(origin + path, link.written(origin)) != link.url(origin)
    assert misled


@pytest.mark.parametrize("origin", ["http://a:1", "http://127.0.0.1:54321"])
def test_positions_are_where_the_values_start(origin: str) -> None:
    site = build_site(PAGES, origin2="http://127.0.0.1:9")
    for path, page in site.pages.items():
        text = site.resources[path].render(origin).decode()
        lines = text.splitlines()
        for link in page.links:
            value = link.written(origin)
            before, at = lines[link.line - 1][: link.column - 1], lines[link.line - 1]
            assert before.endswith(f'{link.attribute}="'), (link, at)
            assert at[link.column - 1 :].startswith(value + '"'), (link, at)
        links, base, anchors = html_document(text)
        assert [(x.url, x.line, x.column, x.element, x.attribute) for x in links] == [
            (x.written(origin), x.line, x.column, x.element, x.attribute) for x in page.links
        ]
        assert base == (None if page.base is None else page.base.replace(ORIGIN, origin))
        assert anchors == page.anchors


class Client:
    """One kept-alive connection per origin: GET a URL, get status, headers, body."""

    def __init__(self) -> None:
        self.connections: dict[str, http.client.HTTPConnection] = {}

    def get(self, url: str, method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
        """The response to `url` (redirects not followed)."""
        parts = urllib.parse.urlsplit(url)
        if parts.netloc not in self.connections:
            self.connections[parts.netloc] = http.client.HTTPConnection(parts.netloc, timeout=10)
        connection = self.connections[parts.netloc]
        connection.request(method, parts.path or "/")
        response = connection.getresponse()
        return response.status, response.headers, response.read()

    def close(self) -> None:
        """Close every connection."""
        for connection in self.connections.values():
            connection.close()


class Crawl:
    """What `crawl` saw."""

    def __init__(self) -> None:
        self.depths: dict[str, int] = {}
        self.statuses: dict[str, int] = {}
        self.redirects: dict[str, str] = {}
        self.anchors: dict[str, frozenset[str]] = {}
        self.links: dict[str, list[tuple[str, int, int, str]]] = collections.defaultdict(list)


def crawl(client: Client, start: str, robots: urllib.robotparser.RobotFileParser) -> Crawl:
    """A polite breadth-first crawl of the origin of `start`: every URL requested once."""
    origin = start.rstrip("/")
    result = Crawl()
    result.depths[HOME] = 0
    frontier = [HOME]
    depth = 0
    while frontier:
        depth += 1
        found = []
        for path in frontier:
            status, headers, body = client.get(origin + path)
            result.statuses[path] = status
            if status == 301:
                result.redirects[path] = headers["Location"]
            if status != 200 or headers.get_content_type() != "text/html":
                continue
            links, base, anchors = html_document(body.decode())
            result.anchors[path] = anchors
            page_url = origin + path
            base_url = urllib.parse.urljoin(page_url, base) if base else page_url
            for link in links:
                url = urllib.parse.urljoin(base_url, link.url)
                result.links[path].append((link.url, link.line, link.column, url))
                if not url.startswith(origin + "/"):
                    continue
                target = urllib.parse.urlsplit(url).path
                if target not in result.depths and robots.can_fetch("*", url):
                    result.depths[target] = depth
                    found.append(target)
        frontier = found
    return result


def test_what_is_served_agrees_with_the_facts(two_sites: tuple[Site, Served, Served]) -> None:
    site, served, other = two_sites
    origin = served.url("")
    client = Client()
    try:
        status, _, body = client.get(served.url(ROBOTS))
        assert status == 200
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(body.decode().splitlines())
        assert robots.site_maps() == [served.url(SITEMAP_INDEX)]
        seen = crawl(client, served.url("/"), robots)
        assert seen.depths == site.depths
        assert {path: site.status(path) for path in seen.depths} == seen.statuses
        assert seen.redirects == site.redirects
        for path, page in site.pages.items():
            if path in seen.links:
                expected = [
                    (x.written(origin), x.line, x.column, x.url(origin)) for x in page.links
                ]
                assert seen.links[path] == expected
                assert seen.anchors[path] == page.anchors
        for link in site.links():
            if link.kind is Kind.EXTERNAL:
                assert client.get(link.target)[0] == link.status
            elif link.path in seen.anchors and link.fragment_found is not None:
                fragment = link.target.partition("#")[2]
                assert (fragment in seen.anchors[link.path]) is link.fragment_found
            elif link.path in seen.statuses:
                final = site.redirects.get(link.path, link.path)
                assert seen.statuses[final] == link.status
        # The counter: every URL once, robots.txt once, nothing under /private/.
        counts = request_counts(served)
        assert counts == collections.Counter({ROBOTS: 1, **dict.fromkeys(site.depths, 1)})
        assert served.requests_to(ROBOTS) == ["GET"]
        assert request_counts(other).keys() <= {"/", "/p/00000.html", "/static/site.css", GONE}
        assert not site.private & counts.keys()
        # Private pages are there all the same, for a crawler that does not ask robots.txt.
        assert all(client.get(served.url(path))[0] == 200 for path in site.private)
        assert client.get(served.url("/p/p/00001.html"))[0] == 404
    finally:
        client.close()


def test_the_sitemaps_list_what_the_site_says(two_sites: tuple[Site, Served, Served]) -> None:
    site, served, _ = two_sites
    client = Client()
    try:
        listed: dict[str, tuple[str, ...]] = {}
        status, headers, body = client.get(served.url(SITEMAP_INDEX))
        assert (status, headers.get_content_type()) == (200, "application/xml")
        root = ET.fromstring(body)
        assert root.tag == f"{SITEMAP_NS}sitemapindex"
        locations = [loc.text or "" for loc in root.iter(f"{SITEMAP_NS}loc")]
        assert locations == [served.url(SITEMAP_PAGES), served.url(SITEMAP_OTHER)]
        listed[SITEMAP_INDEX] = tuple(urllib.parse.urlsplit(u).path for u in locations)
        for url in locations:
            status, headers, body = client.get(url)
            assert status == 200
            if url.endswith(".gz"):
                assert headers.get_content_type() in {"application/gzip", "application/x-gzip"}
                assert "Content-Encoding" not in headers  # a gzip file, not a gzipped response
                body = gzip.decompress(body)
            else:
                assert headers.get_content_type() == "application/xml"
            root = ET.fromstring(body)
            assert root.tag == f"{SITEMAP_NS}urlset"
            urls = [loc.text or "" for loc in root.iter(f"{SITEMAP_NS}loc")]
            assert all(u.startswith(served.url("/")) for u in urls)
            listed[urllib.parse.urlsplit(url).path] = tuple(
                urllib.parse.urlsplit(u).path for u in urls
            )
        assert listed == site.sitemaps
        for path in site.orphans:
            status, headers, _ = client.get(served.url(path))
            assert (status, headers.get_content_type()) == (200, "text/html")
        status, headers, body = client.get(served.url(page_path(0)), method="HEAD")
        assert (status, body) == (200, b"")
        assert int(headers["Content-Length"]) == len(
            site.resources[page_path(0)].render(served.url(""))
        )
    finally:
        client.close()
