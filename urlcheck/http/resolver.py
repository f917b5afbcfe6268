"""Host names to addresses for the lean client: looked up once per host for a while, as
aiohttp's connector caches them, and the same lookup shared by every request that waits for it.
"""

from __future__ import annotations

import asyncio
import collections
import encodings.idna  # noqa: F401 - a name's first look-up encodes it so, on the loop (uvloop)
import ipaddress
import socket
import time
from typing import Any

from . import failures

DNS_TTL = 300.0
"""Seconds an answer is reused (the TTL urlcheck's aiohttp session used)."""
DNS_HOSTS = 4096
"""Answers kept at most; past that the least recently used go, so memory stays flat."""

AddrInfo = tuple[Any, ...]
"""One entry of `socket.getaddrinfo`'s answer: family, type, proto, canonname, sockaddr."""


class Resolver:
    """Cached, shared look-ups; an IP literal needs none."""

    def __init__(self, ttl: float = DNS_TTL, max_hosts: int = DNS_HOSTS) -> None:
        self._ttl = ttl
        self._max = max_hosts
        self._cache: collections.OrderedDict[tuple[str, int], tuple[float, list[AddrInfo]]] = (
            collections.OrderedDict()
        )
        self._pending: dict[tuple[str, int], asyncio.Future[list[AddrInfo]]] = {}

    async def resolve(self, host: str, port: int) -> list[AddrInfo]:
        """The addresses of `host` for TCP, or `failures.Failed` (dns) saying why there are none."""
        literal = _literal(host, port)
        if literal is not None:
            return literal
        key = (host, port)
        cached = self._cache.get(key)
        if cached is not None:
            if cached[0] > time.monotonic():
                self._cache.move_to_end(key)
                return cached[1]
            del self._cache[key]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._look_up(host, port))
            self._pending[key] = pending
            pending.add_done_callback(self._done)
        # shield: a request whose deadline passes must not cancel the look-up others await.
        return await asyncio.shield(pending)

    def _done(self, future: asyncio.Future[list[AddrInfo]]) -> None:
        for key, pending in list(self._pending.items()):
            if pending is future:
                del self._pending[key]
        if not future.cancelled():
            future.exception()  # retrieved, even when every request waiting for it is gone

    async def _look_up(self, host: str, port: int) -> list[AddrInfo]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
            )
        except socket.gaierror as exc:
            raise failures.dns(host, exc.strerror or exc) from None
        except UnicodeError as exc:  # the IDNA codec refuses the name
            raise failures.invalid_url(host, exc) from None
        except OSError as exc:
            raise failures.dns(host, exc.strerror or exc) from None
        if not infos:
            raise failures.dns(host, "no address")
        self._cache[(host, port)] = (time.monotonic() + self._ttl, infos)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return infos


def _literal(host: str, port: int) -> list[AddrInfo] | None:
    """The one address an IP-literal host names, without a look-up; None for a name."""
    if not host or not (host[0].isdigit() or ":" in host):
        return None
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None
    if address.version == 4:
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
    try:  # a zone (fe80::1%eth0) needs its scope id, which getaddrinfo knows
        return socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )  # numeric: no look-up, returns at once
    except OSError:
        return None
