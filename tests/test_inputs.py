"""Lines → targets: comments, blanks, BOM, CRLF, bad bytes, masking, file errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from urlcheck.errors import InputError
from urlcheck.inputs import (
    MAX_LINE_BYTES,
    LineParser,
    iter_stream,
    open_source,
    parse_line,
    read_targets,
)
from urlcheck.models import ErrorKind
from urlcheck.sources import open_sources
from urlcheck.urls import mask_url, secrets_in, url_problem


def targets_of(data: bytes, source: str = "f.txt") -> list:
    return list(iter_stream(io.BytesIO(data), source))


def test_blank_and_comment_lines_are_skipped_and_lines_keep_their_numbers() -> None:
    targets = targets_of(
        b"# header\n\nhttp://a.test/\n   \n  # indented comment\nhttp://b.test/x\n"
    )
    assert [(t.url, t.line) for t in targets] == [("http://a.test/", 3), ("http://b.test/x", 6)]
    assert all(t.problem is None for t in targets)


def test_bom_crlf_and_surrounding_white_space_are_handled() -> None:
    targets = targets_of(b"\xef\xbb\xbf  http://a.test/\r\n\thttp://b.test/ \r\n")
    assert [t.url for t in targets] == ["http://a.test/", "http://b.test/"]
    assert all(t.problem is None for t in targets)


def test_undecodable_bytes_spoil_only_their_own_line() -> None:
    targets = targets_of(b"http://a.test/\nhttp://b.test/caf\xe9\nhttp://c.test/\n")
    assert [t.problem is None for t in targets] == [True, False, True]
    bad = targets[1]
    assert bad.line == 2
    assert bad.problem is not None
    assert bad.problem.startswith("f.txt:2: ")
    assert "UTF-8" in bad.problem


def test_an_over_long_line_is_reported_without_being_kept() -> None:
    long_line = b"http://a.test/" + b"x" * (MAX_LINE_BYTES * 3) + b"\n"
    targets = targets_of(b"http://first.test/\n" + long_line + b"http://last.test/\n")
    assert [t.line for t in targets] == [1, 2, 3]
    assert targets[1].problem is not None
    assert "bytes long" in targets[1].problem
    assert len(targets[1].display) < 200
    assert targets[2].problem is None


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("www.example.com", "did you mean https://www.example.com"),
        ("javascript:alert(1)", "unsupported scheme 'javascript'"),
        ("file:///etc/passwd", "unsupported scheme 'file'"),
        ("ftp://example.com/", "unsupported scheme 'ftp'"),
        ("http://", "no host"),
        ("http://[::1", "cannot parse"),
        ("http://example.com:99999/", "cannot parse"),
        ("http://exa\x01mple.com/", "control characters"),
    ],
)
def test_unusable_lines_become_problems_naming_file_and_line(line: str, fragment: str) -> None:
    target = parse_line(line, source="list.txt", line=7)
    assert target is not None
    assert target.problem is not None
    assert target.problem.startswith("list.txt:7: ")
    assert fragment in target.problem


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com/a/b?c=d#e",
        "HTTPS://EXAMPLE.COM/",
        "http://[::1]:8080/x",
        "http://127.0.0.1:8000/",
        "https://bücher.example/straße",
        "http://user:pass@example.com/",
    ],
)
def test_usable_urls_have_no_problem(url: str) -> None:
    assert url_problem(url) is None


def test_password_is_masked_for_display_but_kept_for_the_request() -> None:
    target = parse_line("https://user:s3cret@example.com/path")
    assert target is not None
    assert target.url == "https://user:s3cret@example.com/path"
    assert target.display == "https://user:***@example.com/path"
    assert "s3cret" not in repr(target)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("https://u:p@h/", "https://u:***@h/"),
        ("https://u:p@ss@h/x@y", "https://u:***@h/x@y"),
        ("https://token@h/", "https://token@h/"),
        ("https://h/a:b@c", "https://h/a:b@c"),
        ("u:secret@h.example", "u:***@h.example"),
        ("http://u:pw@[::1", "http://u:***@[::1"),
    ],
)
def test_mask_url(given: str, shown: str) -> None:
    assert mask_url(given) == shown


def test_secrets_in_gives_raw_and_decoded_password() -> None:
    assert secrets_in("https://u:p%40ss@h/") == ("p%40ss", "p@ss")
    assert secrets_in("https://h/") == ()


def test_a_line_with_a_password_that_is_invalid_never_shows_the_password() -> None:
    target = parse_line("ftp://user:hunter2@example.com/", source="f", line=1)
    assert target is not None
    assert target.problem is not None
    assert "hunter2" not in target.problem
    assert "hunter2" not in target.display


def test_open_source_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.txt: no such file"):
        open_source(str(tmp_path / "missing.txt"))
    with pytest.raises(InputError, match="is a directory"):
        open_source(str(tmp_path))
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    with pytest.raises(InputError, match="binary"):
        open_source(str(binary))


def test_open_sources_keeps_going_past_a_bad_file(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("http://a.test/\nhttp://b.test/\n")
    reader = open_sources([str(tmp_path / "nope.txt"), str(good)])
    assert len(reader.errors) == 1
    assert "nope.txt" in reader.errors[0]
    assert [t.url for t in reader] == ["http://a.test/", "http://b.test/"]
    assert reader.lines == 2
    assert reader.finished


def test_stdin_source_reads_the_given_stream() -> None:
    reader = open_sources(["-"], io.BytesIO(b"http://a.test/\n"))
    assert [(t.url, t.source) for t in reader] == [("http://a.test/", "<stdin>")]


REPEATED_LINES = [
    "http://a.test/x",
    "https://user:secret@b.test/ status=200 max-ms=800",
    "http://[::1",  # not a URL: its problem names its own line
    "http://c.test/ status=banana",
    "  http://a.test/x  ",
]


@pytest.mark.parametrize("remember", [True, False])
def test_a_repeated_line_parses_as_if_it_were_the_first(remember: bool) -> None:
    """Each line of a list that repeats others gives what parsing it alone gives: its own
    file and number, its URL masked, its expectations, its problem naming it. Only its
    parsed URL is left out once remembered: the first line's request answers it."""
    parser = LineParser((lambda target: True) if remember else None)
    for number, text in enumerate(REPEATED_LINES * 3, start=1):
        source = "a.txt" if number % 2 else "b.txt"
        got = parser.parse(text, source, number)
        want = parse_line(text, source=source, line=number)
        assert got == want
        assert got is not None
        again = remember and number > len(REPEATED_LINES) and not (got.problem or got.expect)
        assert got.parsed == (None if again else want.parsed)  # (parsed is not in ==)
    password = "https://user:secret@b.test/x"
    first = parser.parse(password, "c.txt", 98)
    repeat = parser.parse(password, "c.txt", 99)
    assert first is not None
    assert repeat is not None
    assert (repeat.source, repeat.line) == ("c.txt", 99)
    # remembered, a repeat is the first line's parse moved, not parsed again
    assert (repeat.display is first.display) is remember
    # a line with expectations is parsed anew: a status set may be 10 kB to keep
    with_expect = [parser.parse(REPEATED_LINES[1], "c.txt", n) for n in (101, 102)]
    assert with_expect[0] is not None
    assert with_expect[1] is not None
    assert with_expect[0].expect == with_expect[1].expect
    assert with_expect[0].expect is not with_expect[1].expect
    assert parser.parse("# a comment", "c.txt", 100) is None


