"""curl, the reference client, against every hostile behaviour of tests/hostile.py.

Each behaviour lists what curl made of it by HEAD and by GET (`curl_expect`) and how many
connections it opened (`curl_connections`), found by running it. These tests run curl again
and fail when it gives anything else, so the table in tests/data/hostile_curl.md (which says
the same) stays true, and a server that stopped misbehaving as described would be noticed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from .curl_reference import CURL, CurlOutcome, curl_outcome, curl_verdict
from .hostile import BEHAVIOURS, serve_hostile
from .hostile_table import METHODS, TABLE, Run, curl_version, run_all

pytestmark = pytest.mark.skipif(
    not os.access(CURL, os.X_OK), reason=f"{CURL} is not installed: curl is the reference here"
)

ROOT = Path(__file__).resolve().parent.parent
PINNED_WITH = "curl 7.88.1"
"""The curl the expectations were found with; another may well differ."""
CASES = [(path, method) for path in BEHAVIOURS for method in METHODS]
UNREAD = {"/early/reset"}
"""Behaviours that never read the request."""
LANDED = {
    "/r/relative": "/r/foo",
    "/r/sub/dotdot": "/r/x",
    "/r/fragment": "/r/",  # RFC 3986 says this same URL; curl 7.88 drops the last segment
    "/r/dot": "/r/",
    "/r/space": "/r/with%20space",  # curl escapes the space
    "/r/utf8": "/r/caf%c3%a9",  # and the UTF-8 bytes, in lower-case hex
    "/r/backslash": "/\\evil",  # a path as it stands: not `//evil`, as a browser reads it
    "/r/query": "/r/query",  # with ?q=1 (the record keeps paths)
    "/r/scheme-relative": "/ok",
    "/r/no-authority": "/",  # `http:/ok` is host `ok` to curl, asked for `/`
    "/r/303": "/ok",
}
"""Where curl's first redirect from each behaviour went: how it resolves a Location."""


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], Run]:
    """curl on every behaviour by HEAD and by GET, each with a server of its own."""
    return run_all()


def _explain(run: Run, method: str) -> str:
    return (
        f"{method}: curl gave {run.outcome.summary!r} ({run.outcome.error_text or 'no error'}) "
        f"on {run.connections} connection(s), requests {run.requests}; the corpus was pinned "
        f"with {PINNED_WITH}, this is {curl_version()}"
    )


def test_the_corpus_is_complete() -> None:
    """At least 40 behaviours, each described, with an outcome for both methods."""
    assert len(BEHAVIOURS) >= 40
    for behaviour in BEHAVIOURS.values():
        assert behaviour.description
        assert "\n" not in behaviour.description
        assert set(behaviour.curl_expect) == set(METHODS), behaviour.path
        assert all(behaviour.curl_expect[method] for method in METHODS), behaviour.path


@pytest.mark.parametrize(("path", "method"), CASES)
def test_curl_outcome_is_pinned(runs: dict[tuple[str, str], Run], path: str, method: str) -> None:
    """curl's outcome, connections and requests are the ones the behaviour lists."""
    behaviour = BEHAVIOURS[path]
    run = runs[(path, method)]
    assert run.outcome.summary in behaviour.curl_expect[method], _explain(run, method)
    connections = behaviour.curl_connections[method]
    if connections is not None:
        assert run.connections == connections, _explain(run, method)
    assert {seen for seen, _ in run.requests} <= {method}, "curl -L keeps the method"
    if path in UNREAD:
        assert run.requests == [], _explain(run, method)
        return
    assert run.requests[0] == (method, path)
    # One request per URL of the run and per redirect curl followed: none retried, none lost.
    asked = sum(hops + 1 for _, hops in run.outcome.transfers)
    assert len(run.requests) == asked, _explain(run, method)
    for then in behaviour.then:
        assert (method, then) in run.requests[1:], _explain(run, method)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("path", "target"), LANDED.items())
def test_curl_resolves_locations(
    runs: dict[tuple[str, str], Run], path: str, target: str, method: str
) -> None:
    """Where curl went from each odd Location, by the paths the server was asked for."""
    run = runs[(path, method)]
    assert [seen for _, seen in run.requests[:2]] == [path, target], _explain(run, method)


@pytest.mark.parametrize("method", METHODS)
def test_a_reset_on_accept_reads_no_request(runs: dict[tuple[str, str], Run], method: str) -> None:
    """`/early/reset` has a port of its own, and curl's one connection there got no further."""
    run = runs[("/early/reset", method)]
    assert run.connections == 1
    assert run.requests == []
    assert curl_verdict(run.outcome) in {"disconnected", "refused"}


