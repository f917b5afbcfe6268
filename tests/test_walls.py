"""Bot walls (`urlcheck.http.walls`): each vendor's wall, served by a real server on 127.0.0.1
and fetched over HTTP as a client would, is told as that vendor's, quoting what said so; the
site's own refusals that look like walls never are; and the rules hold over any input: a 200
is never a wall, and a wall a header shows needs no body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from urlcheck.http.walls import (
    RULES,
    SNIFF_BYTES,
    SNIFF_STATUSES,
    WALL_HEADERS,
    WALL_STATUSES,
    Wall,
    challenge,
)

from .servers import Served, serve_app
from .walls_pages import (
    CLOUDFLARE_CHALLENGE,
    CLOUDFLARE_HEADERS,
    DDOS_GUARD_CAPTCHA,
    LOOK_ALIKES,
    WALLS,
    Page,
)

PAGES = {page.name: page for page in (*WALLS, *LOOK_ALIKES)}
BY_HEADER = [page for page in WALLS if page.by_header]
BY_PAGE = [page for page in WALLS if not page.by_header]


def _app() -> web.Application:
    app = web.Application()
    for page in (*WALLS, *LOOK_ALIKES):
        app.router.add_route("*", f"/{page.name}", _responder(page))
    return app


def _responder(page: Page) -> web.Handler:
    async def respond(request: web.Request) -> web.Response:
        headers = CIMultiDict(page.headers)
        headers["Content-Type"] = page.content_type
        return web.Response(status=page.status, body=page.body, headers=headers)

    return respond


@pytest.fixture(scope="module")
def pages() -> Iterator[Served]:
    with serve_app(_app()) as served:
        yield served


async def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes | None]:
    """What a check has of a response: its status, the first value of each header by its
    lower-case name, and (for a GET) the first `SNIFF_BYTES` of the body."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, allow_redirects=False) as response,
    ):
        headers: dict[str, str] = {}
        for name, value in response.headers.items():
            headers.setdefault(name.lower(), value)
        if method == "HEAD":
            return response.status, headers, None
        head = b""
        while len(head) < SNIFF_BYTES:
            piece = await response.content.read(SNIFF_BYTES - len(head))
            if not piece:
                break
            head += piece
        return response.status, headers, head


@pytest.mark.parametrize("page", WALLS, ids=lambda page: page.name)
async def test_each_wall_is_told_as_its_vendors(pages: Served, page: Page) -> None:
    status, headers, body = await fetch(pages.url(f"/{page.name}"))
    assert status == page.status
    wall = challenge(status, headers, body)
    assert wall is not None
    assert wall.vendor == page.vendor
    assert page.evidence in wall.evidence


@pytest.mark.parametrize("page", BY_HEADER, ids=lambda page: page.name)
async def test_a_wall_a_header_shows_is_told_from_a_head(pages: Served, page: Page) -> None:
    status, headers, body = await fetch(pages.url(f"/{page.name}"), "HEAD")
    assert body is None
    assert challenge(status, headers, body) == challenge(*(await fetch(pages.url(f"/{page.name}"))))


@pytest.mark.parametrize("page", BY_PAGE, ids=lambda page: page.name)
async def test_a_wall_only_its_page_shows_needs_the_page(pages: Served, page: Page) -> None:
    assert challenge(*(await fetch(pages.url(f"/{page.name}"), "HEAD"))) is None
    assert page.status in SNIFF_STATUSES  # so the client reads its body


@pytest.mark.parametrize("page", LOOK_ALIKES, ids=lambda page: page.name)
async def test_the_sites_own_answers_are_never_walls(pages: Served, page: Page) -> None:
    assert challenge(*(await fetch(pages.url(f"/{page.name}")))) is None
    assert challenge(*(await fetch(pages.url(f"/{page.name}"), "HEAD"))) is None


@pytest.mark.parametrize("page", WALLS, ids=lambda page: page.name)
async def test_the_headers_the_client_keeps_are_enough(pages: Served, page: Page) -> None:
    status, headers, body = await fetch(pages.url(f"/{page.name}"))
    kept = {name: value for name, value in headers.items() if name in WALL_HEADERS}
    assert challenge(status, kept, body) == challenge(status, headers, body)


def test_the_read_stops_at_sniff_bytes() -> None:
    headers = {name.lower(): value for name, value in CLOUDFLARE_HEADERS}
    # The imitation keeps the real page's shape: its marker comes after KBs of style.
    assert (
        4096 < CLOUDFLARE_CHALLENGE.index(b"_cf_chl_opt") < len(CLOUDFLARE_CHALLENGE) <= SNIFF_BYTES
    )
    assert challenge(403, headers, CLOUDFLARE_CHALLENGE) is not None
    pushed = b"<!-- " + b"x" * SNIFF_BYTES + b" -->" + CLOUDFLARE_CHALLENGE
    assert challenge(403, headers, pushed) is None  # past what is read
    # A page larger than the read, whose name is at its top, is still told.
    assert len(DDOS_GUARD_CAPTCHA) > SNIFF_BYTES
    wall = challenge(403, {"server": "ddos-guard"}, DDOS_GUARD_CAPTCHA[:SNIFF_BYTES])
    assert wall == Wall("DDoS-Guard", 'server: ddos-guard; body "<title>DDOS-GUARD</title>"')


