"""The seed's sync baseline: one `requests.Session`, one URL after another.

Usage: ``python seed_sync.py URLS_FILE`` prints ``<status> <url>`` per URL (or ``ERR <url>``).
Kept as the seed wrote it on purpose: it is the yardstick, not a contender to tune.
"""

from __future__ import annotations

import sys

import requests


def main(path: str) -> int:
    """Check every URL in `path` sequentially over one session."""
    with open(path, encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    failed = 0
    with requests.Session() as session:
        for url in urls:
            try:
                resp = session.get(url, timeout=10)
                print(resp.status_code, url)
            except requests.RequestException as exc:
                failed += 1
                print("ERR", url, type(exc).__name__)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
