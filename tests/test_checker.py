"""The async core against real local servers: statuses, redirects, retries, limits, streaming."""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp
import pytest

from urlcheck import CheckOptions, CheckResult, ErrorKind, StatusRanges, check_urls, fetch_url
from urlcheck.inputs import parse_line

from .servers import Served

FAST = CheckOptions(retries=0, timeout=5)


async def collect(urls: list[str], options: CheckOptions = FAST) -> list[CheckResult]:
    async with contextlib.aclosing(check_urls(urls, options)) as results:
        return [result async for result in results]


def by_url(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.url: r for r in results}


async def test_fetch_url_in_the_seeds_style(server: Served) -> None:
    async with aiohttp.ClientSession() as session:
        result = await fetch_url(session, server.url("/ok"))
    assert result.ok
    assert result.status == 200
    assert result.reason == "OK"
    assert result.method == "HEAD"
    assert result.attempts == 1
    assert result.error_kind is None
    assert result.error is None
    assert result.elapsed_ms > 0
    assert server.requests_to("/ok") == ["HEAD"]


async def test_statuses_are_judged_against_accept(server: Served) -> None:
    results = by_url(
        await collect([server.url("/ok"), server.url("/status/404"), server.url("/status/500")])
    )
    ok, missing, broken = (results[server.url(p)] for p in ("/ok", "/status/404", "/status/500"))
    assert ok.ok
    assert (missing.ok, missing.status, missing.error_kind) == (False, 404, ErrorKind.STATUS)
    assert missing.error is not None
    assert "404" in missing.error
    assert (broken.ok, broken.status, broken.error_kind) == (False, 500, ErrorKind.STATUS)

    lenient = CheckOptions(retries=0, accept=StatusRanges("200..299,404"))
    assert (await collect([server.url("/status/404")], lenient))[0].ok


async def test_a_head_refused_falls_back_to_get(server: Served) -> None:
    (result,) = await collect([server.url("/head405")])
    assert result.ok
    assert result.method == "GET"
    assert server.requests_to("/head405") == ["HEAD", "GET"]


async def test_method_get_skips_head(server: Served) -> None:
    (result,) = await collect([server.url("/ok")], CheckOptions(retries=0, method="get"))
    assert result.ok
    assert result.method == "GET"
    assert server.requests_to("/ok") == ["GET"]


async def test_redirect_chains_are_followed_and_counted(server: Served) -> None:
    (result,) = await collect([server.url("/redirect/3")])
    assert result.ok
    assert result.redirects == 3
    assert result.final_url == server.url("/redirect/0")


async def test_a_redirect_loop_fails_as_too_many_redirects(server: Served) -> None:
    (result,) = await collect([server.url("/loop")], CheckOptions(retries=0, max_redirects=4))
    assert result.error_kind == ErrorKind.TOO_MANY_REDIRECTS
    assert result.status is None
    assert result.error is not None
    assert "4" in result.error


async def test_max_redirects_zero_reports_the_redirect_itself(server: Served) -> None:
    (result,) = await collect([server.url("/redirect/1")], CheckOptions(retries=0, max_redirects=0))
    assert (result.status, result.redirects, result.error_kind) == (302, 0, ErrorKind.STATUS)


@pytest.mark.parametrize(
    ("chain", "limit", "ok", "redirects"),
    [(10, 10, True, 10), (11, 10, False, 10), (1, 1, True, 1), (2, 1, False, 1)],
)
async def test_max_redirects_is_how_many_redirects_are_followed(
    server: Served, chain: int, limit: int, ok: bool, redirects: int
) -> None:
    # As curl's --max-redirs: a chain of exactly N redirects is fine with --max-redirects N.
    options = CheckOptions(retries=0, max_redirects=limit)
    (result,) = await collect([server.url(f"/redirect/{chain}")], options)
    assert (result.ok, result.redirects) == (ok, redirects)
    if not ok:
        assert result.error_kind == ErrorKind.TOO_MANY_REDIRECTS
        assert result.error == f"more than {limit} redirects"
    assert len(server.log) == min(chain, limit) + 1  # each hop once, and the one too many