def test_read_targets_from_strings() -> None:
    targets = list(read_targets(["\ufeffhttp://a.test/", "# c", "", "bad"], source="mem"))
    assert [(t.line, t.problem is None) for t in targets] == [(1, True), (4, False)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('https://a.test/  status=200  max-ms=800  contains="ok"', ("200", 800.0, "ok")),
        ('https://a.test/\tcontains="two words"', (None, None, "two words")),
        ("https://a.test/ status=200..299,401 # why: a comment", ("200..299,401", None, None)),
    ],
)
def test_expectations_after_the_url(line: str, expected: tuple[object, ...]) -> None:
    target = parse_line(line, source="f", line=1)
    assert target is not None
    assert target.problem is None
    assert target.expect is not None
    status = None if target.expect.status is None else str(target.expect.status)
    assert (status, target.expect.max_ms, target.expect.contains) == expected


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("https://a.test/ foo=1", "unknown expectation 'foo'"),
        ("https://a.test/ status=abc", "status=abc"),
        ("https://a.test/ max-ms=-3", "max-ms=-3"),
        ("https://a.test/ max-ms=fast", "max-ms=fast"),
        ("https://a.test/ trailing words", "'trailing' after the URL is not an expectation"),
        ('https://a.test/ contains="unclosed', "No closing quotation"),
        ("https://a.test/ contains=", "contains= needs some text"),
        ("https://a.test/ status=200 status=201", "status= is given twice"),
    ],
)
def test_malformed_expectations_name_file_and_line(line: str, fragment: str) -> None:
    target = parse_line(line, source="list.txt", line=3)
    assert target is not None
    assert target.problem_kind == ErrorKind.INVALID_EXPECTATION
    assert target.problem is not None
    assert target.problem.startswith("list.txt:3: ")
    assert fragment in target.problem


