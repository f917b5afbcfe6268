"""Lines of text in, `Target`s out: every rule about what a usable URL line is lives here.

Reading streams: a source is read line by line in binary, so one undecodable or
over-long line spoils only itself, and a list of a million lines never sits in memory.
"""

from __future__ import annotations

import codecs
import dataclasses
import itertools
import os
import re
import shlex
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from .errors import InputError
from .models import CheckResult, ErrorKind, Expectations, StatusRanges, Target
from .urls import authority_span, mask_url, parse_url, password_span

if TYPE_CHECKING:
    from .crawl import Crawler
    from .documents import DocumentReader

MAX_LINE_BYTES = 64 * 1024
"""A longer line is reported as invalid without being held in memory."""
SNIFF_BYTES = 8192
"""How much of a source is looked at for NUL bytes before it is taken for a text file."""
STDIN = "-"
BOM = b"\xef\xbb\xbf"


def parse_line(text: str, *, source: str = STDIN, line: int = 0) -> Target | None:
    """One decoded line → a target (possibly with a `problem`), or None for blanks and comments."""
    url = url_word(text)
    if url is None:
        return None
    text = text.strip()
    rest = text[len(url) :].lstrip()
    display = mask_url(url)
    parsed, problem = parse_url(url)
    if problem is not None:
        span = password_span(text)
        if span is not None and span[0] <= len(url) < span[1]:
            # White space inside the password cut the URL short: mask the whole line's.
            display, problem = mask_url(text), "white space inside the URL's password"
        elif display == url and mask_url(text, loose=True) != text:
            # No password in the URL, but one the URL may have cut short ('#' or a space in it).
            display, problem = mask_url(text, loose=True), _hide_password(text, problem)
        return Target(url=url, display=display, source=source, line=line,
                      problem=f"{source}:{line}: {problem}")  # fmt: skip
    expect = None
    if rest:
        try:
            expect = parse_expectations(rest)
        except ValueError as exc:
            message = str(exc)
            if display == url and mask_url(text, loose=True) != text:
                # No password in the URL, but one the URL may have cut short (a space in it).
                display, message = mask_url(text, loose=True), _hide_password(text, message)
            return Target(
                url=url,
                display=display,
                source=source,
                line=line,
                problem=f"{source}:{line}: {message}",
                problem_kind=ErrorKind.INVALID_EXPECTATION,
            )
    return Target(url=url, display=display, source=source, line=line, expect=expect, parsed=parsed)


class LineParser:
    """`parse_line` for a list's lines, which parses a line that repeats one already parsed
    only once: a repeat is the first one's target at its own place (`Target.at`), without
    parsing and masking the URL again, and without its `parsed` URL, which only a request
    needs: the first line's check answers it (`dedup.Duplicates`). Only plain URL lines
    that `may_repeat` names are remembered (see `scan.scan_sources`), about 300 bytes each
    with the text, and none without it: a line's expectations may hold a set of statuses
    (``status=200..299``: 10 kB), and are rare in the long lists this is for."""

    __slots__ = ("_may_repeat", "_parsed")

    def __init__(self, may_repeat: Callable[[Target], bool] | None) -> None:
        self._may_repeat = may_repeat
        self._parsed: dict[str, Target] = {}

    def parse(self, text: str, source: str, line: int) -> Target | None:
        """What `parse_line(text, source=source, line=line)` gives."""
        known = self._parsed.get(text)
        if known is not None:
            return known.at(source, line)
        target = parse_line(text, source=source, line=line)
        may_repeat = self._may_repeat
        # A problem names the line it is on: such a target is not one to move.
        if (
            target is not None
            and target.problem is None
            and target.expect is None
            and may_repeat
            and may_repeat(target)
        ):
            self._parsed[text] = target.with_parsed(None)  # (a yarl URL is ~750 bytes)
        return target


def to_target(item: Target | str, *, source: str = STDIN, line: int = 0) -> Target:
    """A target as given, or one from a URL string (a caller's list in memory), password
    masked for display; an empty string is a line that cannot be checked."""
    if isinstance(item, Target):
        return item
    return parse_line(item, source=source, line=line) or Target(
        url="", display="", source=source, line=line, problem="empty line"
    )


