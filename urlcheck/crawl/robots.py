"""robots.txt, read once per origin the crawl walks, and asked of every URL found there.

It is fetched with the run's own client (same limits, same User-Agent) and read by protego
(what Scrapy uses: Google's rules, wildcards and ``$``, ``Allow`` beside ``Disallow``). The
groups are matched by urlcheck's product token, ``urlcheck``. As Google reads them: a 4xx
(no robots.txt, or forbidden to read) allows everything; a 5xx or an answer that never came
allows nothing on that origin, for this run; a body that is not text is no robots.txt.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..decoding import decode_text
from ..urls import NORMALIZED_CACHE_LENGTH

if TYPE_CHECKING:
    from protego import Protego

    from ..models import Fetch

PRODUCT = "urlcheck"
"""The name robots.txt groups address urlcheck by (``User-agent: urlcheck``)."""
INSTALL_HINT = "pip install 'urlcheck[site]'"
"""protego, which reads robots.txt, is in the ``site`` extra."""
MAX_ROBOTS_BYTES = 512 * 1024
"""Google reads the first 500 KiB of a robots.txt; so does this."""
VERDICTS_KEPT = 16_384
"""Answers remembered (an image every page links to is asked about once), then forgotten:
a crawl's memory stays flat however many URLs it meets."""


class Robots:
    """The robots.txt of each origin, fetched the first time a URL there is asked about."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._rules: dict[str, asyncio.Future[Protego | bool]] = {}
        self._verdicts: dict[str, bool] = {}

    def prefetch(self, origin: str) -> None:
        """Start reading `origin`'s robots.txt now (a crawl's first page is being fetched:
        its links will be asked about next)."""
        self._rules_of(origin)

    async def allows(self, origin: str, url: str) -> bool:
        """Whether `url`, on `origin` (``urls.origin_of(url)``: answers are remembered by
        URL alone), may be requested by a crawler."""
        await self._rules_of(origin)
        verdict = self.known(origin, url)
        assert verdict is not None
        return verdict

    def known(self, origin: str, url: str) -> bool | None:
        """`allows`'s answer without waiting, once `origin`'s robots.txt is read (else None)."""
        verdict = self._verdicts.get(url)
        if verdict is not None:
            return verdict
        rules = self._rules.get(origin)
        if rules is None or not rules.done():
            return None
        found = rules.result()
        verdict = found if isinstance(found, bool) else bool(found.can_fetch(url, PRODUCT))
        if len(url) <= NORMALIZED_CACHE_LENGTH:  # a hostile page's long URLs are not kept
            if len(self._verdicts) >= VERDICTS_KEPT:
                self._verdicts.clear()
            self._verdicts[url] = verdict
        return verdict

    def close(self) -> None:
        """Stop the reads still under way (the run ended before a link asked for them)."""
        for rules in self._rules.values():
            rules.cancel()

    def _rules_of(self, origin: str) -> asyncio.Future[Protego | bool]:
        rules = self._rules.get(origin)
        if rules is None:
            rules = self._rules[origin] = asyncio.ensure_future(self._read(origin))
        return rules

    async def _read(self, origin: str) -> Protego | bool:
        """The parsed rules, or True (everything allowed) / False (nothing)."""
        attempt = await self._fetch(f"{origin}/robots.txt")
        status = attempt.status
        if status is None or status >= 500:
            return False
        if status >= 400 or attempt.body is None:
            return True
        if not 200 <= status < 300:
            return True
        text = decode_text(attempt.body[:MAX_ROBOTS_BYTES], attempt.content_type)
        # protego is pure Python and quick; a robots.txt is small.
        from protego import Protego

        return Protego.parse(text)
