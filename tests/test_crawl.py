"""Pages and sites through the real command: ``urlcheck URL`` reads a page or a sitemap,
``--recursive`` walks its site. Against the generated site of tests/site.py served on
127.0.0.1 (a second one as the other origin), whose facts say what must be found.
"""

from __future__ import annotations

import asyncio
import collections
import gzip
import json
import subprocess
import sys
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from .faults import run_urlcheck
from .servers import SERVED, Served, serve_app
from .site import GONE, ROBOTS, SITEMAP_INDEX, Kind, Site, build_site, request_counts, site_app

pytest.importorskip("protego", reason="the site extra is not installed")
pytest.importorskip("defusedxml", reason="the site extra is not installed")

BASE = ("--retries", "0", "--timeout", "5", "--format", "jsonl")


@pytest.fixture(scope="module")
def other() -> Iterator[Served]:
    with serve_app(site_app(build_site(20, seed=2))) as served:
        yield served


@pytest.fixture(scope="module")
def site(other: Served) -> Site:
    return build_site(200, seed=1, origin2=other.url(""))


@pytest.fixture
def served(site: Site) -> Iterator[Served]:
    with serve_app(site_app(site)) as running:
        yield running


def crawl(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    proc = run_urlcheck(*BASE, *args, timeout=120)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


def gets(served: Served) -> collections.Counter[str]:
    return collections.Counter(path for method, path, _ in served.log if method == "GET")


@pytest.fixture
def jittery(site: Site) -> Iterator[Served]:
    """The site again, each path answering after its own 0-40 ms: pages are read in an
    order unlike their depths', deeper ones often first."""

    @web.middleware
    async def late(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        await asyncio.sleep(zlib.crc32(request.path.encode()) % 41 / 1000)
        return await handler(request)

    app = site_app(site)
    app.middlewares.insert(0, late)
    with serve_app(app) as running:
        yield running


@pytest.mark.parametrize("depth", [2, 3])
def test_pages_read_out_of_order_are_those_within_depth_each_once(
    site: Site, jittery: Served, depth: int
) -> None:
    code, rows, stderr = crawl("--recursive", "--max-depth", str(depth), jittery.url("/"))
    assert code == 1, stderr
    read = site.within(depth)
    gets = collections.Counter(
        path for method, path, _ in jittery.log if method == "GET" and path in site.pages
    )
    assert set(gets) == read, "every page within depth, and none deeper"
    for path, count in gets.items():
        assert count <= (2 if path in site.redirects.values() else 1), path
    links = [link for path in sorted(read) for link in site.pages[path].links]
    assert len(rows) == len(links) + 1, "a row for every link of every page read, and /"


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_a_crawl_reads_each_page_within_depth_once_and_checks_their_links(
    site: Site, served: Served, other: Served, depth: int
) -> None:
    other.log.clear()
    code, rows, stderr = crawl("--recursive", "--max-depth", str(depth), served.url("/"))
    assert code == 1, stderr
    read = site.within(depth)
    fetched = gets(served)
    assert {path for path in fetched if path in site.pages} >= read
    counts = request_counts(served)
    assert counts[ROBOTS] == 1, "read once, and asked of every link on the site"
    for path in read:
        # A page is fetched once; a redirect's target may be fetched once more, to know
        # where the redirect ends.
        assert counts[path] <= (2 if path in site.redirects.values() else 1), path
    assert not any(path.startswith("/private/") for path in counts), "robots.txt honoured"

    links = [link for path in sorted(read) for link in site.pages[path].links]
    assert len(rows) == len(links) + 1, "a row for every link of every page read, and /"
    origin = served.url("")
    by_place = {(row["file"], row["line"], row["column"]): row for row in rows}
    for link in links:
        row = by_place[(origin + link.page, link.line, link.column)]
        assert row["url"] == link.written(origin)
        if link.kind is Kind.PRIVATE:
            assert row["skipped"], "disallowed: never requested, a skipped row"
        elif link.kind is Kind.MAILTO:
            assert row["skipped"]
        elif link.status == 404:
            assert row["error_kind"] == "status", link
        else:
            assert row["ok"], (link, row)
    # Links elsewhere are checked, never read: HEAD, and GET only after a HEAD that failed.
    asked = [(method, path) for method, path, _ in other.log]
    assert ("GET", ROBOTS) not in asked
    assert {path for method, path in asked if method == "GET"} <= {GONE}


def test_fragments_are_found_on_the_pages_read(site: Site, served: Served) -> None:
    code, rows, _ = crawl("--recursive", "--max-depth", "1", "--fragments", served.url("/"))
    assert code == 1
    origin = served.url("")
    read = site.within(1)
    wanted = {
        (origin + link.page, link.line, link.column)
        for path in read
        for link in site.pages[path].links
        if link.fragment_found is False and link.kind is Kind.PAGE
    }
    found = {
        (row["file"], row["line"], row["column"]) for row in rows if row["error_kind"] == "fragment"
    }
    assert wanted
    assert found == wanted


def test_max_pages_reads_no_more(site: Site, served: Served) -> None:
    code, rows, _ = crawl("--recursive", "--max-depth", "5", "--max-pages", "10", served.url("/"))
    assert code == 1
    pages_read = {path for path in gets(served) if path in site.pages}
    assert len(pages_read) <= 10
    assert len({row["file"] for row in rows}) <= 11, "links of 10 pages, and the command line"


def test_a_sitemap_index_gives_every_page_it_lists(site: Site, served: Served) -> None:
    code, rows, stderr = crawl(served.url(SITEMAP_INDEX))
    assert code == 0, stderr
    listed = {row["url"] for row in rows if row["file"] != "<command line>"}
    origin = served.url("")
    sitemaps = {origin + name for name in site.sitemaps if name != SITEMAP_INDEX}
    assert listed == {origin + path for path in site.sitemap_urls} | sitemaps
    assert {row["file"] for row in rows} >= {served.url(SITEMAP_INDEX)}
    counts = request_counts(served)
    assert all(counts[name] == 1 for name in site.sitemaps), "each sitemap read once"


def test_without_recursive_a_page_is_read_and_nothing_followed(site: Site, served: Served) -> None:
    code, rows, _ = crawl(served.url("/"))
    assert code in (0, 1)
    assert len(rows) == len(site.pages["/"].links) + 1
    assert [path for path in gets(served) if path in site.pages] == ["/"]
    assert request_counts(served)[ROBOTS] == 0, "no crawl, no robots.txt"


def hostile_app() -> web.Application:
    """Sitemaps no parser should swallow, and a plain one."""
    bomb = gzip.compress(b"<urlset>" + b" " * (200 * 1024 * 1024) + b"</urlset>", 9)
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol2;</loc>'
        b"</url></urlset>"
    )

    async def serve(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, request.path, dict(request.headers)))
        name = request.match_info["name"]
        if name == "bomb.xml.gz":
            return web.Response(body=bomb, content_type="application/gzip")
        if name == "laughs.xml":
            return web.Response(body=laughs, content_type="application/xml")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_route("*", "/{name}", serve)
    return app