def _hide_password(line: str, message: str) -> str:
    """`message`, or a generic one if it would quote any part of a password-like span."""
    span = password_span(line, loose=True)
    if span is None:
        return message
    pieces = [p for p in re.split(r"[\s#/?:@]+", line[span[0] : span[1]]) if p]
    if any(piece in message for piece in pieces):
        return "not a valid URL (the details would show a password, so they are left out)"
    return message


EXPECTATION_KEYS = ("status", "max-ms", "contains")


def parse_expectations(text: str) -> Expectations:
    """``status=200..299 max-ms=800 contains="ok"`` → `Expectations`, or ValueError saying why."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError as exc:
        raise ValueError(f"cannot read the expectations {mask_url(text)!r}: {exc}") from None
    found: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(
                f"{mask_url(word)!r} after the URL is not an expectation like status=200, "
                'max-ms=800 or contains="text"'
            )
        if key not in EXPECTATION_KEYS:
            known = ", ".join(f"{k}=" for k in EXPECTATION_KEYS)
            raise ValueError(f"unknown expectation {key!r} (known: {known})")
        if key in found:
            raise ValueError(f"{key}= is given twice")
        found[key] = value
    status = max_ms = None
    if "status" in found:
        try:
            status = StatusRanges(found["status"])
        except ValueError as exc:
            raise ValueError(f"status={found['status']}: {exc}") from None
    if "max-ms" in found:
        try:
            max_ms = float(found["max-ms"])
        except ValueError:
            max_ms = -1.0
        if not 0 < max_ms < float("inf"):
            raise ValueError(f"max-ms={found['max-ms']} is not a number of milliseconds above 0")
    contains = found.get("contains")
    if contains == "":
        raise ValueError('contains= needs some text, e.g. contains="ok"')
    return Expectations(status=status, max_ms=max_ms, contains=contains)


def _bad_bytes_target(raw: bytes, exc: UnicodeDecodeError, source: str, line: int) -> Target:
    shown = mask_url(raw.decode("utf-8", errors="replace").strip())
    return Target(
        url="",
        display=shown,
        source=source,
        line=line,
        problem=f"{source}:{line}: the line is not valid UTF-8 (byte {exc.start + 1})",
    )


def _too_long_target(size: int, head: bytes, source: str, line: int) -> Target:
    text = head.decode("utf-8", errors="replace").strip()
    start, end = authority_span(text)
    # Mask before cutting, so a password cannot be half shown; an authority that runs past
    # what was read may hide one anywhere, so then only the scheme is shown.
    shown = text[:start] if end >= len(text) else mask_url(text)[:80]
    return Target(
        url="",
        display=shown + "…",
        source=source,
        line=line,
        problem=(
            f"{source}:{line}: the line is {size:,} bytes long; "
            f"a URL line may be at most {MAX_LINE_BYTES:,}"
        ),
    )


def skip_long_line(stream: BinaryIO, head: bytes) -> tuple[int, str]:
    """Read past the rest of an over-long line, keeping nothing of it but its size in bytes
    (without the line ending) and how it starts (decoded, white space dropped), which tells
    a blank line or a comment from a URL line."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    start = decoder.decode(head).lstrip()
    size = len(head)
    chunk = head
    while not chunk.endswith(b"\n"):
        chunk = stream.readline(MAX_LINE_BYTES)
        if not chunk:
            break
        size += len(chunk)
        if not start:
            start = decoder.decode(chunk).lstrip()
    if not start:
        start = decoder.decode(b"", final=True).lstrip()
    ending = len(chunk) - len(chunk.rstrip(b"\r\n")) if chunk.endswith(b"\n") else 0
    return size - ending, start[:1]


def iter_stream(stream: BinaryIO, source: str) -> Iterator[Target]:
    """Read one binary stream line by line and yield a target for every URL line."""
    for item in iter_lines(stream, source):
        if isinstance(item, Target):
            yield item
        else:
            target = parse_line(item[0], source=source, line=item[1])
            if target is not None:
                yield target


