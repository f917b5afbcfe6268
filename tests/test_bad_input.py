"""Bad input: unreadable files, broken bytes, odd URLs, huge lines and lists, bad options.

Each gets a clear message naming the file (and the line), the good lines are still checked,
and the exit code follows the contract: 1 when some URL failed (an invalid line counts),
2 when nothing could be checked. The parser itself is tested with hypothesis.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from urlcheck import inputs, sources
from urlcheck.cli import cli
from urlcheck.inputs import BOM, iter_stream, parse_line
from urlcheck.models import ErrorKind
from urlcheck.scan import scan_sources

from .faults import fault_app, run_urlcheck
from .servers import Served, serve_app

FAST = ["--timeout", "2", "--retries", "0"]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def records(result: Result | subprocess.CompletedProcess[str]) -> dict[int, dict[str, object]]:
    """JSON-lines output by line number; fails if a line got more than one result."""
    found = [json.loads(line) for line in result.stdout.splitlines()]
    by_line = {int(r["line"]): r for r in found}
    assert len(by_line) == len(found), "one result per line"
    return by_line


@pytest.fixture
def good(tmp_path: Path, app: Served) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(f"{app.url('/ok')}\n{app.url('/any/x')}\n")
    return path


# Files that cannot be read at all.


def unreadable(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    return {
        "missing": (tmp_path / "missing.txt", "missing.txt: no such file"),
        "directory": (tmp_path, f"{tmp_path}: no Markdown or HTML documents in it"),
        "binary": (binary, "blob.bin: looks like a binary file"),
    }


@pytest.mark.parametrize("case", ["missing", "directory", "binary"])
def test_an_unreadable_file_alone_exits_2_with_one_line(case: str, tmp_path: Path) -> None:
    path, message = unreadable(tmp_path)[case]
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_unreadable_files_beside_a_good_one_still_check_it(
    tmp_path: Path, good: Path, app: Served
) -> None:
    bad = unreadable(tmp_path)
    result = run(*FAST, "--format", "jsonl", *(str(p) for p, _ in bad.values()), str(good))
    assert result.exit_code == 1  # the good URLs are fine, but not everything could be read
    assert {r["url"] for r in records(result).values()} == {app.url("/ok"), app.url("/any/x")}
    assert all(r["ok"] for r in records(result).values())
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    for (_, message), line in zip(bad.values(), lines, strict=True):
        assert message in line


def test_an_empty_list_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(BOM + b"# only a comment\r\n\r\n   \n")
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stderr == f"urlcheck: error: no URLs found in {path}\n"


# Broken lines among good ones: only the broken line fails, naming its file and line.


def test_invalid_utf8_spoils_only_its_line(tmp_path: Path, app: Served) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(
        f"{app.url('/ok')}\n".encode()
        + b"http://caf\xe9.example/\n"
        + f"{app.url('/any/y')}\n".encode()
    )
    result = run(*FAST, "--format", "jsonl", str(path))
    assert result.exit_code == 1
    got = records(result)
    assert (got[1]["ok"], got[3]["ok"]) == (True, True)
    assert got[2]["error_kind"] == "invalid_url"
    assert got[2]["error"] == f"{path}:2: the line is not valid UTF-8 (byte 11)"
    assert got[2]["attempts"] == 0


def test_a_bom_and_crlf_endings_are_invisible(tmp_path: Path, app: Served) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes(
        BOM + f"{app.url('/ok')}\r\n# comment\r\n\r\n  {app.url('/any/z')}  \r\n".encode()
    )
    result = run(*FAST, "--format", "jsonl", str(path))
    assert result.exit_code == 0
    got = records(result)
    assert sorted(got) == [1, 4]
    assert got[1]["url"] == app.url("/ok")  # no BOM in the URL
    assert all(r["ok"] for r in got.values())


def test_a_1_mb_line_is_reported_and_the_next_lines_still_checked(
    tmp_path: Path, app: Served
) -> None:
    path = tmp_path / "long.txt"
    huge = "http://user:hunter2@example.invalid/" + "a" * 1_048_576
    path.write_text(f"{app.url('/ok')}\n{huge}\n{app.url('/any/after')}\n")
    result = run(*FAST, "--format", "jsonl", str(path))
    assert result.exit_code == 1
    got = records(result)
    assert (got[1]["ok"], got[3]["ok"]) == (True, True)
    assert got[2]["error_kind"] == "invalid_url"
    assert got[2]["error"] == (
        f"{path}:2: the line is 1,048,612 bytes long; a URL line may be at most 65,536"
    )
    assert len(str(got[2]["url"])) < 100
    assert "hunter2" not in result.stdout


def test_an_over_long_line_never_shows_a_password_even_in_part() -> None:
    long_user = b"http://" + b"u" * 70_000 + b":hunter2@example.com/\n"
    cut_path = b"http://user:hunter2@example.com/" + b"p" * 70_000 + b"\n"
    targets = list(iter_stream(io.BytesIO(long_user + cut_path), "f"))
    assert [t.display for t in targets] == [
        "http://…",
        "http://user:***@example.com/" + "p" * 52 + "…",
    ]
    assert all("bytes long" in str(t.problem) for t in targets)


def test_only_invalid_lines_exit_1_not_2(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_text("javascript:alert(1)\nhttp://a.test/ not-an-expectation\n")
    result = run("--format", "jsonl", str(path))
    assert result.exit_code == 1  # lines were read and judged: they failed
    assert {r["error_kind"] for r in records(result).values()} == {
        "invalid_url",
        "invalid_expectation",
    }


# Odd URLs: each is either checked for real or rejected naming its file and line.


ODD_INVALID = [
    ("http://[::1", "invalid_url", "cannot parse the URL: Invalid IPv6 URL"),
    ("javascript:alert(1)", "invalid_url", "unsupported scheme 'javascript'"),
    ("file:///etc/passwd", "invalid_url", "unsupported scheme 'file'"),
    ("http://", "invalid_url", "no host in the URL"),
    ("http://a..b/", "invalid_url", "invalid host name 'a..b'"),
    ("http://.../", "invalid_url", "invalid host name '...'"),
    (f"http://{'a' * 64}.example/", "invalid_url", "invalid host name"),
    ("http://1.2.3.4.5/", "invalid_url", "invalid host name '1.2.3.4.5'"),
    ("http://127.1/", "invalid_url", "invalid host name '127.1'"),
    ("http://[:::]/", "invalid_url", "invalid IPv6 address"),
    ("http://exa\x01mple.com/", "invalid_url", "control characters"),
    ("http://example.com:99999/", "invalid_url", "Port out of range"),
    ("www.example.com", "invalid_url", "did you mean https://www.example.com?"),
    ("http://a b.example/", "invalid_expectation", "'b.example/' after the URL"),
]


@pytest.mark.parametrize(("line", "kind", "fragment"), ODD_INVALID)
def test_an_odd_url_is_rejected_naming_file_and_line(line: str, kind: str, fragment: str) -> None:
    target = parse_line(line, source="odd.txt", line=7)
    assert target is not None
    assert target.problem is not None
    assert str(target.problem_kind) == kind
    assert target.problem.startswith("odd.txt:7: ")
    assert fragment in target.problem
    assert "\n" not in target.problem


def test_odd_urls_in_one_run_of_the_command(tmp_path: Path, app: Served) -> None:
    with serve_app(fault_app(), host="::1") as ipv6:
        stack = [
            (app.url("/any/straße/ü?q=ä"), None),  # non-ASCII path and query
            (ipv6.url("/ok").replace("::1", "[::1]"), None),  # an IPv6 literal
            ("http://bücher.invalid/", "dns"),  # an IDN host name, sent as punycode
            *((line, kind) for line, kind, _ in ODD_INVALID),
        ]
        path = tmp_path / "odd.txt"
        path.write_text("".join(f"{line}\n" for line, _ in stack), encoding="utf-8")
        proc = run_urlcheck(*FAST, "--format", "jsonl", str(path))
    assert proc.returncode == 1
    assert proc.stderr == ""
    got = records(proc)
    assert sorted(got) == list(range(1, len(stack) + 1))
    assert [got[n]["error_kind"] for n in sorted(got)] == [kind for _, kind in stack]
    assert "xn--bcher-kva.invalid" in str(got[3]["error"])
    assert ("HEAD", "/any/stra%C3%9Fe/%C3%BC?q=%C3%A4") in [(m, p) for m, p, _ in app.log]
    assert ipv6.requests_to("/ok") == ["HEAD"]
    for number in range(4, len(stack) + 1):
        assert str(got[number]["error"]).startswith(f"{path}:{number}: ")


# Options out of range: exit 2 before anything is checked.


@pytest.mark.parametrize(
    ("args", "env", "option"),
    [
        (["--concurrency", "0"], {}, "--concurrency"),
        (["--timeout", "-1"], {}, "--timeout"),
        (["--retries", "999"], {}, "--retries"),
        (["--max-redirects", "-1"], {}, "--max-redirects"),
        (["--accept", "99..100"], {}, "--accept"),
        ([], {"URLCHECK_PER_HOST": "-5"}, "--per-host"),
        ([], {"URLCHECK_TIMEOUT": "soon"}, "--timeout"),
    ],
)
def test_an_option_out_of_range_exits_2_and_checks_nothing(
    args: list[str], env: dict[str, str], option: str, good: Path, app: Served
) -> None:
    result = CliRunner().invoke(cli, [*args, str(good)], env=env)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert app.log == [], "nothing is checked"


# Headers are checked once, for every door: no line break, no NUL, names that are tokens.


@pytest.mark.parametrize(
    ("args", "env", "option"),
    [
        (["--user-agent", "ua\r\nX-Injected: yes"], {}, "--user-agent"),
        (["--user-agent", "ua\nX-Injected: yes"], {}, "--user-agent"),
        ([], {"URLCHECK_USER_AGENT": "ua\rX-Injected: yes"}, "--user-agent"),
        (["--header", "X-A: one\rX-Injected: yes"], {}, "--header"),
        (["--header", "X-A: nul\x00"], {}, "--header"),
        (["--header", "Bad Name: v"], {}, "--header"),
        (["--header", "X(A): v"], {}, "--header"),
        ([], {"URLCHECK_HEADER": "X-A: v\nBad Name: w"}, "--header"),
    ],
)
def test_a_header_that_would_inject_another_exits_2_and_sends_nothing(
    args: list[str], env: dict[str, str], option: str, good: Path, app: Served
) -> None:
    result = CliRunner().invoke(cli, [*args, str(good)], env=env)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("urlcheck: error: ")
    assert f"'{option}'" in line
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert app.log == [], "no request is sent"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"user_agent": "ua\r\nX-Injected: yes"}, "user_agent"),
        ({"headers": (("X-A", "v\nX-B: w"),)}, "headers"),
        ({"headers": (("X-A", "nul\x00"),)}, "headers"),
        ({"headers": (("Bad Name", "v"),)}, "headers"),
        ({"headers": (("", "v"),)}, "headers"),
        ({"headers": ("X-A: v",)}, "headers"),
    ],
)
def test_the_library_refuses_such_headers_with_a_value_error(
    options: dict[str, object], field: str
) -> None:
    from urlcheck import CheckOptions

    with pytest.raises(ValueError, match=f"^{field}: "):
        CheckOptions(**options)  # type: ignore[arg-type]


# A million lines: reading streams, so memory stays flat.

PEAK_RSS = """
import resource, sys
from urlcheck.sources import open_sources
reader = open_sources([sys.argv[1]])
count = sum(1 for _ in reader)
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kib(path: Path) -> tuple[int, int]:
    """(targets read, peak RSS in KiB) of a fresh process that reads `path`."""
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    count, peak = proc.stdout.split()
    return int(count), int(peak)


