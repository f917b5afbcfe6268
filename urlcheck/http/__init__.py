"""How a check talks to servers: one request and the redirects it leads through.

`Client` is what the checker uses: `send` makes one request (HEAD or GET) for a target,
follows its redirects, and returns an `Attempt` for the checker to judge. Requests go over
urlcheck's own lean HTTP/1.1 client (`lean`), which names every failure itself
(`failures`); aiohttp (`aio`) sends only what goes through a proxy, and every request of a
caller who hands in their own aiohttp session.

::

    Client.send ─▶ lean.LeanPool ─▶ protocol.Connection (llhttp)      resolver (cached DNS)
                │                                                      redirects (Location)
                └▶ aio (proxies, a caller's session) ─▶ aiohttp        failures (the names)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..decoding import decode_text
from ..models import Attempt, ErrorKind, Target
from ..options import CheckOptions
from ..urls import parse_url
from . import failures
from .certs import CertProbe, days_until
from .config import (
    body_limit,
    body_types,
    has_proxies,
    proxy_for,
    request_headers,
    retry_after_seconds,
    ssl_context,
)
from .deadlines import CheckClock, Deadlines
from .lean import LeanPool  # here, not in Client: a Client is made on the loop
from .redirects import REDIRECT_STATUSES, credentials, next_hop
from .sockets import idle_cap, make_room
from .walls import challenge

if TYPE_CHECKING:
    import aiohttp
    from yarl import URL


__all__ = ["CheckClock", "Client"]


class Client:
    """The requests of one run: the lean client for all of them, aiohttp for proxied ones.

    Without `session`, aiohttp is imported only when the environment names a proxy, and
    then at once, before the first check (an import in the middle of a run would stall
    every check in flight). With a caller's `session`, every request goes through it.
    """

    def __init__(self, options: CheckOptions, session: aiohttp.ClientSession | None) -> None:
        self._options = options
        self._session = session
        self._own_session = session is None
        self.deadlines = Deadlines()
        self.certs = CertProbe(options)
        self.lean: LeanPool | None = None
        self._proxied = False
        self._session_made = asyncio.Lock()
        if session is None:
            make_room(options.concurrency)  # --serve, a cluster worker, a library caller too
            self.lean = LeanPool(
                request_headers(options),
                per_host=options.per_host,
                max_idle=idle_cap(options.concurrency),
                tls=lambda: ssl_context(options),
            )
            self._proxied = has_proxies()
            if self._proxied:
                from . import aio  # noqa: F401 - now, before any check is in flight

    def _through_aiohttp(self, url: URL) -> bool:
        return self.lean is None or (self._proxied and proxy_for(str(url)) is not None)

    async def send(self, target: Target, method: str, clock: CheckClock) -> Attempt:
        """`method` to the target's URL, its redirects followed; never raises for a server's
        fault (that is the attempt's `error_kind`)."""
        limit = body_limit(target, method)
        types = body_types(target)
        url = target.parsed or parse_url(target.url)[0]  # a worker's targets come unparsed
        if url is None:
            clock.request_starts()
            failed = failures.invalid_url(target.display)
            return Attempt(method, error_kind=failed.kind, error=failed.message)
        options = self._options
        private = True
        redirects = 0
        while True:
            if self._through_aiohttp(url):
                if self._session is None:
                    await self._open_session()  # its TLS settings are ours, not the server's
                clock.request_starts()
                attempt = await self._aiohttp(url, method, (limit, types), redirects, private)
                return _read_body(attempt, target, limit)
            bare, authorization = credentials(url)
            try:
                response = await self._lean_request(
                    bare, method, clock, private, authorization, (limit, types)
                )
            except failures.Failed as failed:
                return _failed(method, failed, redirects, bare)
            answer = Attempt(
                method,
                status=response.status,
                reason=response.reason,
                final_url=str(bare.with_fragment(None) if bare.raw_fragment else bare),
                redirects=redirects,
                retry_after=retry_after_seconds(response.retry_after),
                cert_expires=response.cert_not_after,
            )
            # Any status: AWS WAF's challenge, for one, comes as a 202.
            answer.wall = _wall(response.status, response.headers, response.body)
            if response.body is not None and limit:
                answer.content_type = response.headers.get("content-type")
                answer.body = response.body
                answer.body_complete = len(response.body) < limit
                _read_body(answer, target, limit)
            location = response.location
            if not options.max_redirects or response.status not in REDIRECT_STATUSES:
                return answer
            if location is None:
                return answer  # a redirect to nowhere: the answer, and nothing followed
            if redirects >= options.max_redirects:
                return Attempt.too_many_redirects(method, redirects)
            try:
                hop = next_hop(bare, location)
            except failures.Failed as failed:
                return _failed(method, failed, redirects, bare)
            if hop.origin() != bare.origin():
                private = False  # Authorization and cookies never go on to another origin
            redirects += 1
            url = hop  # the method stays: HEAD and GET are kept across every redirect status

    async def _lean_request(
        self,
        url: URL,
        method: str,
        clock: CheckClock,
        private: bool,
        authorization: str | None,
        body: tuple[int, frozenset[str] | None],
    ) -> Response:
        lean = self.lean
        assert lean is not None
        if authorization is not None and private and lean.has_authorization:
            raise failures.Failed(
                ErrorKind.OTHER,
                "the URL has credentials and an Authorization --header is given: "
                "only one of them can be sent",
            )
        waiting = time.perf_counter()
        host = await lean.acquire(url)
        try:
            if url.scheme == "https":
                await lean.tls_context()  # loading the trust store is ours, not the server's
            clock.request_starts(time.perf_counter() - waiting)
            return await lean.request(
                host,
                url,
                method,
                private=private,
                authorization=authorization,
                body_limit=body[0],
                body_types=body[1],
            )
        finally:
            lean.release(host)

    async def _open_session(self) -> None:
        """The session of the proxied requests, made once, with the run's TLS settings
        (loaded in a thread, never on the loop, or taken from `load_ssl_context_soon`)."""
        from .aio import create_session  # imported already, see __init__

        async with self._session_made:
            if self._session is None:
                context = await asyncio.to_thread(ssl_context, self._options)
                self._session = create_session(self._options, context)

    async def _aiohttp(
        self,
        url: URL,
        method: str,
        body: tuple[int, frozenset[str] | None],
        redirects: int,
        private: bool,
    ) -> Attempt:
        from .aio import request  # imported already, see __init__

        assert self._session is not None  # see _open_session
        attempt = await request(
            self._session,
            url,
            method,
            self._options,
            body_limit=body[0],
            body_types=body[1],
            redirects_before=redirects,
            private=private,
        )
        attempt.probe_cert = True
        return attempt

    async def cert_days(self, attempt: Attempt) -> float | None:
        """Days until the certificate of the server that gave the final answer expires."""
        if attempt.final_url is None or not attempt.final_url.startswith("https:"):
            return None
        if attempt.probe_cert:
            return days_until(await self.certs.not_after(attempt.final_url))
        return days_until(attempt.cert_expires)

    async def close(self) -> None:
        """Close every connection; a caller's own session stays open."""
        self.deadlines.close()
        self.certs.close()
        if self.lean is not None:
            self.lean.close()
            await asyncio.sleep(0)  # the aborted transports close their sockets on the next turn
        if self._own_session and self._session is not None:
            await self._session.close()


def _wall(status: int, headers: Mapping[str, str], body: bytes | None) -> str | None:
    """Whose bot challenge a response is, with the evidence, or None (`walls`)."""
    wall = challenge(status, headers, body)
    return None if wall is None else f"{wall.vendor}: {wall.evidence}"


def _read_body(attempt: Attempt, target: Target, limit: int) -> Attempt:
    """What the check wanted of the body it read: the ``contains=`` match; the page itself
    only for a link's ``#fragment`` or a page's links (read later, off the loop)."""
    if attempt.body is None:
        return attempt
    contains = target.expect.contains if target.expect is not None else None
    if contains is not None:
        attempt.body_match = contains in decode_text(attempt.body, attempt.content_type)
    if target.fragment is None and target.page is None:
        attempt.body = None
    return attempt


def _failed(method: str, failed: failures.Failed, redirects: int, url: URL) -> Attempt:
    """The attempt that ended in `failed`; after redirects, it says where it got to."""
    return Attempt(
        method,
        error_kind=failed.kind,
        error=failed.message,
        redirects=redirects,
        final_url=str(url.with_fragment(None)) if redirects else None,
    )


if TYPE_CHECKING:
    from .protocol import Response