def url_word(text: str) -> str | None:
    """What a decoded line lists: its first word, the URL; None for a blank line (Unicode
    white space too) or a comment. The one rule of what a URL line is: the reader, the first
    pass over the files and the worker processes of a long list all ask it."""
    words = text.split(None, 1)
    if not words or words[0].startswith("#"):
        return None
    return words[0]


def iter_lines(stream: BinaryIO, source: str) -> Iterator[Target | tuple[str, int]]:
    """Read one binary stream line by line: (text, line number) for every URL line, not yet
    parsed (see `parse_line`), or the failed target of a line that cannot even be decoded.

    A line is blank or a comment by its decoded text (undecodable bytes replaced; see
    `url_word`), the same test whether it is short, over-long or not valid UTF-8.
    """
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        # Measured before the BOM goes: a read that hit the limit is an over-long line.
        over_long = len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n")
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if over_long:
            size, first = skip_long_line(stream, raw)
            if url_word(first) is not None:
                yield _too_long_target(size, raw, source, number)
            continue
        stripped = raw.strip()
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            if url_word(stripped.decode("utf-8", errors="replace")) is not None:
                yield _bad_bytes_target(stripped, exc, source, number)
            continue
        if url_word(text) is not None:
            yield text, number


_Item = TypeVar("_Item")

RawLine = tuple[str, str, int]
"""A URL line read but not parsed: its text, its source's name and its line number."""


@dataclass
class Source:
    """An opened input: a file or standard input, ready to be read."""

    name: str
    stream: BinaryIO
    owned: bool = True

    def close(self) -> None:
        """Close the stream if this source opened it."""
        if self.owned:
            self.stream.close()


def _looks_binary(head: bytes) -> bool:
    return b"\0" in head


def open_source(name: str, stdin: BinaryIO | None = None) -> Source:
    """Open one input by name (``-`` for standard input), or raise `InputError` saying why not."""
    if name == STDIN:
        stream = stdin if stdin is not None else sys.stdin.buffer
        try:
            # A handle of our own on the descriptor: the checker reads in a daemon thread, and
            # one still blocked in sys.stdin's read at exit would abort the interpreter.
            return Source("<stdin>", os.fdopen(os.dup(stream.fileno()), "rb"))
        except (OSError, ValueError):  # no descriptor (an in-memory stream): read it as it is
            return Source("<stdin>", stream, owned=False)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{name}: is a directory, not a file of URLs")
    try:
        stream = open(name, "rb")  # noqa: SIM115 - closed by Source.close
    except OSError as exc:
        raise InputError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    try:
        head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(stream, "peek") else b""
    except OSError as exc:
        stream.close()
        raise InputError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if _looks_binary(head):
        stream.close()
        raise InputError(f"{name}: looks like a binary file (it has NUL bytes), not a list of URLs")
    return Source(name, stream)