def write_list(path: Path, lines: int) -> Path:
    """`lines` URL lines, plus a comment and a blank line per thousand.

    One in ten is an https URL that yarl parses; the rest are ftp URLs, rejected as
    invalid_url after a glance: each still becomes a target with a message, so a reader
    that kept what it read would grow just the same, and the test stays fast.
    """
    with path.open("w") as out:
        for n in range(lines):
            if n % 10:
                out.write(f"ftp://files{n}.example/pub/{n}.tar.gz\n")
            else:
                out.write(f"https://host{n % 5000}.example/some/path/{n}?page={n}\n")
            if n % 1000 == 0:
                out.write("# a comment\n\n")
    return path


def test_a_million_lines_are_read_in_flat_memory(tmp_path: Path) -> None:
    small_count, small_peak = peak_rss_kib(write_list(tmp_path / "10k.txt", 10_000))
    big_count, big_peak = peak_rss_kib(write_list(tmp_path / "1m.txt", 1_000_000))
    assert (small_count, big_count) == (10_000, 1_000_000)
    # The file is ~55 MB: holding its lines would add far more than this.
    assert big_peak - small_peak < 8 * 1024, f"{small_peak} KiB → {big_peak} KiB"


# The parser, property-based: it never raises, and every URL line yields exactly one target.