def test_hostile_sitemaps_fail_alone_with_one_line(
    tmp_path: Path, site: Site, served: Served
) -> None:
    with serve_app(hostile_app()) as hostile:
        code, rows, stderr = crawl(
            hostile.url("/bomb.xml.gz"), hostile.url("/laughs.xml"), served.url("/")
        )
    lines = stderr.splitlines()
    assert len(lines) == 2, stderr
    assert all(line.startswith("urlcheck: error: ") for line in lines)
    assert "Traceback" not in stderr
    assert code == 1
    assert len([row for row in rows if row["file"] == served.url("/")]) == len(
        site.pages["/"].links
    ), "the good page is read all the same"


BASES = [
    "http://Ex.org:8080/dir/page.html?q=1#f",
    "http://ex.org",
    "http://ex.org/a/b/",
    "https://h/a/b;p?q#f",
    "http://[::1]:8080/x/y",
    "mailto:x",
]
LINKS = [
    "http://a.b/x/../y",
    "/p/1.html",
    "/p/../q.html?x=1#frag",
    "/",
    "https://A.B/c#d",
    "//other/x",
    "rel.html",
    "../up.html#t",
    "?q",
    "#top",
    "/a?",
    "./x",
    "../../../x",
    "a/b?c#d",
    "mailto:x@y",
    "x:y",
    "",
    " x.html ",
    "a b.html",
    ";p",
    "HTTP://x/y",
    "\x0b//evil.example/",
    "\x01/x",
    "https://[::1/",
    "https://exämple.org/",
    "http:foo",
]