@dataclass
class TargetReader:
    """Streams the targets of several sources in order, then the links of the documents
    (`documents`), collecting what could not be read."""

    sources: list[Source]
    errors: list[str] = field(default_factory=list)
    lines: int = 0
    """URL lines (and links) read so far (invalid ones included, left-out ones not)."""
    finished: bool = False
    reading: Source | None = None
    """The source being read now, perhaps by a thread blocked on a pipe that stays open."""
    documents: DocumentReader | None = None
    """The Markdown and HTML documents among the inputs, read after the URL lists."""
    crawl: Crawler | None = None
    """The web pages and sitemaps among the inputs, which `check_urls` reads as it goes."""
    keep: Callable[[str], bool] | None = None
    """Which URLs are checked (`filters.LinkFilter.keeps`); None: all."""
    names: list[str] = field(default_factory=list)
    """Every input as named, in order."""
    cached: Mapping[str, CheckResult] | None = None
    """URL → its fine result from the history (``--cache``): answered without a request."""
    _name: str = ""

    def close(self) -> None:
        """Close every source (reading one to the end closes it already).

        The one being read is left to its reader, which closes it when it stops: closing it
        here would wait for its lock, held by a read that may never return.
        """
        for source in self.sources:
            if source is not self.reading:
                source.close()
        if self.documents is not None:
            self.documents.close()

    def __iter__(self) -> Iterator[Target | CheckResult | list[CheckResult]]:
        keep = self.keep
        wanted = None if keep is None else lambda target: not target.url or keep(target.url)
        items: Iterator[Target | CheckResult | list[CheckResult]] = self._read(iter_stream, wanted)
        if self.documents is not None:
            items = itertools.chain(items, self._documents())
        cached = self.cached
        if not cached:
            yield from items
            return
        for item in items:
            hit = from_cache(item, cached) if isinstance(item, Target) else None
            yield item if hit is None else hit

    def _documents(self) -> Iterator[Target | list[CheckResult]]:
        assert self.documents is not None
        self.finished = False
        self.documents.errors = self.errors
        try:
            for item in self.documents:
                self.lines += len(item) if isinstance(item, list) else 1
                yield item
        finally:
            self.finished = True

    def unparsed(self) -> Iterator[Target | CheckResult | list[CheckResult] | RawLine]:
        """What iterating gives, but with the URL lists' lines unparsed (`raw_lines`).

        The reading thread then runs almost no Python: parsing there would hold the GIL
        the event loop waits for while it times the checks, and the checker parses on the
        loop instead, a short slice at a time.
        """
        yield from self.raw_lines()
        if self.documents is None:
            return
        cached = self.cached
        for item in self._documents():
            hit = from_cache(item, cached) if cached and isinstance(item, Target) else None
            yield item if hit is None else hit

    def raw_lines(self) -> Iterator[Target | CheckResult | RawLine]:
        """Like iterating the URL lists, but URL lines come unparsed: (text, source name,
        line number); a line the history answers (``--cache``) comes as its result."""
        keep = self.keep

        def wanted(item: Target | tuple[str, int]) -> bool:
            assert keep is not None
            if isinstance(item, Target):
                return not item.url or keep(item.url)
            return keep(url_word(item[0]) or "")

        cached = self.cached
        for item in self._read(iter_lines, None if keep is None else wanted):
            if isinstance(item, Target):
                yield item
                continue
            if cached and len(item[0].split(None, 1)) == 1 and item[0] in cached:
                target = parse_line(item[0], source=self._name, line=item[1])
                hit = from_cache(target, cached) if target is not None else None
                if hit is not None:
                    yield hit
                    continue
            yield item[0], self._name, item[1]

    def _read(
        self,
        read: Callable[[BinaryIO, str], Iterator[_Item]],
        wanted: Callable[[_Item], bool] | None = None,
    ) -> Iterator[_Item]:
        try:
            for source in self.sources:
                self.reading = source
                self._name = source.name
                try:
                    for item in read(source.stream, source.name):
                        if wanted is not None and not wanted(item):
                            continue  # left out by --exclude / --include
                        self.lines += 1
                        yield item
                except OSError as exc:
                    self.errors.append(
                        f"{source.name}: reading stopped after {self.lines} URL lines "
                        f"({exc.strerror or exc})"
                    )
                finally:
                    source.close()
                    self.reading = None
        finally:
            self.finished = True


def from_cache(target: Target, cached: Mapping[str, CheckResult]) -> CheckResult | None:
    """The history's fine result for `target`'s URL, as this line's and marked cached (no
    request was sent for it now), or None when the line must be checked: no fine result
    recent enough, or a line the cache cannot answer (a password in its URL, expectations
    of its own, a fragment to look for)."""
    if (
        target.problem is not None
        or target.expect is not None
        or target.fragment is not None
        or target.url != target.display
    ):
        return None
    result = cached.get(target.url)
    if result is None:
        return None
    return dataclasses.replace(result.for_line(target), cached=True, attempts=0)


def read_targets(lines: Iterable[str], source: str = STDIN) -> Iterator[Target]:
    """Targets from already-decoded lines (for library use, e.g. a list in memory)."""
    for number, text in enumerate(lines, start=1):
        target = parse_line(
            text.lstrip("\ufeff") if number == 1 else text, source=source, line=number
        )
        if target is not None:
            yield target
