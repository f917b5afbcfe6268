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