@pytest.mark.parametrize("base", BASES)
def test_a_pages_links_are_joined_as_urljoin_joins_them(base: str) -> None:
    """The fast joins of `pages._resolved` give, once normalized, what urljoin gives."""
    import urllib.parse

    from urlcheck.pages import _resolved
    from urlcheck.urls import normalize_url

    for written in LINKS:
        link = _resolved(written, 1, 1, base)
        try:
            joined = urllib.parse.urljoin(base, written.strip("\t\n\f\r "))
        except ValueError:
            assert link.url is None, written
            continue
        if joined.partition(":")[0].lower() not in ("http", "https") or ":" not in joined:
            assert link.url is None, (written, link)
            continue
        without, _, fragment = joined.partition("#")
        assert link.url is not None, written
        assert normalize_url(link.url) == normalize_url(without), written
        assert link.fragment == (fragment if "#" in joined else None), written


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b'<base href="/d/"><h2 id="top">T</h2><a href="x.html#top">x</a>'),
        # A <base> in a <template> is not the page's: it stays out without anchors too.
        ("text/html", b'<template><base href="/o/"></template><a id="top" href="x.html">x</a>'),
        ("text/markdown", b"# Top\n\n[x](x.md#top) and ![i](i.png)\n"),
    ],
)
def test_a_page_read_without_anchors_gives_the_same_links(content_type: str, body: bytes) -> None:
    # A crawl without --fragments reads no page's anchors and keeps none for the run.
    from urlcheck.pages import read_page

    url = "http://127.0.0.1:9/docs/page"
    full = read_page(body, content_type, url, complete=True)
    lean = read_page(body, content_type, url, complete=True, anchors=False)
    assert full.anchors is not None
    assert full.anchors.has("top")
    assert lean.anchors is None
    assert (lean.kind, lean.links) == (full.kind, full.links)
    assert len(lean.links) >= 1


def test_recursive_without_protego_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['protego'] = None\n"  # as if it were not installed
        "from urlcheck.__main__ import run; sys.argv[1:] = ['--recursive', sys.argv[1]]; run()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "http://127.0.0.1:9/"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "urlcheck: error: --recursive reads robots.txt with protego: pip install 'urlcheck[site]'"
    ], proc.stderr