def test_scan_counts_url_lines_finds_repeats_and_rewinds(tmp_path: Path) -> None:
    from urlcheck.scan import scan_sources

    path = tmp_path / "urls.txt"
    path.write_bytes(
        b"\xef\xbb\xbfhttp://a.test/\n# c\n\nhttp://b.test/ status=200\r\nhttp://a.test/\n"
        b"bad \xff line\nhttp://c.test/\n"
    )
    reader = open_sources([str(path)])
    scan = scan_sources(reader.sources)
    assert scan is not None
    assert scan.lines == 5
    targets = list(reader)  # the scan rewound the file: everything is read again
    assert len(targets) == scan.lines
    assert [scan.may_repeat(t) for t in targets] == [True, False, True, False, False]


def test_scan_leaves_out_what_the_reader_leaves_out(tmp_path: Path) -> None:
    """--exclude: the first pass counts the lines the run will check (the progress bar's
    total, the choice of worker processes), and an https URL left out loads no trust store;
    a line that cannot be decoded is counted whatever it says, as the reader yields it."""
    from urlcheck.scan import scan_sources

    path = tmp_path / "urls.txt"
    path.write_bytes(
        b"http://a.test/\nhttps://secret.test/\nhttp://skip.test/1\nhttp://skip.test/\xff\n"
        b"http://b.test/\nhttp://skip.test/2\n"
    )
    reader = open_sources([str(path)])
    reader.keep = lambda url: "skip" not in url and "secret" not in url
    scan = scan_sources(reader.sources, reader.keep)
    assert scan is not None
    targets = list(reader)
    assert [t.line for t in targets] == [1, 4, 5]
    assert scan.lines == len(targets)
    assert not scan.secure
    # the checker reads the lines unparsed: the same ones
    again = open_sources([str(path)])
    again.keep = reader.keep
    assert len(list(again.raw_lines())) == scan.lines
    unfiltered = open_sources([str(path)])
    everything = scan_sources(unfiltered.sources)
    assert everything is not None
    assert (everything.lines, everything.secure) == (len(list(unfiltered)), True) == (6, True)


def test_scan_counts_an_over_long_line_once(tmp_path: Path) -> None:
    from urlcheck.scan import scan_sources

    path = tmp_path / "urls.txt"
    path.write_bytes(
        b"http://a.test/\nhttp://b.test/" + b"x" * (MAX_LINE_BYTES * 3) + b"\nhttp://c/\n"
    )
    reader = open_sources([str(path)])
    scan = scan_sources(reader.sources)
    assert scan is not None
    assert scan.lines == len(list(reader)) == 3


def test_scan_of_a_file_that_cannot_seek_to_its_end_leaves_the_others_whole(
    tmp_path: Path,
) -> None:
    """/proc's files seek, but not to their end: the scan gives up, and the lists before
    such a file are read from their start all the same."""
    from urlcheck.scan import bitmap_bits, scan_sources

    path = tmp_path / "urls.txt"
    path.write_text("http://a.test/\nhttp://b.test/\n")
    reader = open_sources([str(path), "/proc/self/mounts"])
    assert scan_sources(reader.sources) is None
    assert [t.url for t in reader if t.problem is None][:2] == ["http://a.test/", "http://b.test/"]
    assert bitmap_bits(0) == bitmap_bits(1_000) == 1 << 23  # 1 MiB at least
    assert bitmap_bits(40_000_000) == 1 << 26  # a bit per byte of the lists


def test_scan_gives_up_on_streams_it_cannot_rewind() -> None:
    from urlcheck.scan import scan_sources

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    reader = open_sources(["-"], Pipe(b"http://a.test/\n"))
    assert scan_sources(reader.sources) is None
    assert [t.url for t in reader] == ["http://a.test/"]


@pytest.mark.parametrize(
    ("line", "pieces"),
    [
        ("https://user:qz#xw@h.test/", ("qz", "xw")),
        ("https://user:789 456@h.test/", ("789", "456")),
        ("https://u:kq/jw?vv@h.test/", ("kq", "jw", "vv")),
    ],
)
def test_a_password_that_breaks_the_url_is_still_never_shown(
    line: str, pieces: tuple[str, ...]
) -> None:
    target = parse_line(line, source="f", line=1)
    assert target is not None
    assert target.problem is not None
    for piece in pieces:
        assert piece not in target.display, target.display
        assert piece not in target.problem, target.problem
    assert "***" in target.display