async def test_a_redirect_without_a_location_is_the_answer_with_nothing_followed(
    app: Served,
) -> None:
    (result,) = await collect([app.url("/to/nothing")], CheckOptions(retries=0, method="get"))
    assert (result.status, result.redirects, result.error_kind) == (302, 0, ErrorKind.STATUS)
    assert result.final_url == app.url("/to/nothing")


async def test_a_slow_answer_times_out_within_the_timeout(server: Served) -> None:
    started = time.perf_counter()
    (result,) = await collect([server.url("/slow?delay=5")], CheckOptions(retries=0, timeout=0.5))
    assert result.error_kind == ErrorKind.TIMEOUT
    assert result.status is None
    assert time.perf_counter() - started < 3


async def test_a_dropped_connection_is_disconnected(server: Served) -> None:
    (result,) = await collect([server.url("/drop")])
    assert result.error_kind == ErrorKind.DISCONNECTED
    assert not result.ok


async def test_refused_and_dns_errors(refused_url: str) -> None:
    results = by_url(await collect([refused_url, "http://no-such-host.invalid/"]))
    assert results[refused_url].error_kind == ErrorKind.REFUSED
    assert results["http://no-such-host.invalid/"].error_kind == ErrorKind.DNS


async def test_retries_recover_from_5xx_and_count_attempts(server: Served) -> None:
    options = CheckOptions(retries=2, backoff=0.01, method="get")
    (result,) = await collect([server.url("/flaky/a?fail=2")], options)
    assert result.ok
    assert result.attempts == 3
    (gave_up,) = await collect([server.url("/flaky/b?fail=5")], options)
    assert (gave_up.ok, gave_up.status, gave_up.attempts) == (False, 503, 3)


async def test_retry_after_is_honoured_and_capped(server: Served) -> None:
    options = CheckOptions(retries=1, backoff=0.01, retry_wait_max=0.6, method="get")
    started = time.perf_counter()
    (result,) = await collect([server.url("/flaky/c?fail=1&code=429&retry_after=0.5")], options)
    waited = time.perf_counter() - started
    assert result.ok
    assert result.attempts == 2
    # "0.5" is not an integer: it is ignored, so the backoff applies (0.01 s).
    assert waited < 0.45
    started = time.perf_counter()
    (result,) = await collect([server.url("/flaky/d?fail=1&code=429&retry_after=30")], options)
    waited = time.perf_counter() - started
    assert result.ok
    assert 0.55 <= waited < 5  # 30 s asked, capped at 0.6 s


async def test_4xx_is_not_retried(server: Served) -> None:
    (result,) = await collect([server.url("/status/404")], CheckOptions(retries=3, backoff=0.01))
    assert result.attempts == 2  # HEAD got 404, so GET too: two requests, and no retry
    assert server.requests_to("/status/404") == ["HEAD", "GET"]


async def test_duplicates_are_checked_once_and_reported_per_line(server: Served) -> None:
    url = server.url("/ok")
    targets = [parse_line(url, source="f", line=n) for n in (1, 2, 5)]
    async with contextlib.aclosing(check_urls(targets, FAST)) as results:
        got = [r async for r in results]
    assert sorted(r.line for r in got) == [1, 2, 5]
    assert all(r.ok for r in got)
    assert server.requests_to("/ok") == ["HEAD"]


async def test_invalid_lines_are_results_without_requests(server: Served) -> None:
    results = await collect(["javascript:alert(1)", server.url("/ok")])
    invalid = next(r for r in results if not r.ok)
    assert invalid.error_kind == ErrorKind.INVALID_URL
    assert (invalid.attempts, invalid.status, invalid.method) == (0, None, None)


async def test_credentials_are_sent_but_never_reported(server: Served) -> None:
    url = server.url("/auth").replace("://", "://user:s3cret@")
    (result,) = await collect([url])
    assert result.ok
    assert "s3cret" not in repr(result)
    assert result.url == url.replace("s3cret", "***")
    (wrong,) = await collect([url.replace("s3cret", "nope")])
    assert wrong.status == 401
    assert "nope" not in repr(wrong)