def test_what_the_client_keeps_and_reads_follows_the_table() -> None:
    assert all(name == name.lower() for name in WALL_HEADERS)
    assert {"cf-mitigated", "x-amzn-waf-action", "server"} <= WALL_HEADERS
    assert SNIFF_STATUSES == WALL_STATUSES == {403, 429, 503}
    for rule in RULES:
        assert rule.statuses, rule.vendor
        assert 200 not in rule.statuses
        if rule.body:
            assert rule.statuses <= SNIFF_STATUSES
        # Compiled at the first response that needs them: each must compile.
        for pattern in rule.body:
            assert pattern == pattern.lower(), "matched against the body in lower case"
            re.compile(pattern.encode(), re.DOTALL)
        if rule.header is not None:
            re.compile(rule.header[1], re.IGNORECASE)


def test_evidence_quotes_the_mark() -> None:
    wall = challenge(403, {"server": "AkamaiGHost"}, PAGES["akamai-denied-entities"].body)
    assert wall == Wall(
        "Akamai",
        'server: AkamaiGHost; body "<TITLE>Access Denied</TITLE>", '
        '"Reference&#32;&#35;18&#46;4d5c1702&#46;1789650000&#46;2b6a23ca"',
    )
    assert challenge(403, {"cf-mitigated": "  Challenge "}, None) == Wall(
        "Cloudflare", "cf-mitigated: Challenge"
    )


@pytest.mark.parametrize(
    ("status", "headers", "body", "vendor"),
    [
        (503, {"server": "cloudflare-nginx"}, b'<input name="jschl_vc" value="1"/>', "Cloudflare"),
        (
            403,
            {"server": "cloudflare"},
            b'<input type="hidden" name="captcha-bypass"/>',
            "Cloudflare",
        ),
        (
            403,
            {"server": "ddos-guard"},
            b'<script src="/.well-known/ddos-guard/js-challenge/',
            "DDoS-Guard",
        ),
        (403, {}, b"<script>var dd={'rt':'i','cid':'AHrlq'}</script>", "DataDome"),
        (429, {}, b'<script src="https://captcha.px-cdn.net/PXk4Tq82sN/captcha.js">', "PerimeterX"),
        (
            503,
            {},
            b"Request unsuccessful. Incapsula incident ID: 1284000980052119401-417",
            "Imperva",
        ),
        (403, {"x-vercel-mitigated": "challenge"}, None, "Vercel"),
    ],
)
def test_other_forms_of_the_marks(
    status: int, headers: dict[str, str], body: bytes | None, vendor: str
) -> None:
    wall = challenge(status, headers, body)
    assert wall is not None
    assert wall.vendor == vendor


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        # The vendor is there, but its mark is not: its headers on any response, its name.
        (403, {"server": "cloudflare", "cf-mitigated": "block"}, b"<h1>Forbidden</h1>"),
        (403, {"x-datadome": "protected"}, b"Protected by DataDome: captcha-delivery.com"),
        (403, {}, b"<script>window._pxAppId = 'PXk4Tq82sN';</script><h1>Not allowed</h1>"),
        (403, {"server": "AkamaiGHost"}, b"<title>Access Denied</title>Ask your admin."),
        (403, {"server": "nginx"}, b"<title>Access Denied</title>Reference #18.4d5c.17.2b6a"),
        # A wall's marks on a status walls do not come with.
        (404, {"server": "cloudflare"}, CLOUDFLARE_CHALLENGE),
        (403, {"x-amzn-waf-action": "challenge"}, None),
        (202, {"x-amzn-waf-action": "captcha"}, None),
    ],
)
def test_a_vendor_without_its_mark_is_no_wall(
    status: int, headers: dict[str, str], body: bytes | None
) -> None:
    assert challenge(status, headers, body) is None


# ---- properties over any input ----

HEADER_VALUES = st.sampled_from(
    [
        "challenge",
        "captcha",
        "1",
        "EVA079",
        "cloudflare",
        "AkamaiGHost",
        "ddos-guard",
        "deny",
        "protected",
    ]
)
HEADERS = st.dictionaries(
    st.sampled_from(sorted(WALL_HEADERS | {"x-datadome", "x-iinfo", "cf-ray", "x-sucuri-id"})),
    HEADER_VALUES | st.text(max_size=30),
    max_size=6,
)
BODIES = st.none() | st.binary(max_size=2048) | st.sampled_from([page.body for page in WALLS])
ANY_INPUT = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
"""Text strategies are slow to start: the first draws may take a second."""
NAMED_STATUSES = frozenset(status for rule in RULES for status in rule.statuses)


@ANY_INPUT
@given(HEADERS, BODIES)
def test_a_200_is_never_a_wall(headers: dict[str, str], body: bytes | None) -> None:
    assert challenge(200, headers, body) is None


@ANY_INPUT
@given(st.integers(100, 999).filter(lambda status: status not in NAMED_STATUSES), HEADERS, BODIES)
def test_no_status_outside_the_table_is_a_wall(
    status: int, headers: dict[str, str], body: bytes | None
) -> None:
    assert challenge(status, headers, body) is None


@given(st.sampled_from(BY_HEADER), st.binary(max_size=2048) | st.none())
def test_a_header_wall_holds_whatever_the_body(page: Page, body: bytes | None) -> None:
    headers = {name.lower(): value for name, value in page.headers}
    wall = challenge(page.status, headers, body)
    assert wall is not None
    assert wall.vendor == page.vendor


@ANY_INPUT
@given(st.integers(100, 999), HEADERS, BODIES)
def test_a_verdict_is_one_line_naming_its_vendor(
    status: int, headers: dict[str, str], body: bytes | None
) -> None:
    wall = challenge(status, headers, body)
    if wall is not None:
        assert wall.vendor in {rule.vendor for rule in RULES}
        assert wall.evidence
        assert "\n" not in wall.evidence
        assert len(wall.evidence) < 400
