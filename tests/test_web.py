"""The web view (`urlcheck --serve`): every endpoint through Flask's test client, then the real
waitress server in a process of its own (loopback, Ctrl-C, load, a slow check vs /healthz)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from urlcheck.cli import cli
from urlcheck.errors import InputError
from urlcheck.models import CheckResult
from urlcheck.options import CheckOptions
from urlcheck.web import CONTENT_SECURITY_POLICY, create_app

from .servers import Served, demo_app, serve_app, urlcheck_serve

FAST = {"retries": 0, "timeout": 5.0}
HOSTILE_REASON = "<script>alert(1)</script>"
HOSTILE_QUERY = '"><img/src=x/onerror=alert(1)>'
HOSTILE_LINE = '"><img src=x onerror=alert(1)>'


def hostile_app() -> web.Application:
    """The demo routes plus servers that answer with text meant to run script in a page."""
    app = demo_app()

    async def reason(request: web.Request) -> web.Response:
        return web.Response(status=500, reason=HOSTILE_REASON)

    async def location(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "javascript:alert('<b>x</b>')"})

    app.router.add_route("*", "/hostile-reason", reason)
    app.router.add_route("*", "/hostile-location", location)
    return app


@pytest.fixture
def site() -> Iterator[Served]:
    """The checked server: demo routes and hostile ones, on 127.0.0.1."""
    with serve_app(hostile_app()) as served:
        yield served


def url_file(tmp_path: Path, *lines: str, name: str = "urls.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_app(path: Path, *, cache_ttl: float = 60.0, interval: int = 60) -> Flask:
    return create_app([str(path)], FAST, interval=interval, cache_ttl=cache_ttl)


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def mixed(tmp_path: Path, site: Served) -> Path:
    return url_file(
        tmp_path,
        "# a comment",
        site.url("/ok"),
        site.url("/status/404"),
        site.url("/redirect/2"),
        "www.example.com",
        site.url("/slow?delay=0.2"),
    )


# The page.


def test_page_shows_each_result_with_badge_bar_redirects_errors_and_summary(
    mixed: Path, site: Served
) -> None:
    response = make_app(mixed).test_client().get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    html = text(response)
    for path in ("/ok", "/status/404", "/redirect/2", "/slow?delay=0.2"):
        assert site.url(path) in html
    assert html.count('<tr class="result ') == 5
    assert '<span class="badge badge-ok" title="200 OK">200 OK</span>' in html
    assert '<span class="badge badge-fail" title="404 Not Found">404 Not Found</span>' in html
    assert '<span class="badge badge-invalid" title="invalid_url">invalid_url</span>' in html
    assert f'2 →</span> <span class="final">{site.url("/redirect/0")}</span>' in html
    assert "no http:// or https:// scheme" in html
    assert '<span class="where">line 2 · HEAD</span>' in html  # one file: its name is above
    # HEAD got 404, so GET too: two requests
    assert '<span class="where">line 3 · GET · 2 requests</span>' in html
    assert html.count('<svg class="bar bar-') == 4  # the invalid line was never timed
    assert '<rect class="bar-fill" width="100.0"' in html  # the slowest fills its bar
    assert "2 of 5 URLs failing" in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+" data-ago>', html)
    assert 'method="post" action="/check"' in html
    assert 'href="/?failed=1"' in html
    assert "<script src=" in html
    assert "<script>" not in html  # no inline script: the CSP would block it
    assert " style=" not in html  # nor inline styles
    assert 'data-refresh="60"' in html
    assert '<meta http-equiv="refresh" content="60">' in html  # inside <noscript>
    assert 'name="viewport"' in html


def test_failures_only_filter_works_without_script(mixed: Path, site: Served) -> None:
    client = make_app(mixed).test_client()
    html = text(client.get("/?failed=1"))
    assert html.count('<tr class="result ') == 2
    assert site.url("/ok") not in html.split("<tbody>")[1]
    assert site.url("/status/404") in html
    assert 'class="filter-failed" aria-current="page"' in html
    assert '<input type="hidden" name="failed" value="1">' in html  # check now keeps it


def test_no_refresh_when_interval_is_zero(mixed: Path) -> None:
    html = text(make_app(mixed, interval=0).test_client().get("/"))
    assert 'data-refresh="0"' in html
    assert "http-equiv" not in html
    assert "Auto refresh off" in html


def test_hostile_text_from_servers_and_urls_is_escaped_everywhere(
    tmp_path: Path, site: Served
) -> None:
    path = url_file(
        tmp_path,
        site.url("/hostile-reason"),
        site.url("/hostile-location"),
        site.url("/ok?x=" + HOSTILE_QUERY),
        HOSTILE_LINE,
    )
    client = make_app(path).test_client()
    html = text(client.get("/"))
    assert HOSTILE_REASON not in html
    assert "500 &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<img/src=x" not in html
    assert "onerror=alert(1)>" not in html
    assert 'x="><' not in html
    assert "&#34;&gt;&lt;img/src=x/onerror=alert(1)&gt;" in html
    assert "<b>x</b>" not in html
    assert "javascript:alert(&#39;&lt;b&gt;x&lt;/b&gt;&#39;)" in html
    assert 'href="javascript' not in html
    # The invalid line is shown as text, never as a link.
    rows = html.split("<tbody>")[1].split("</tr>")
    assert "<a href" not in rows[3]

    api = client.get("/api/results")
    assert api.content_type == "application/json"
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    reasons = [r["reason"] for r in api.get_json()["results"]]
    assert HOSTILE_REASON in reasons  # JSON carries data as it is; nosniff keeps it data

    metrics = text(client.get("/metrics"))
    families = text_string_to_metric_families(metrics)
    urls = {s.labels.get("url") for f in families for s in f.samples if f.name == "probe_success"}
    assert site.url("/ok?x=" + HOSTILE_QUERY) in urls  # escaped in the text, exact once parsed


def test_a_password_in_a_url_is_never_shown(tmp_path: Path, site: Served) -> None:
    secret_url = f"http://user:s3cret@{site.host}:{site.port}/auth"
    path = url_file(tmp_path, secret_url, f"http://user:s3cret@{site.host}:{site.port}/redirect/1")
    client = make_app(path).test_client()
    for endpoint in ("/", "/?failed=1", "/api/results", "/metrics", "/healthz"):
        body = text(client.get(endpoint))
        assert "s3cret" not in body, endpoint
    assert "user:***@" in text(client.get("/"))
    assert text(client.get("/api/results")).count("user:***@") >= 2
    assert "user:***@" in text(client.get("/metrics"))
    assert site.log[0][2]["Authorization"].startswith("Basic ")  # it was sent, though


# API, metrics, health.


def test_api_results_have_the_fields_of_format_json(mixed: Path, site: Served) -> None:
    response = make_app(mixed).test_client().get("/api/results")
    assert response.status_code == 200
    payload = response.get_json()
    assert list(payload) == ["checked_at", "duration_s", "summary", "errors", "results"]
    assert payload["summary"]["total"] == 5
    assert payload["summary"]["failed"] == 2
    assert payload["errors"] == []
    results = payload["results"]
    assert [r["line"] for r in results] == [2, 3, 4, 5, 6]
    for result in results:
        assert list(result) == list(CheckResult.FIELDS)  # same fields, same order
    assert results[0]["url"] == site.url("/ok")
    assert results[0]["ok"] is True
    assert results[1]["status"] == 404
    assert results[1]["error_kind"] == "status"
    assert results[3]["error_kind"] == "invalid_url"
    assert results[3]["file"] == str(mixed)


def test_api_results_filter_failures(mixed: Path) -> None:
    payload = make_app(mixed).test_client().get("/api/results?failed=1").get_json()
    assert [r["ok"] for r in payload["results"]] == [False, False]
    assert payload["summary"]["total"] == 5  # the summary is always the whole list


def test_metrics_are_prometheus_text_with_blackbox_names(mixed: Path, site: Served) -> None:
    response = make_app(mixed).test_client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(text(response))}
    for name in (
        "probe_success",
        "probe_http_status_code",
        "probe_duration_seconds",
        "probe_http_redirects",
    ):
        assert families[name].type == "gauge"
        assert len(families[name].samples) == 5
    success = {s.labels["url"]: s.value for s in families["probe_success"].samples}
    assert success[site.url("/ok")] == 1.0
    assert success[site.url("/status/404")] == 0.0
    status = {s.labels["url"]: s.value for s in families["probe_http_status_code"].samples}
    assert status[site.url("/status/404")] == 404
    redirects = {s.labels["url"]: s.value for s in families["probe_http_redirects"].samples}
    assert redirects[site.url("/redirect/2")] == 2
    duration = {s.labels["url"]: s.value for s in families["probe_duration_seconds"].samples}
    assert duration[site.url("/slow?delay=0.2")] >= 0.2
    assert families["urlcheck_urls"].samples[0].value == 5
    assert families["urlcheck_last_check_timestamp_seconds"].samples[0].value > 1.6e9


def test_healthz_answers_without_checking_or_reading_files(mixed: Path, site: Served) -> None:
    client = make_app(mixed).test_client()
    mixed.unlink()  # not even a missing file matters
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert response.get_json()["last_checked"] is None
    assert site.log == []


def test_head_answers_without_a_body(mixed: Path) -> None:
    client = make_app(mixed).test_client()
    for endpoint in ("/", "/api/results", "/metrics", "/healthz"):
        response = client.head(endpoint)
        assert response.status_code == 200, endpoint
        assert response.get_data() == b""


# Headers and errors.

EVERY_KIND_OF_RESPONSE = [
    ("GET", "/", 200),
    ("GET", "/?failed=1", 200),
    ("HEAD", "/", 200),
    ("GET", "/api/results", 200),
    ("GET", "/metrics", 200),
    ("GET", "/healthz", 200),
    ("GET", "/static/urlcheck.css", 200),
    ("GET", "/static/urlcheck.js", 200),
    ("GET", "/static/favicon.svg", 200),
    ("GET", "/static/nothing.css", 404),
    ("GET", "/no/such/page", 404),
    ("GET", "/api/nothing", 404),
    ("POST", "/", 405),
    ("PUT", "/api/results", 405),
    ("DELETE", "/metrics", 405),
    ("OPTIONS", "/", 405),
    ("GET", "/check", 405),
    ("POST", "/healthz", 405),
    ("POST", "/check", 303),
    ("GET", "/boom", 500),
    ("GET", "/api/boom", 500),
]


def app_with_a_bug(path: Path) -> Flask:
    """The real app plus two routes that raise, to see the 500 handler (added before use)."""
    app = make_app(path)

    def boom() -> str:
        raise RuntimeError("a bug with a secret: s3cret")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    return app


@pytest.mark.parametrize(("method", "endpoint", "status"), EVERY_KIND_OF_RESPONSE)
def test_security_headers_and_server_timing_on_every_response(
    mixed: Path, method: str, endpoint: str, status: int
) -> None:
    with app_with_a_bug(mixed).test_client().open(endpoint, method=method) as response:
        assert response.status_code == status
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert re.search(r"(^|, )total;dur=\d+\.\d$", headers["Server-Timing"])
    if not endpoint.startswith("/static/") or status != 200:
        assert headers["Cache-Control"] == "no-store"


def test_errors_are_pages_for_pages_and_json_for_the_api(mixed: Path) -> None:
    client = app_with_a_bug(mixed).test_client()
    page = client.get("/no/such/page")
    assert page.content_type == "text/html; charset=utf-8"
    assert "404" in text(page)
    assert "Not Found" in text(page)
    api = client.get("/api/nothing")
    assert api.get_json() == {
        "status": 404,
        "error": "Not Found",
        "message": api.get_json()["message"],
    }
    wrong = client.delete("/api/results")
    assert wrong.status_code == 405
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    assert wrong.get_json()["error"] == "Method Not Allowed"
    assert client.get("/check").headers["Allow"] == "POST"
    assert "405" in text(client.post("/"))
    bug = client.get("/boom")
    assert bug.status_code == 500
    assert "Internal Server Error" in text(bug)
    assert "s3cret" not in text(bug)  # the exception's text stays in the log
    assert client.get("/api/boom").get_json()["status"] == 500


def test_json_error_for_a_too_large_body(mixed: Path) -> None:
    response = make_app(mixed).test_client().post("/check", data={"failed": "1" * 100_000})
    assert response.status_code == 413
    assert "Content-Security-Policy" in response.headers


# Check now.


def test_check_now_checks_again_and_shows_the_page(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    client = make_app(path, cache_ttl=0.0).test_client()
    client.get("/")
    response = client.post("/check")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert site.requests_to("/ok") == ["HEAD", "HEAD"]
    assert client.post("/check", data={"failed": "1"}).headers["Location"] == "/?failed=1"


def test_check_now_reuses_results_seconds_old(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    client = make_app(path, cache_ttl=60.0).test_client()
    client.get("/")
    client.post("/check")
    client.post("/check")
    assert site.requests_to("/ok") == ["HEAD"]  # a double click checks once


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost"},
    ],
)
def test_check_now_refuses_posts_from_other_sites(
    tmp_path: Path, site: Served, headers: dict[str, str]
) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    response = make_app(path).test_client().post("/check", headers=headers)
    assert response.status_code == 403
    assert site.log == []


def test_check_now_from_the_page_itself_is_fine(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    client = make_app(path).test_client()
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/check", headers=same).status_code == 303
    assert client.post("/check", headers={"Origin": "http://localhost"}).status_code == 303


# The cache: one check per ttl, and concurrent requests share it.


def test_results_are_reused_within_the_ttl(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/ok"), site.url("/status/404"))
    client = make_app(path, cache_ttl=60.0).test_client()
    first = client.get("/")
    assert "check;dur=" in first.headers["Server-Timing"]
    for endpoint in ("/", "/?failed=1", "/api/results", "/metrics"):
        again = client.get(endpoint)
        assert again.status_code == 200
        assert 'cache;desc="hit' in again.headers["Server-Timing"]
    assert site.requests_to("/ok") == ["HEAD"]
    assert site.requests_to("/status/404") == ["HEAD", "GET"]


def test_results_older_than_the_ttl_are_checked_again(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    client = make_app(path, cache_ttl=0.3).test_client()
    client.get("/")
    client.get("/")
    assert site.requests_to("/ok") == ["HEAD"]
    time.sleep(0.4)
    client.get("/")
    assert site.requests_to("/ok") == ["HEAD", "HEAD"]


def test_concurrent_requests_in_two_threads_share_one_check(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/slow?delay=1"))
    app = make_app(path)
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str, str]] = []

    def load(endpoint: str) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.get(endpoint)
        answers.append((response.status_code, response.headers["Server-Timing"], text(response)))

    threads = [threading.Thread(target=load, args=(e,)) for e in ("/", "/api/results")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert site.requests_to("/slow?delay=1") == ["HEAD"]
    assert sorted(status for status, _, _ in answers) == [200, 200]
    timings = " ".join(timing for _, timing, _ in answers)
    assert 'desc="checked 1 URL"' in timings
    assert "waited for a running check" in timings
    assert all(site.url("/slow?delay=1") in body for _, _, body in answers)


# The URL files: read again only when they change.


def test_a_changed_file_is_read_again_on_the_next_request(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    client = make_app(path, cache_ttl=60.0).test_client()
    client.get("/")
    unchanged = client.get("/")
    assert "list;" not in unchanged.headers["Server-Timing"]
    url_file(tmp_path, site.url("/ok"), site.url("/status/404"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    changed = client.get("/")
    assert "list;dur=" in changed.headers["Server-Timing"]
    assert site.url("/status/404") in text(changed)
    assert "1 of 2 URLs failing" in text(changed)  # a new list is checked at once
    assert "list;" not in client.get("/").headers["Server-Timing"]


def test_a_touched_but_unchanged_file_keeps_the_results(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    client = make_app(path, cache_ttl=60.0).test_client()
    client.get("/")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    response = client.get("/")
    assert "list;dur=" in response.headers["Server-Timing"]
    assert 'cache;desc="hit' in response.headers["Server-Timing"]
    assert site.requests_to("/ok") == ["HEAD"]


def test_a_file_that_goes_away_is_reported_on_the_page(tmp_path: Path, site: Served) -> None:
    keep = url_file(tmp_path, site.url("/ok"), name="keep.txt")
    gone = url_file(tmp_path, site.url("/status/404"), name="gone.txt")
    client = create_app([str(keep), str(gone)], FAST).test_client()
    html = text(client.get("/"))
    assert "1 of 2 URLs failing" in html
    assert f'<span class="where">{keep}:1 · HEAD</span>' in html  # two files: say which
    gone.unlink()
    html = text(client.get("/"))
    assert f"{gone}: no such file" in html
    assert '<p class="alert" role="alert">' in html
    assert "All 1 URL fine" in html
    assert client.get("/api/results").get_json()["errors"] == [f"{gone}: no such file"]


def test_create_app_needs_a_readable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        create_app([str(tmp_path / "missing.txt")])
    with pytest.raises(InputError, match="is a directory"):
        create_app(str(tmp_path))


def test_options_can_be_literals_as_on_a_gunicorn_line(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/status/401"))
    app = create_app(str(path), {"accept": "200..299,401", "retries": 0, "headers": {"X-A": "b"}})
    result = app.test_client().get("/api/results").get_json()["results"][0]
    assert result["ok"] is True
    assert site.log[0][2]["X-A"] == "b"
    assert create_app(str(path), CheckOptions(retries=1)) is not None


def test_the_readme_gunicorn_line_loads_the_app(tmp_path: Path, site: Served) -> None:
    util = pytest.importorskip("gunicorn.util", reason="gunicorn comes with the test extra")
    path = url_file(tmp_path, site.url("/ok"))
    app = util.import_app(f'urlcheck.web:create_app(["{path}"], {{"timeout": 5}}, interval=30)')
    assert isinstance(app, Flask)
    assert text(app.test_client().get("/")).count('<tr class="result ') == 1


# The command line: options, and only --serve loads Flask and waitress.


def test_serve_options_are_documented_and_validated(tmp_path: Path) -> None:
    runner = CliRunner()
    help_text = runner.invoke(cli, ["-h"]).stdout
    for option in ("--serve", "--host", "--port", "--interval", "--cache-ttl"):
        assert option in help_text
    assert "URLCHECK_CACHE_TTL" in help_text
    path = str(url_file(tmp_path, "http://127.0.0.1:1/"))
    for args in (
        ["--port", "70000"],
        ["--port", "-1"],
        ["--interval", "-1"],
        ["--cache-ttl", "-1"],
        ["--cache-ttl", "soon"],
    ):
        result = runner.invoke(cli, ["--serve", *args, path])
        assert result.exit_code == 2, args
        assert "Invalid value" in result.stderr


def test_serve_needs_a_readable_file_not_standard_input(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--serve", "-"], input="http://127.0.0.1:1/\n")
    assert result.exit_code == 2
    assert "standard input" in result.stderr
    result = runner.invoke(cli, ["--serve", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"urlcheck: error: {tmp_path / 'missing.txt'}: no such file"
    ]


def test_only_the_serve_path_imports_flask_and_waitress() -> None:
    code = (
        "import sys\n"
        "import urlcheck.web.serve\n"
        "from urlcheck.cli import main\n"
        "for args in (['--version'], ['-h']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in ('flask', 'waitress', 'werkzeug', 'jinja2') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stderr


# The real server: `urlcheck --serve` in a process of its own, stopped with Ctrl-C.


def test_serve_listens_on_loopback_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, site: Served
) -> None:
    path = url_file(tmp_path, site.url("/ok"))
    with urlcheck_serve(str(path), env={"URLCHECK_PORT": "0"}) as server:
        assert server.url.startswith("http://127.0.0.1:")
        status, headers, body = server.get("/")
        assert status == 200
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "Server-Timing" in headers
        assert headers["Server"] == "urlcheck"
        assert site.url("/ok") in body
        status, headers, _ = server.get("/nothing")
        assert status == 404
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert not any("warning" in line for line in server.stderr)
    assert server.proc.returncode == 0
    output = "".join(server.stderr)
    assert "Traceback" not in output
    assert output.rstrip().endswith("urlcheck: stopped")


def test_serve_warns_when_listening_beyond_loopback(tmp_path: Path) -> None:
    path = url_file(tmp_path, "http://127.0.0.1:1/")
    with urlcheck_serve("--host", "0.0.0.0", "--port", "0", str(path)) as server:
        warning = "".join(server.stderr)
        assert "warning: listening on 0.0.0.0, which is not a loopback address" in warning
    assert server.proc.returncode == 0


def test_serve_says_in_one_line_when_the_port_is_taken(tmp_path: Path) -> None:
    path = url_file(tmp_path, "http://127.0.0.1:1/")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "urlcheck", "--serve", "--port", str(port), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"urlcheck: error: cannot listen on 127.0.0.1:{port}: the port is already in use "
        "(choose another with --port)"
    ]


LOAD_REQUESTS = 200


def test_200_concurrent_page_loads_make_one_check(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/slow?delay=1"), site.url("/ok"))
    with urlcheck_serve("--port", "0", "--cache-ttl", "600", str(path)) as server:
        with ThreadPoolExecutor(max_workers=LOAD_REQUESTS) as pool:
            answers = list(pool.map(lambda _: server.get("/", timeout=120), range(LOAD_REQUESTS)))
        assert [status for status, _, _ in answers] == [200] * LOAD_REQUESTS
        assert all(site.url("/slow?delay=1") in body for _, _, body in answers)
        assert server.get("/healthz")[0] == 200
    assert site.requests_to("/slow?delay=1") == ["HEAD"]
    assert site.requests_to("/ok") == ["HEAD"]
    assert server.proc.returncode == 0


def test_a_slow_check_does_not_block_healthz(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/slow?delay=3"))
    with urlcheck_serve("--port", "0", str(path)) as server:
        done = threading.Event()
        pages: list[int] = []

        def load_pages() -> None:
            with ThreadPoolExecutor(max_workers=4) as pool:
                pages.extend(s for s, _, _ in pool.map(lambda _: server.get("/"), range(4)))
            done.set()

        loader = threading.Thread(target=load_pages)
        loader.start()
        while not site.log:  # the check has reached the slow server
            time.sleep(0.02)
        latencies = []
        for _ in range(5):
            started = time.perf_counter()
            status, _, body = server.get("/healthz", timeout=10)
            latencies.append(time.perf_counter() - started)
            assert status == 200
            assert json.loads(body)["checking"] is True
            time.sleep(0.1)
        still_checking = not done.is_set()
        loader.join(timeout=60)
    assert still_checking, "the check ended before /healthz was measured"
    assert max(latencies) < 1.5, latencies  # generous: the machine is shared; the check takes 3 s
    assert pages == [200] * 4
    assert site.requests_to("/slow?delay=3") == ["HEAD"]


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    path = url_file(tmp_path, "http://127.0.0.1:1/")
    with urlcheck_serve("--port", "0", str(path)) as server:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=30)
    assert server.proc.returncode == 0
    assert "Traceback" not in "".join(server.stderr)


def test_ctrl_c_during_a_check_cancels_it_and_stops_at_once(tmp_path: Path, site: Served) -> None:
    path = url_file(tmp_path, site.url("/slow?delay=60"))
    with urlcheck_serve("--port", "0", str(path)) as server:
        answers: list[int] = []
        loader = threading.Thread(target=lambda: answers.append(server.get("/", timeout=60)[0]))
        loader.start()
        while not site.log:  # the check has reached the slow server
            time.sleep(0.02)
        started = time.monotonic()
        server.proc.send_signal(signal.SIGINT)
        server.proc.wait(timeout=30)
        stopped_in = time.monotonic() - started
        loader.join(timeout=30)
    assert server.proc.returncode == 0
    assert stopped_in < 10, stopped_in  # not the 60 s the check would take
    output = "".join(server.stderr)
    assert "Traceback" not in output
    assert answers == [503]  # the waiting page is told the server is stopping