async def test_user_agent_and_headers_are_sent(server: Served) -> None:
    options = CheckOptions(retries=0, user_agent="probe/1", headers=(("X-Token", "abc"),))
    await collect([server.url("/ok")], options)
    _, _, headers = server.log[-1]
    assert headers["User-Agent"] == "probe/1"
    assert headers["X-Token"] == "abc"


async def test_concurrency_bounds_requests_in_flight(server: Served) -> None:
    urls = [server.url(f"/slow?delay=0.2&n={n}") for n in range(12)]
    results = await collect(urls, CheckOptions(retries=0, concurrency=3, per_host=0))
    assert len(results) == 12
    assert all(r.ok for r in results)
    assert server.state["peak"] == 3


async def test_per_host_limits_connections_to_one_host(server: Served) -> None:
    urls = [server.url(f"/slow?delay=0.2&n={n}") for n in range(8)]
    await collect(urls, CheckOptions(retries=0, concurrency=8, per_host=2))
    assert server.state["peak"] == 2


async def test_results_stream_out_before_slow_checks_finish(server: Served) -> None:
    urls = [server.url("/slow?delay=2"), server.url("/ok")]
    started = time.perf_counter()
    async with contextlib.aclosing(check_urls(urls, FAST)) as results:
        first = await anext(results)
        first_at = time.perf_counter() - started
        rest = [r async for r in results]
    assert first.url == server.url("/ok")
    assert first_at < 1.5
    assert len(rest) == 1


async def test_closing_early_cancels_in_flight_checks_promptly(server: Served) -> None:
    urls = [server.url("/ok")] + [server.url(f"/slow?delay=30&n={n}") for n in range(5)]
    started = time.perf_counter()
    async with contextlib.aclosing(check_urls(urls, FAST)) as results:
        first = await anext(results)
    assert first.ok
    assert time.perf_counter() - started < 2


async def test_a_caller_session_is_used_and_left_open(server: Served) -> None:
    async with aiohttp.ClientSession() as session:
        async with contextlib.aclosing(
            check_urls([server.url("/ok")], FAST, session=session)
        ) as results:
            got = [r async for r in results]
        assert not session.closed
    assert got[0].ok


async def test_a_long_list_through_a_small_pool(server: Served) -> None:
    urls = [server.url(f"/ok?n={n}") for n in range(500)]
    results = await collect(urls, CheckOptions(retries=0, concurrency=16, per_host=0))
    assert sorted(r.url for r in results) == sorted(urls)
    assert all(r.ok for r in results)


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        CheckOptions(concurrency=0)
    with pytest.raises(ValueError, match="method"):
        CheckOptions(method="post")
    with pytest.raises(ValueError, match="timeout"):
        CheckOptions(timeout=0)


def test_status_ranges() -> None:
    ranges = StatusRanges("200..299, 401")
    assert 200 in ranges
    assert 299 in ranges
    assert 401 in ranges
    assert 300 not in ranges
    assert str(ranges) == "200..299,401"
    for bad in ("", "abc", "300..200", "99", "200..1000"):
        with pytest.raises(ValueError, match=r"status|range"):
            StatusRanges(bad)


def test_asyncio_is_used_for_the_core() -> None:
    assert asyncio.iscoroutinefunction(fetch_url)


async def test_a_timeout_reports_the_method_under_way(server: Served) -> None:
    slow = server.url("/slow?delay=5")
    (get,) = await collect([f"{slow} contains=x"], CheckOptions(retries=0, timeout=0.3))
    assert (get.error_kind, get.method) == (ErrorKind.TIMEOUT, "GET")
    (head,) = await collect([slow], CheckOptions(retries=0, timeout=0.3))
    assert (head.error_kind, head.method) == (ErrorKind.TIMEOUT, "HEAD")


async def test_the_certificate_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from urlcheck.http import certs

    monkeypatch.setattr(certs, "CERT_HOSTS_KEPT", 4)
    probe = certs.CertProbe(CheckOptions(timeout=1))
    for port in range(1, 21):  # nothing listens there: each read ends at once, unknown
        assert await probe.not_after(f"https://127.0.0.1:{port}/") is None
    assert len(probe._seen) <= 4
    probe.close()
