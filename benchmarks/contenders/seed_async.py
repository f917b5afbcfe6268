"""The seed's async pattern as written: raw aiohttp, one task per URL, `asyncio.gather`.

Usage: ``python seed_async.py URLS_FILE`` prints ``<status> <url>`` per URL.
One `ClientSession` with aiohttp's defaults (a connector of 100 connections in all, no
per-host limit, a 5-minute total timeout) and no error handling: the first failure ends the
run, as in the seed. It is a yardstick, not a contender to tune.
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp


async def fetch_url(session: aiohttp.ClientSession, url: str) -> int:
    """The seed's fetch: GET one URL and return its status."""
    async with session.get(url) as resp:
        return resp.status


async def main(path: str) -> int:
    """Start one task per URL and gather them all."""
    with open(path, encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    async with aiohttp.ClientSession() as session:
        statuses = await asyncio.gather(*(fetch_url(session, url) for url in urls))
    for url, status in zip(urls, statuses, strict=True):
        print(status, url)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
