"""urlcheck against every hostile behaviour of tests/hostile.py, next to curl's verdict.

For each behaviour, urlcheck checks the URL by GET (``--method get``) and by its default
(HEAD, then GET when HEAD fails as the README says) with no retries; its verdict must be
curl's, driven the same way, except where `STRICTER` or `DIFFERENT` says otherwise and why
(RELIABILITY.md, "Where urlcheck and curl part"). The server counts connections: every
request is one connection, or none when it reuses a kept-alive one, and `attempts` is the
number of requests the server saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

import pytest

from urlcheck import CheckOptions, CheckResult, check_urls

from .curl_reference import CURL, curl_verdict
from .hostile import BEHAVIOURS, HostileServer, serve_hostile
from .hostile_table import Run, run_all

pytestmark = pytest.mark.skipif(
    not os.access(CURL, os.X_OK), reason=f"{CURL} is not installed: curl is the reference here"
)

OPTIONS = CheckOptions(timeout=2, retries=0)
MODES = ("get", "head")
FALLBACK = {"protocol", "disconnected"}
"""curl verdicts after which urlcheck's default sends a GET (besides a status >= 400)."""

STRICTER: dict[str, str] = {
    # path → why urlcheck fails what curl accepts (by both methods).
    "/status/double-space": "status line not as RFC 9112 4 writes it (llhttp, aiohttp refuse)",
    "/header/space-colon": "space before a header's colon: RFC 9112 5.1 (request smuggling)",
    "/framing/two-lengths": "differing Content-Lengths: RFC 9112 6.3 (response splitting)",
    "/framing/length-and-chunked": "Content-Length with chunked: RFC 9112 6.3, ought to fail",
    "/cut/status-line": "a head cut off by the close is not a complete answer",
    "/cut/partial-head": "a head cut off by the close is not a complete answer",
}
DIFFERENT: dict[tuple[str, str], str] = {
    # (path, mode) → the verdict urlcheck gives instead of curl's, and why, in RELIABILITY.md.
    # Accepted, then reset: curl says "Failed to connect" about 1 time in 5, when the reset
    # is pending as it checks its connect; the connection was made, so it is disconnected.
    ("/early/reset", "get"): "disconnected",
    ("/early/reset", "head"): "disconnected",
    ("/framing/bad-chunk", "get"): "ok",  # no body is read: the head is a complete answer
    ("/framing/two-lengths", "get"): "protocol",  # curl: 18 (short body); see STRICTER
    ("/interim/101", "head"): "status",  # curl: 52 by HEAD, 101 by GET; 101 is the answer
    ("/r/fragment", "get"): "too_many_redirects",  # '#frag' is this very URL (RFC 3986 5.2)
    ("/r/fragment", "head"): "too_many_redirects",
    ("/r/no-authority", "get"): "ok",  # 'http:/ok' is a path here, as browsers and aiohttp
    ("/r/no-authority", "head"): "ok",  # read it; curl takes 'ok' for a host name
}


@pytest.fixture(scope="module")
def curl_runs() -> dict[tuple[str, str], Run]:
    """curl on every behaviour by HEAD and by GET, each with a server of its own."""
    return run_all()


def curl_like_urlcheck(runs: dict[tuple[str, str], Run], path: str, mode: str) -> str:
    """curl's verdict when driven as urlcheck's mode is: GET, or HEAD and then GET when the
    HEAD failed as protocol or disconnected or got a status >= 400."""
    get = curl_verdict(runs[(path, "GET")].outcome)
    if mode == "get":
        return get
    head = runs[(path, "HEAD")].outcome
    if curl_verdict(head) in FALLBACK or head.http_code >= 400:
        return get
    return curl_verdict(head)


def expected(runs: dict[tuple[str, str], Run], path: str, mode: str) -> str:
    if (path, mode) in DIFFERENT:
        return DIFFERENT[(path, mode)]
    if path in STRICTER:
        return "protocol" if "cut off" not in STRICTER[path] else "disconnected"
    return curl_like_urlcheck(runs, path, mode)


def verdict(result: CheckResult) -> str:
    return "ok" if result.ok else str(result.error_kind)


async def check(server: HostileServer, path: str, mode: str) -> tuple[CheckResult, int]:
    """urlcheck's result for `path`, and how many connections the server saw for it."""
    options = CheckOptions(timeout=OPTIONS.timeout, retries=0, method=mode)
    async with contextlib.aclosing(check_urls([server.url(path)], options)) as results:
        (result,) = [r async for r in results]
    await asyncio.sleep(0.01)  # let the closed connections reach the server
    record = await asyncio.to_thread(server.settle)
    return result, len(record.connections)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", list(BEHAVIOURS))
async def test_urlcheck_agrees_with_curl(
    path: str, mode: str, curl_runs: dict[tuple[str, str], Run]
) -> None:
    with serve_hostile() as server:
        result, connections = await check(server, path, mode)
        requests = len(server.record.requests())
    want = expected(curl_runs, path, mode)
    assert verdict(result) == want, (
        f"urlcheck: {verdict(result)} ({result.error}); curl, driven like urlcheck: "
        f"{curl_like_urlcheck(curl_runs, path, mode)}"
    )
    if result.error is not None:
        assert "\n" not in result.error
    # One request, one connection (a GET after a HEAD that kept the connection may reuse it);
    # attempts is what the server saw, the redirects' hops aside.
    unread = BEHAVIOURS[path].on_accept and path != "/early/response"
    assert result.attempts == (1 if mode == "get" or result.method == "HEAD" else 2)
    assert requests == (0 if unread else result.attempts + result.redirects)
    assert 1 <= connections <= result.attempts


def test_every_difference_from_curl_is_a_behaviour_of_the_corpus() -> None:
    assert set(STRICTER) <= set(BEHAVIOURS)
    assert {path for path, _ in DIFFERENT} <= set(BEHAVIOURS)