def test_the_committed_table_lists_the_pinned_outcomes() -> None:
    """tests/data/hostile_curl.md has a row per behaviour, with the outcomes listed here."""
    text = (ROOT / TABLE).read_text(encoding="utf-8")
    assert PINNED_WITH in text
    rows = {}
    for line in text.splitlines():
        found = re.match(r"\| `([^`]+)` \| ", line)
        if found:
            rows[found[1]] = line
    assert list(rows) == list(BEHAVIOURS), "one row per behaviour, in order"
    for path, line in rows.items():
        cells = re.split(r"(?<!\\) \| ", line.strip("| "))
        behaviour = BEHAVIOURS[path]
        for method, cell in zip(METHODS, cells[2:4], strict=True):
            listed = tuple(re.findall(r"`([^`]+)`", cell))
            assert listed == behaviour.curl_expect[method], f"{path} {method}: {cell}"
        connections = {behaviour.curl_connections[method] for method in METHODS}
        if len(connections) == 1 and None not in connections:
            assert cells[4] == str(*connections), f"{path} connections: {cells[4]}"
        assert "not listed" not in line, line
        assert "not seen" not in line, line


@pytest.mark.parametrize(
    ("outcome", "verdict"),
    [
        (CurlOutcome(0, 200, 0, ""), "ok"),
        (CurlOutcome(0, 299, 3, ""), "ok"),
        (CurlOutcome(0, 301, 0, ""), "status"),
        (CurlOutcome(0, 404, 1, ""), "status"),
        (CurlOutcome(0, 999, 0, ""), "status"),
        (CurlOutcome(28, 0, 0, "curl: (28) Operation timed out"), "timeout"),
        (CurlOutcome(6, 0, 0, "curl: (6) Could not resolve host: x"), "dns"),
        (CurlOutcome(7, 0, 0, "curl: (7) Failed to connect"), "refused"),
        (CurlOutcome(35, 0, 0, "curl: (35) SSL connect error"), "tls"),
        (CurlOutcome(51, 0, 0, ""), "tls"),
        (CurlOutcome(58, 0, 0, ""), "tls"),
        (CurlOutcome(60, 0, 0, "curl: (60) SSL certificate problem"), "tls"),
        (
            CurlOutcome(47, 302, 10, "curl: (47) Maximum (10) redirects followed"),
            "too_many_redirects",
        ),
        (CurlOutcome(52, 0, 0, "curl: (52) Empty reply from server"), "disconnected"),
        (
            CurlOutcome(56, 0, 0, "curl: (56) Recv failure: Connection reset by peer"),
            "disconnected",
        ),
        (CurlOutcome(18, 200, 0, "curl: (18) transfer closed"), "disconnected"),
        (
            CurlOutcome(
                56, 200, 0, "curl: (56) Illegal or missing hexadecimal sequence in chunked-encoding"
            ),
            "protocol",
        ),
        (CurlOutcome(56, 200, 0, "curl: (56) Too large response headers: 1 > 0"), "protocol"),
        (CurlOutcome(1, 0, 0, "curl: (1) Received HTTP/0.9 when not allowed"), "protocol"),
        (CurlOutcome(1, 302, 1, 'curl: (1) Protocol "ftp" not supported'), "protocol"),
        (CurlOutcome(3, 302, 1, "curl: (3) URL using bad/illegal format"), "protocol"),
        (CurlOutcome(8, 200, 0, "curl: (8) Weird server reply"), "protocol"),
        (CurlOutcome(27, 200, 0, "curl: (27) Out of memory"), "protocol"),
        (CurlOutcome(23, 200, 0, "curl: (23) Failed writing body"), "other"),
    ],
)
def test_curl_verdict_maps_exit_codes(outcome: CurlOutcome, verdict: str) -> None:
    assert curl_verdict(outcome) == verdict


def test_curl_verdict_of_a_refused_port(refused_url: str) -> None:
    outcome = curl_outcome(refused_url, "GET")
    assert (outcome.exit_code, outcome.http_code) == (7, 0), outcome
    assert curl_verdict(outcome) == "refused"


def test_curl_verdict_of_a_timeout() -> None:
    """`/split/two-writes` pauses 200 ms inside its head: past a 50 ms --max-time."""
    with serve_hostile() as server:
        started = time.monotonic()
        outcome = curl_outcome(server.url("/split/two-writes"), "HEAD", timeout=0.05)
        elapsed = time.monotonic() - started
    assert outcome.exit_code == 28, outcome
    assert curl_verdict(outcome) == "timeout"
    assert elapsed < 1.0


def test_curl_outcome_follows_max_redirs() -> None:
    """--max-redirs is passed on: the 10-hop chain fails at 9 and the server saw 10 asks."""
    with serve_hostile() as server:
        outcome = curl_outcome(server.url("/r/chain-10"), "GET", max_redirs=9)
        assert outcome.summary == "47 302/9", outcome
        assert len(server.settle().requests()) == 10