async def test_links_waiting_in_a_crawl_stay_bounded(
    site: Site, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages are handed on only while few links wait: the pages read first would otherwise
    # pile up their links faster than the checks (and the output) take them.
    from urlcheck.checker import check_urls
    from urlcheck.crawl import frontier
    from urlcheck.options import CheckOptions

    options = CheckOptions(concurrency=16, per_host=16, retries=0, timeout=5)

    async def run(links_ahead: int, pages_ahead: int) -> tuple[int, collections.Counter[Any]]:
        monkeypatch.setattr(frontier, "LINKS_AHEAD", links_ahead)
        monkeypatch.setattr(frontier, "PAGES_AHEAD", pages_ahead)
        settings = frontier.CrawlSettings(recursive=True, max_depth=99, max_pages=100_000)
        crawler = frontier.Crawler([served.url("/")], settings)
        waiting, rows = 0, collections.Counter[Any]()
        async for row in check_urls([], options, crawl=crawler):
            waiting = max(waiting, len(crawler._links))
            rows[(row.url, row.file, row.line, row.column, row.ok, row.status, row.skipped)] += 1
        return waiting, rows

    served.log.clear()
    waiting, rows = await run(16, 2)
    counts = request_counts(served)
    most = max(len(page.links) for page in site.pages.values())
    assert waiting <= 16 + 2 * most
    reached = [path for path in site.pages if path in counts]
    assert len(reached) > len(site.pages) // 2
    for path in reached:  # once; a redirect's target may be asked once more (see above)
        assert counts[path] <= (2 if path in site.redirects.values() else 1), path
    unbounded_waiting, unbounded_rows = await run(1_000_000, 1_000_000)
    assert rows == unbounded_rows
    assert unbounded_waiting > waiting


def test_a_link_two_pages_find_while_robots_txt_loads_is_read_once() -> None:
    # Both start pages link /c and are read while robots.txt is still on its way: the
    # second must see that the first took /c, or the crawl waits for a read never made.
    asked = collections.Counter[str]()

    async def robots(request: web.Request) -> web.Response:
        asked[request.path] += 1
        await asyncio.sleep(0.3)
        return web.Response(text="User-agent: *\nDisallow: /private/\n")

    async def page(request: web.Request) -> web.Response:
        asked[request.path] += 1
        return web.Response(text='<a href="/c">c</a>', content_type="text/html")

    app = web.Application()
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/{name}", page)
    with serve_app(app) as served:
        code, rows, stderr = crawl("--recursive", served.url("/a"), served.url("/b"))
    assert (code, stderr) == (0, "")
    assert (asked["/a"], asked["/b"], asked["/c"], asked["/robots.txt"]) == (1, 1, 1, 1)
    assert len(rows) == 2 + 3  # the two pages, and a row for each link: /a's, /b's, /c's


def _graph_app(
    links: dict[str, list[str]], slow: dict[str, float], asked: list[tuple[str, str, float]]
) -> web.Application:
    """Pages named by `links`' keys, each linking the pages listed; a page in `slow` answers
    after that many seconds. Every request goes into `asked` (method, path, when)."""

    async def page(request: web.Request) -> web.Response:
        asked.append((request.method, request.path, time.monotonic()))
        if request.path == ROBOTS:
            await asyncio.sleep(slow.get(ROBOTS, 0.0))
            return web.Response(text="User-agent: *\nDisallow: /private/\n")
        if request.path not in links:
            raise web.HTTPNotFound()
        await asyncio.sleep(slow.get(request.path, 0.0))
        body = "".join(f'<a href="{target}">{target}</a>\n' for target in links[request.path])
        return web.Response(text=body, content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    return app


def test_a_page_found_the_long_way_first_moves_up_with_the_pages_it_leads_to() -> None:
    # / links /a (slow) and /b; the short way to /x is / → /a → /x (depth 2), but
    # / → /b → /c → /x (depth 3) is read first. At --max-depth 4, /x's depth falls to 2
    # once /a is read, and with it /y's (3: read, its links followed) and /z's (4: read,
    # its links checked and not followed), so /w is checked as a link and never read.
    links = {
        "/": ["/a", "/b"],
        "/a": ["/x"],
        "/b": ["/c"],
        "/c": ["/x"],
        "/x": ["/y"],
        "/y": ["/z"],
        "/z": ["/w"],
        "/w": ["/v"],
    }
    asked: list[tuple[str, str, float]] = []
    with serve_app(_graph_app(links, {"/a": 0.5}, asked)) as served:
        code, rows, stderr = crawl("--recursive", "--max-depth", "4", served.url("/"))
    assert (code, stderr) == (0, ""), rows
    requests = collections.Counter((method, path) for method, path, _ in asked)
    paths = collections.Counter(path for _, path, _ in asked)
    assert all(count == 1 for count in paths.values()), requests
    read = {path for method, path in requests if method == "GET" and path != ROBOTS}
    assert read == {"/", "/a", "/b", "/c", "/x", "/y", "/z"}, "each within depth 4, once"
    assert ("HEAD", "/w") in requests, "at depth 5: a link, checked and never read"
    origin = served.url("")
    checked = sorted((row["file"].removeprefix(origin), row["url"]) for row in rows)
    assert checked == sorted(
        [("<command line>", served.url("/"))]
        + [(page, target) for page in sorted(read) for target in links[page]]
    ), "a row for every link of every page read, and none of /w's"
    when = {path: moment for _, path, moment in asked}
    assert when["/x"] < when["/a"] + 0.5, "/x was read before /a answered: out of order"


def test_pages_at_max_depth_wait_until_their_depth_is_final() -> None:
    # /c is at depth 2 the short way (/ → /a → /c) and at 3 the long way (/ → /b → /d →
    # /c). At --max-depth 2, /d (depth 2) waits for the slow /a: read first, it would make
    # /c a mere link at depth 3, to be fetched again as a page once /a is read. So /c is
    # read at 2, its links checked and not followed: /e is a link, never read.
    links = {
        "/": ["/a", "/b"],
        "/a": ["/c"],
        "/b": ["/d"],
        "/d": ["/c"],
        "/c": ["/e"],
        "/e": ["/f"],
    }
    asked: list[tuple[str, str, float]] = []
    with serve_app(_graph_app(links, {"/": 0.3, "/a": 0.4, ROBOTS: 0.2}, asked)) as served:
        code, rows, stderr = crawl("--recursive", "--max-depth", "2", served.url("/"))
    assert (code, stderr) == (0, ""), rows
    requests = collections.Counter((method, path) for method, path, _ in asked)
    paths = collections.Counter(path for _, path, _ in asked)
    assert all(count == 1 for count in paths.values()), requests
    assert {path for method, path in requests if method == "GET"} == {
        "/",
        ROBOTS,
        "/a",
        "/b",
        "/c",
        "/d",
    }
    assert ("HEAD", "/e") in requests
    when = {path: moment for _, path, moment in asked}
    assert when["/d"] > when["/a"] + 0.4, "/d, at --max-depth, waited for /a"
    assert when[ROBOTS] < when["/"] + 0.3, "robots.txt asked for beside the first page"
