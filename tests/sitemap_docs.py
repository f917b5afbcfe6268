"""Sitemaps made for the tests: documents, gzip bombs built without their gigabytes, and the
checks that time a parse and trace what it allocates."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from urlcheck.sitemaps import SITEMAP_NAMESPACE, Sitemap, SitemapError, parse_sitemap

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20
XMLNS = f'xmlns="{SITEMAP_NAMESPACE}"'
IMAGE = 'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'


def where(sitemap: Sitemap) -> list[tuple[str, int, int]]:
    """Each loc as (url, line, column): what most assertions compare."""
    return [(loc.url, loc.line, loc.column) for loc in sitemap.locs]


def at(text: str, needle: str, after: int = 0) -> tuple[int, int]:
    """The 1-based line and column (characters) of `needle`'s first place in `text` past
    `after`: how an editor shows it."""
    index = text.index(needle, after)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def urlset(urls: list[str], *, per_url: str = "") -> bytes:
    """A urlset of `urls` (written as given, so escape them), `per_url` after each <loc>."""
    body = "".join(f"<url>\n  <loc>{url}</loc>{per_url}\n</url>\n" for url in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {XMLNS}>\n{body}</urlset>\n'.encode()


def refused(data: bytes, **kwargs: int) -> str:
    """The one line of the SitemapError that parsing `data` raises."""
    with pytest.raises(SitemapError) as info:
        parse_sitemap(data, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def fails_with(data: bytes, message: str) -> Callable[[], None]:
    """A check that parsing `data` fails with `message`, to be timed."""

    def check() -> None:
        assert refused(data) == message

    return check


def bounded(run: Callable[[], object]) -> tuple[float, int]:
    """`run`'s wall time and the peak of what Python allocated while it ran (expat and zlib
    allocate through Python too), once the parser's modules are imported."""
    parse_sitemap(urlset([]))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        run()
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak


def billion_laughs(root: str) -> bytes:
    """Ten levels of ten references each: 10⁹ "lol"s, 3 GB, from under a kilobyte."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    body = "<url><loc>&lol9;</loc></url>" if root == "urlset" else "&lol9;"
    dtd = f"<!DOCTYPE {root} [\n{''.join(entities)}\n]>"
    return f'<?xml version="1.0"?>\n{dtd}\n<{root}>{body}</{root}>'.encode()


def quadratic_blowup() -> bytes:
    """One 50,000-character entity referenced 50,000 times: 2.5 GB of text, no nesting (so no
    nesting limit catches it)."""
    entity = "a" * 50_000
    return (
        f'<!DOCTYPE urlset [<!ENTITY a "{entity}">]><urlset {XMLNS}><url><loc>'
        f"{'&a;' * 50_000}</loc></url></urlset>"
    ).encode()


def crc32_combine(first: int, second: int, length: int) -> int:
    """The CRC-32 of A+B from A's, B's and B's length, as zlib's crc32_combine computes it
    (GF(2) matrices): a gzip bomb's trailer without inflating its gigabytes."""

    def times(matrix: list[int], vector: int) -> int:
        total, row = 0, 0
        while vector:
            if vector & 1:
                total ^= matrix[row]
            vector >>= 1
            row += 1
        return total

    def square(matrix: list[int]) -> list[int]:
        return [times(matrix, matrix[row]) for row in range(32)]

    odd = [0xEDB88320] + [1 << row for row in range(31)]  # one zero bit
    even = square(odd)  # two
    odd = square(even)  # four
    while length:
        even = square(odd)
        if length & 1:
            first = times(even, first)
        length >>= 1
        if not length:
            break
        odd = square(even)
        if length & 1:
            first = times(odd, first)
        length >>= 1
    return first ^ second


def gzip_bomb(prefix: bytes, block: bytes, repeat: int, suffix: bytes) -> bytes:
    """A valid gzip of prefix, `repeat` blocks and suffix, built without ever holding the
    inflated bytes: each block is deflated after a full flush, so its compressed form is the
    same every time and is simply repeated; the trailer's CRC is combined, not computed."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    packed = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    assert deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH) == packed
    tail = deflate.compress(suffix) + deflate.flush()
    crc, run_crc, run_length, count = zlib.crc32(prefix), zlib.crc32(block), len(block), repeat
    while count:  # the blocks' CRC by doubling runs of them
        if count & 1:
            crc = crc32_combine(crc, run_crc, run_length)
        run_crc, run_length, count = (
            crc32_combine(run_crc, run_crc, run_length),
            2 * run_length,
            count >> 1,
        )
    crc = crc32_combine(crc, zlib.crc32(suffix), len(suffix))
    size = len(prefix) + len(block) * repeat + len(suffix)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + head + packed * repeat + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)
