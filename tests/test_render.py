"""Renderers are pure: results in, text out."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console

from urlcheck.models import CheckResult, ErrorKind, Summary
from urlcheck.render import (
    csv_header,
    results_table,
    summary_text,
    time_bar,
    to_csv,
    to_json,
    to_jsonl,
    to_junit,
    to_markdown,
    to_prometheus,
)

OK = CheckResult(
    url="https://a.test/",
    line=1,
    ok=True,
    status=200,
    reason="OK",
    elapsed_ms=120.5,
    final_url="https://a.test/",
    method="HEAD",
    attempts=1,
    file="f.txt",
)
MOVED = CheckResult(
    url="http://b.test/",
    line=2,
    ok=True,
    status=200,
    reason="OK",
    elapsed_ms=480.0,
    final_url="https://b.test/home",
    redirects=2,
    method="HEAD",
    attempts=1,
    file="f.txt",
)
DOWN = CheckResult(
    url="https://c.test/" + "x" * 150,
    line=3,
    ok=False,
    elapsed_ms=10_000.0,
    method="HEAD",
    attempts=3,
    error_kind=ErrorKind.TIMEOUT,
    error="no complete answer within 10 s",
    file="f.txt",
)
RESULTS = [OK, MOVED, DOWN]


def render(renderable: object, width: int = 100_000) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_json_has_exactly_the_documented_fields_in_order() -> None:
    data = json.loads(to_json(RESULTS))
    assert [list(d) for d in data] == [list(CheckResult.FIELDS)] * 3
    assert data[2]["error_kind"] == "timeout"
    assert data[0]["error_kind"] is None
    assert data[2]["status"] is None


def test_jsonl_is_one_compact_object() -> None:
    line = to_jsonl(MOVED)
    assert "\n" not in line
    assert json.loads(line)["final_url"] == "https://b.test/home"


def test_jsonl_is_exactly_what_json_makes_of_the_record() -> None:
    """to_jsonl writes each field itself, for speed: it must say what the json module says
    of `to_dict`, for every field set and unset, odd strings and numbers included."""
    odd = CheckResult(
        url='http://a.test/"quoted"\\back\u2028\x00é',
        line=0,
        ok=False,
        status=599,
        reason="Naïve \ud83d",  # a lone surrogate, as a broken server may send
        elapsed_ms=float("nan"),
        final_url="http://a.test/\t",
        redirects=3,
        method="GET",
        attempts=2,
        error_kind=ErrorKind.CERT_EXPIRY,
        error="line1\nline2",
        file="<command line>",
        cert_days=float("-inf"),
        id="0123456789abcdef",
        column=7,
        skipped=True,
        warning=True,
        cached=True,
    )
    whole = CheckResult(url="http://a.test/", line=1, ok=True, elapsed_ms=0, cert_days=12.3456)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for result in [*RESULTS, odd, whole]:
        assert to_jsonl(result) == encode(result.to_dict()), result
        assert list(json.loads(to_jsonl(result))) == list(CheckResult.FIELDS)


def test_csv_has_a_header_and_a_row_each_with_empty_nulls() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(RESULTS))))
    assert rows[0] == list(CheckResult.FIELDS)
    assert len(rows) == 4
    assert rows[3][CheckResult.FIELDS.index("status")] == ""
    assert rows[1][CheckResult.FIELDS.index("ok")] == "True"
    assert csv_header().endswith("\n")


def test_time_bar_scales_to_the_longest() -> None:
    assert time_bar(100, 100) == "█" * 8
    assert time_bar(0, 100) == " " * 8
    assert time_bar(50, 100).strip() == "████"
    assert len(time_bar(33, 100)) == 8
    assert time_bar(5, 0) == ""


def test_table_shows_everything_uncut_when_wide() -> None:
    text = render(results_table(RESULTS))
    assert DOWN.url in text
    assert "2 → https://b.test/home" in text
    assert "200 OK" in text
    assert "timeout" in text
    assert "no complete answer within 10 s" in text
    assert "10,000 ms" in text


def test_table_folds_rather_than_cuts_on_a_narrow_terminal() -> None:
    text = render(results_table([DOWN]), width=80)
    assert "…" not in text
    assert text.count("x") == 150  # every character of the URL is there, folded


def test_summary_line() -> None:
    summary = Summary()
    for result in RESULTS:
        summary.add(result)
    summary.wall_s = 10.2
    text = summary_text(summary, hidden_ok=5).plain
    assert "2 ok · 1 failed · 3 URLs in 10.20 s" in text
    assert "slowest 480 ms http://b.test/" in text
    assert "5 fine URLs not shown" in text


def test_junit_validates_against_the_ci_schema_and_marks_failures() -> None:
    import xml.etree.ElementTree as ET
    from datetime import UTC, datetime
    from pathlib import Path

    import xmlschema

    hostile = CheckResult(
        url='https://d.test/?q=<x>&"y"',
        line=4,
        ok=False,
        status=500,
        reason="<b>Oops</b>",
        elapsed_ms=5.0,
        method="GET",
        attempts=1,
        error_kind=ErrorKind.STATUS,
        error="status 500 is not accepted & <bad>",
        file="other.txt",
    )
    xml = to_junit([*RESULTS, hostile], started=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    schema = xmlschema.XMLSchema(Path(__file__).parent / "data" / "junit.xsd")
    schema.validate(xml)
    root = ET.fromstring(xml)
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        ("f.txt", "3", "1"),
        ("other.txt", "1", "1"),
    ]
    assert suites[0].get("timestamp") == "2026-01-02T03:04:05"
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 4
    failure = cases[3].find("failure")
    assert failure is not None
    assert failure.get("type") == "status"
    assert failure.get("message") == "status 500 is not accepted & <bad>"


def test_prometheus_parses_and_has_one_series_per_url() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    hostile = CheckResult(
        url='https://e.test/"quoted"\\back',
        line=9,
        ok=True,
        status=200,
        elapsed_ms=250.0,
        attempts=1,
    )
    duplicate = CheckResult(url=OK.url, line=7, ok=True, status=200, elapsed_ms=1.0, attempts=1)
    text = to_prometheus([*RESULTS, hostile, duplicate])
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) == {
        "probe_success",
        "probe_http_status_code",
        "probe_duration_seconds",
        "probe_http_redirects",
    }
    success = {s.labels["url"]: s.value for s in families["probe_success"].samples}
    assert success == {OK.url: 1.0, MOVED.url: 1.0, DOWN.url: 0.0, hostile.url: 1.0}
    broken = CheckResult(url="not\ra url", line=1, ok=False, attempts=0)
    (family, *_) = text_string_to_metric_families(to_prometheus([broken]))
    assert [s.labels["url"] for s in family.samples] == ["not\na url"]
    status = {s.labels["url"]: s.value for s in families["probe_http_status_code"].samples}
    assert status[DOWN.url] == 0.0
    duration = {s.labels["url"]: s.value for s in families["probe_duration_seconds"].samples}
    assert duration[OK.url] == 0.1205
    redirects = {s.labels["url"]: s.value for s in families["probe_http_redirects"].samples}
    assert redirects[MOVED.url] == 2.0


def test_markdown_table_escapes_pipes_and_marks_failures() -> None:
    piped = CheckResult(
        url="https://f.test/a|b",
        line=1,
        ok=False,
        status=404,
        reason="Not Found",
        elapsed_ms=3.0,
        attempts=1,
        error_kind=ErrorKind.STATUS,
        error="status 404 | not accepted",
    )
    text = to_markdown([OK, piped])
    lines = text.splitlines()
    assert lines[0].startswith("| | URL | Status")
    assert lines[2].startswith("| ✅ | https://a.test/ | 200 OK |")
    assert "https://f.test/a\\|b" in lines[3]
    assert "status 404 \\| not accepted" in lines[3]
    assert lines[3].startswith("| ❌ |")
    assert all(line.count("|") - line.count("\\|") == 7 for line in lines)


def test_brackets_in_urls_and_errors_are_text_not_markup() -> None:
    odd = CheckResult(
        url="http://a.test/a[/]b[red]x", line=1, ok=False, status=302, reason="Found",
        elapsed_ms=1.0, final_url="http://a.test/[bold]y[/]", redirects=1, attempts=1,
        error_kind=ErrorKind.STATUS, error="status 302 [not] accepted",
    )  # fmt: skip
    text = render(results_table([odd]))
    assert "http://a.test/a[/]b[red]x" in text
    assert "1 → http://a.test/[bold]y[/]" in text
    assert "status 302 [not] accepted" in text