def expected_numbers(lines: list[bytes]) -> list[int]:
    """The numbers of the lines that must yield a target: neither blank nor a comment."""
    numbers = []
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        text = raw.decode("utf-8", errors="replace").strip()
        if text and not text.startswith("#"):
            numbers.append(number)
    return numbers


LINE_PARTS = st.sampled_from(
    [
        *(b"http://a.test/", b"https://user:pw@b.test/x", b"x", b"a" * 40, b" status=200"),
        *(b"#", b" ", b"\t", b"\r", BOM, b"\x1c", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe3\x80\x80"),
        *(b"\xff", b"\xc3", b"\x00", b"caf\xc3\xa9", b"'", b"\\", b' contains="a b"'),
    ]
)
"""Pieces that matter to the parser: URLs, comments, every kind of white space (ASCII and
Unicode, which bytes.strip and str.strip disagree on), broken UTF-8, quotes for shlex."""
LINES = st.lists(
    st.one_of(st.binary(max_size=30), st.lists(LINE_PARTS, max_size=6).map(b"".join)).map(
        lambda raw: raw.replace(b"\n", b"")
    ),
    max_size=12,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(lines=LINES, final_newline=st.booleans(), limit=st.sampled_from([16, 40, 65536]))
@example(
    lines=[BOM + b"http://a.test/" + b"x" * 40, b"http://b.test/"], final_newline=True, limit=40
)
@example(lines=[b" " * 50 + b"http://a.test/", b"\xff" + b" " * 50], final_newline=False, limit=16)
@example(lines=[b"\x1c#\xff comment", b" " * 70], final_newline=True, limit=16)
def test_every_url_line_yields_exactly_one_target(
    lines: list[bytes], final_newline: bool, limit: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    with mock.patch.object(inputs, "MAX_LINE_BYTES", limit):
        targets = list(iter_stream(io.BytesIO(data), "f.txt"))
    assert [t.line for t in targets] == expected_numbers(lines)
    for target in targets:
        assert target.source == "f.txt"
        if target.problem is not None:
            assert target.problem.startswith(f"f.txt:{target.line}: ")
            assert "\n" not in target.problem


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(lines=LINES, final_newline=st.booleans(), limit=st.sampled_from([16, 40, 65536]))
@example(lines=[b"\xe3\x80\x80", b"http://a.test/"], final_newline=True, limit=65536)
def test_the_first_pass_counts_exactly_the_lines_the_run_checks(
    lines: list[bytes], final_newline: bool, limit: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # One rule for what a URL line is: the progress bar's total (the first pass), the
    # targets of one process, and the lines sent to worker processes all agree.
    lines = [line.replace(b"\x00", b"") for line in lines]  # a NUL makes it a binary file
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    path = tmp_path_factory.mktemp("scan") / "urls.txt"
    path.write_bytes(data)
    with mock.patch.object(inputs, "MAX_LINE_BYTES", limit):
        reader = sources.open_sources([str(path)])
        scan = scan_sources(reader.sources)
        assert scan is not None
        raw = list(reader.raw_lines())
        reader = sources.open_sources([str(path)])
        targets = list(reader)
    assert scan.lines == len(targets) == len(raw) == len(expected_numbers(lines))


@settings(max_examples=300)
@given(data=st.binary(max_size=4096))
def test_the_reader_never_raises_on_any_bytes(data: bytes) -> None:
    targets = list(iter_stream(io.BytesIO(data), "-"))
    assert len(targets) <= data.count(b"\n") + 1


@settings(max_examples=500)
@given(text=st.text())
def test_parse_line_never_raises_and_skips_only_blanks_and_comments(text: str) -> None:
    target = parse_line(text, source="t", line=3)
    skipped = not text.strip() or text.strip().startswith("#")
    assert (target is None) == skipped
    if target is not None and target.problem is not None:
        assert target.problem.startswith("t:3: ")
        assert target.problem_kind in (ErrorKind.INVALID_URL, ErrorKind.INVALID_EXPECTATION)


PASSWORD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/?#@"),
    min_size=1,
    max_size=12,
).map(lambda tail: "Pw9" + tail)


@settings(max_examples=300)
@example(scheme="http", password="Pw9\u2028x", host="example.com", tail="/")
@example(scheme="https", password="Pw9 x", host="h", tail=" status=200")
@example(scheme="http", password="Pw9", host="example.com", tail="%\xb8")  # yarl quotes it
@given(
    scheme=st.sampled_from(["http", "https", "ftp", "javascript", "HTTP"]),
    password=PASSWORD,
    host=st.sampled_from(["example.com", "[::1", "a..b", "bücher.example", "", "h:99999"]),
    tail=st.text(max_size=40),
)
def test_a_password_never_shows_whatever_the_line(
    scheme: str, password: str, host: str, tail: str
) -> None:
    line = f"{scheme}://user:{password}@{host}{tail}"
    target = parse_line(line, source="p", line=1)
    assert target is not None
    assert password not in target.display
    assert password not in (target.problem or "")
