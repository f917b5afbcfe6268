"""The quick first pass over the URL files: how many URL lines, and which URLs repeat, so a
run can show a progress bar and keep only the results a later line asks for again."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from . import inputs
from .inputs import BOM, Source, url_word
from .models import Target

SCAN_BITS = 1 << 23
"""Least size of the bitmap of URLs seen by `scan_sources`: 1 MiB."""
SCAN_BITS_MAX = 1 << 28
"""Its largest: 32 MiB, for lists of several million URLs."""


def bitmap_bits(size: int) -> int:
    """The bitmap's size for files of `size` bytes: a bit per byte (about 40 per URL line),
    as a power of two. A URL whose bit another set already counts as repeated, and its
    result is kept all run long: at 1,000,000 URLs a 1 MiB bitmap took 62,000 of them for
    repeated (some 30 MB of results kept); a bit per byte leaves about 7,000."""
    bits = SCAN_BITS
    while bits < size and bits < SCAN_BITS_MAX:
        bits <<= 1
    return bits


@dataclass(frozen=True, slots=True)
class ListScan:
    """What a quick first pass over the files found: how many URL lines, which URLs repeat."""

    lines: int
    repeated: frozenset[int]
    """Hashes of the URLs listed more than once (and a few others: the bitmap may collide)."""
    secure: bool = False
    """Whether some URL is an https one (then the trust store is needed)."""

    def may_repeat(self, target: Target) -> bool:
        """Whether `target`'s URL may come again later, so its result is worth keeping."""
        return hash(target.url) in self.repeated


def _url_words(stream: BinaryIO) -> Iterator[str | None]:
    """The URL of every URL line `iter_lines` would yield, in order (None for one it yields
    as a failed target: over-long, or not UTF-8): the same rules, without building its
    items."""
    number = 0
    while raw := stream.readline(inputs.MAX_LINE_BYTES + 1):
        number += 1
        over_long = len(raw) > inputs.MAX_LINE_BYTES and not raw.endswith(b"\n")
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if over_long:
            if url_word(inputs.skip_long_line(stream, raw)[1]) is not None:
                yield None
            continue
        try:
            url = url_word(raw.decode("utf-8"))
        except UnicodeDecodeError:
            if url_word(raw.decode("utf-8", errors="replace")) is not None:
                yield None
            continue
        if url is not None:
            yield url


def scan_sources(
    sources: Sequence[Source], keep: Callable[[str], bool] | None = None
) -> ListScan | None:
    """Count URL lines and find repeated URLs in one cheap pass, then rewind.

    It lets the checker keep only the results a later duplicate line will ask for, so memory
    stays flat on long lists. None when a source cannot be read twice (standard input, a
    pipe): then every result is kept. Lines are read by `iter_lines` and left out by `keep`
    (``--exclude``, ``--include``) as `inputs.TargetReader` leaves them out, so the count is
    the number of targets the run will have, and `ListScan.secure` says whether one of those
    is an https URL.
    """
    streams = [source.stream for source in sources]
    try:
        if not all(stream.seekable() for stream in streams):
            return None
        starts = [stream.tell() for stream in streams]
        size = sum(stream.seek(0, 2) - start for stream, start in zip(streams, starts, strict=True))
        for stream, start in zip(streams, starts, strict=True):
            stream.seek(start)
    except (OSError, ValueError):  # (a /proc file seeks, but not to its end)
        for stream, start in zip(streams, starts, strict=True):
            with contextlib.suppress(OSError, ValueError):
                stream.seek(start)
        return None
    bits = bitmap_bits(size)
    seen = bytearray(bits // 8)
    repeated: set[int] = set()
    lines = 0
    secure = False
    try:
        for stream, start in zip(streams, starts, strict=True):
            for url in _url_words(stream):
                if url is not None and keep is not None and not keep(url):
                    continue
                lines += 1
                if url is None:
                    continue  # a line that cannot be checked is never requested
                if not secure:
                    secure = url[:6].lower() == "https:"
                key = hash(url)
                bit = key & (bits - 1)
                if seen[bit >> 3] & (1 << (bit & 7)):
                    repeated.add(key)
                else:
                    seen[bit >> 3] |= 1 << (bit & 7)
            stream.seek(start)
    except (OSError, ValueError):
        for stream, start in zip(streams, starts, strict=True):
            with contextlib.suppress(OSError, ValueError):
                stream.seek(start)
        return None
    return ListScan(lines, frozenset(repeated), secure)
