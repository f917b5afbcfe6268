"""Health-check expectations per line, --max-ms, and TLS certificate days (issue 6)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner

from urlcheck import CheckOptions, CheckResult, ErrorKind, check_urls
from urlcheck.cli import cli
from urlcheck.inputs import parse_line

from .servers import Served, demo_app, serve_app

FAST = CheckOptions(retries=0, timeout=5)


async def check(lines: list[str], options: CheckOptions = FAST) -> list[CheckResult]:
    targets = [parse_line(line, source="f", line=n) for n, line in enumerate(lines, 1)]
    async with contextlib.aclosing(check_urls(targets, options)) as results:
        return sorted([r async for r in results], key=lambda r: r.line)


async def test_status_expectation_overrides_accept(server: Served) -> None:
    fine, wrong = await check(
        [f"{server.url('/status/404')} status=404", f"{server.url('/ok')} status=201..204"]
    )
    assert fine.ok
    assert (wrong.ok, wrong.error_kind) == (False, ErrorKind.STATUS)
    assert wrong.error is not None
    assert "201..204" in wrong.error


async def test_max_ms_fails_slow_answers_as_slow(server: Served) -> None:
    slow, quick = await check(
        [f"{server.url('/slow?delay=0.4')} max-ms=100", f"{server.url('/ok')} max-ms=5000"]
    )
    assert (slow.ok, slow.status, slow.error_kind) == (False, 200, ErrorKind.SLOW)
    assert slow.error is not None
    assert "the limit is 100 ms" in slow.error
    assert quick.ok
    (global_limit,) = await check(
        [server.url("/slow?delay=0.4")], CheckOptions(retries=0, max_ms=100)
    )
    assert global_limit.error_kind == ErrorKind.SLOW
    (line_wins,) = await check(
        [f"{server.url('/slow?delay=0.4')} max-ms=5000"], CheckOptions(retries=0, max_ms=100)
    )
    assert line_wins.ok


async def test_contains_reads_the_first_64_kib_with_get(server: Served) -> None:
    early, late, missing = await check(
        [
            f'{server.url("/big")} contains="early-marker"',
            f'{server.url("/big")} contains="late-marker"',
            f'{server.url("/ok")} contains="not there"',
        ]
    )
    assert (early.ok, early.method) == (True, "GET")
    assert (late.ok, late.error_kind) == (False, ErrorKind.CONTENT)
    assert late.error is not None
    assert "64 KiB" in late.error
    assert missing.error_kind == ErrorKind.CONTENT
    assert "HEAD" not in server.requests_to("/big")


async def test_a_malformed_expectation_fails_only_its_line(server: Served) -> None:
    bad, good = await check([f"{server.url('/ok')} speed=fast", server.url("/ok")])
    assert (bad.ok, bad.error_kind, bad.attempts) == (False, ErrorKind.INVALID_EXPECTATION, 0)
    assert bad.error is not None
    assert bad.error.startswith("f:1: unknown expectation 'speed'")
    assert good.ok
    assert server.requests_to("/ok") == ["HEAD"]


async def test_same_url_with_other_expectations_is_judged_separately(server: Served) -> None:
    results = await check(
        [server.url("/status/404"), f"{server.url('/status/404')} status=404",
         server.url("/status/404")]
    )  # fmt: skip
    assert [r.ok for r in results] == [False, True, False]
    assert len(server.requests_to("/status/404")) == 4  # (HEAD + GET) twice, not three times


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@contextlib.contextmanager
def tls_server(ca: trustme.CA, days: float) -> Iterator[Served]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    now = dt.datetime.now(dt.UTC)
    ca.issue_cert(
        "127.0.0.1", not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=days)
    ).configure_cert(context)
    with serve_app(demo_app(), ssl_context=context) as served:
        yield served


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_cert_days_are_reported_and_enforced(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    with tls_server(ca, days=10) as tls:
        urls = tmp_path / "urls.txt"
        urls.write_text(tls.url("/ok") + "\n")
        base = ["--retries", "0", "--format", "json", "--ca-bundle", ca_file, str(urls)]
        fine = CliRunner().invoke(cli, base)
        (record,) = json.loads(fine.stdout)
        assert record["ok"] is True
        assert 9.9 < record["cert_days"] < 10.1
        strict = CliRunner().invoke(cli, ["--cert-days", "30", *base])
        (record,) = json.loads(strict.stdout)
        assert (record["ok"], record["error_kind"]) == (False, "cert_expiry")
        assert "fewer than --cert-days 30" in record["error"]
        assert strict.exit_code == 1
        table = CliRunner().invoke(cli, ["--retries", "0", "--ca-bundle", ca_file, str(urls)])
        assert "Cert" in table.stdout
        assert "10 d" in table.stdout
        metrics = CliRunner().invoke(
            cli, ["--retries", "0", "--format", "prometheus", "--ca-bundle", ca_file, str(urls)]
        )
        assert "probe_ssl_earliest_cert_expiry{url=" in metrics.stdout


def test_ssl_cert_file_is_honoured_like_curl(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    with tls_server(ca, days=90) as tls:
        urls = tmp_path / "urls.txt"
        urls.write_text(tls.url("/ok") + "\n")
        command = [
            sys.executable,
            "-m",
            "urlcheck",
            "--retries",
            "0",
            "--format",
            "jsonl",
            str(urls),
        ]
        untrusted = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert json.loads(untrusted.stdout)["error_kind"] == "tls"
        env = {**os.environ, "SSL_CERT_FILE": ca_file}
        trusted = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
        assert json.loads(trusted.stdout)["ok"] is True
        assert trusted.returncode == 0


def test_a_bad_ca_bundle_is_a_usage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    urls = tmp_path / "urls.txt"
    urls.write_text("https://a.test/\n")
    result = CliRunner().invoke(cli, ["--ca-bundle", str(junk), str(urls)])
    assert result.exit_code == 2
    assert "--ca-bundle" in result.stderr
    assert "Traceback" not in result.stderr


def test_insecure_reports_no_cert_days(ca: trustme.CA, tmp_path: Path) -> None:
    with tls_server(ca, days=10) as tls:
        urls = tmp_path / "urls.txt"
        urls.write_text(tls.url("/ok") + "\n")
        result = CliRunner().invoke(
            cli,
            ["--retries", "0", "--insecure", "--cert-days", "30", "--format", "jsonl", str(urls)],
        )
        record = json.loads(result.stdout)
        assert (record["ok"], record["cert_days"]) == (True, None)


def test_the_page_shows_cert_days(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    from urlcheck.web import create_app

    with tls_server(ca, days=10) as tls:
        urls = tmp_path / "urls.txt"
        urls.write_text(tls.url("/ok") + "\n")
        app = create_app([str(urls)], {"retries": 0, "ca_bundle": ca_file})
        page = app.test_client().get("/").get_data(as_text=True)
    assert '<span class="cert cert-fail" title="TLS certificate expires in 10.0 days">' in page
    assert "cert 10 d" in page
