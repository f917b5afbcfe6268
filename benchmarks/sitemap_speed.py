"""How fast urlcheck.sitemaps reads generated sitemaps, and how fast it refuses bombs.

    python benchmarks/sitemap_speed.py              # best of 5 rounds
    python benchmarks/sitemap_speed.py --rounds 1

Times `parse_sitemap`, best of ``--rounds``, in this process, on bytes made in memory:

- a 50,000-URL urlset (the protocol's most), each entry with a lastmod, a changefreq and a
  priority, plain and gzipped: URLs/s;
- a urlset of such entries as close to 50 MiB (the protocol's limit) as fits;
- the worst case the limit allows: 50 MiB of ``<url><loc>h</loc></url>`` (2.3 million locs);
- a billion laughs, and gzip bombs of 10 GiB (white space in a urlset, and zeros): the time
  to refuse them.

The documents and bombs are the tests' own (tests/sitemap_docs.py): run it where the test
extra is installed.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.sitemap_docs import XMLNS, MiB, billion_laughs, gzip_bomb  # noqa: E402
from urlcheck.sitemaps import MAX_SITEMAP_BYTES, SitemapError, parse_sitemap  # noqa: E402

ENTRY = (
    "<url><loc>https://www.example.org/section/page-{}.html?a=1&amp;b=2</loc>"
    "<lastmod>2024-05-01T00:00:00+00:00</lastmod><changefreq>weekly</changefreq>"
    "<priority>0.8</priority></url>\n"
)


def urlset(count: int, entry: str = ENTRY) -> bytes:
    """A urlset of `count` entries made from `entry` (formatted with its number)."""
    body = "".join(entry.format(i) for i in range(count))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {XMLNS}>\n{body}</urlset>\n'.encode()


def best_of(rounds: int, run: Callable[[], object]) -> float:
    """The shortest wall time of `rounds` runs of `run`."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def refuse(data: bytes) -> Callable[[], object]:
    """A run that parses `data` and expects it refused."""

    def run() -> object:
        try:
            parse_sitemap(data)
        except SitemapError as exc:
            return exc
        raise AssertionError("not refused")

    return run


def main() -> None:
    """Print one line per case: its size, its best time, and URLs/s where it has URLs."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per case; the best counts")
    rounds = parser.parse_args().rounds

    per_entry = len(ENTRY.format(10**6))
    cases: list[tuple[str, bytes, int]] = [
        ("50,000 URLs", urlset(50_000), 50_000),
        ("50,000 URLs, gzipped", gzip.compress(urlset(50_000)), 50_000),
    ]
    near_limit = (MAX_SITEMAP_BYTES - 200) // per_entry
    cases.append(("50 MiB urlset", urlset(near_limit), near_limit))
    tiny = "<url><loc>h</loc></url>"
    most = (MAX_SITEMAP_BYTES - 200) // len(tiny)
    cases.append(("50 MiB of one-character locs", urlset(most, tiny), most))

    parse_sitemap(urlset(1))  # the imports, outside the timings
    print(f"{'case':38} {'bytes':>12} {'best s':>8} {'URLs/s':>10}")
    for name, data, count in cases:
        seconds = best_of(rounds, lambda data=data: parse_sitemap(data))
        print(f"{name:38} {len(data):>12,} {seconds:>8.3f} {count / seconds:>10,.0f}")
    bombs = [
        ("billion laughs (refused)", billion_laughs("urlset")),
        (
            "10 GiB gzip of white space (refused)",
            gzip_bomb(f"<urlset {XMLNS}>".encode(), b" " * MiB, 10 * 1024, b"</urlset>"),
        ),
        ("10 GiB gzip of zeros (refused)", gzip_bomb(b"", bytes(MiB), 10 * 1024, b"")),
    ]
    for name, data in bombs:
        seconds = best_of(rounds, refuse(data))
        print(f"{name:38} {len(data):>12,} {seconds:>8.3f} {'':>10}")


if __name__ == "__main__":
    main()
