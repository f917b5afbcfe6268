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

from ..http.body import decode_text

if TYPE_CHECKING:
    from protego import Protego

    from ..models import Fetch

PRODUCT = "urlcheck"
"""The name robots.txt groups address urlcheck by (``User-agent: urlcheck``)."""
INSTALL_HINT = "pip install 'urlcheck[site]'"
"""protego, which reads robots.txt, is in the ``site`` extra."""
MAX_ROBOTS_BYTES = 512 * 1024
"""Google reads the first 500 KiB of a robots.txt; so does this."""


class Robots:
    """The robots.txt of each origin, fetched the first time a URL there is asked about."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._rules: dict[str, asyncio.Future[Protego | bool]] = {}

    async def allows(self, origin: str, url: str) -> bool:
        """Whether `url`, on `origin`, may be requested by a crawler."""
        rules = self._rules.get(origin)
        if rules is None:
            rules = self._rules[origin] = asyncio.ensure_future(self._read(origin))
        found = await rules
        if isinstance(found, bool):
            return found
        return bool(found.can_fetch(url, PRODUCT))

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
