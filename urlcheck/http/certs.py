"""When a server's certificate expires: read from the lean client's own connection, or, for a
request that went through aiohttp (which does not expose a pooled connection's
certificate), by one extra TLS handshake per host and port in a run."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time

from yarl import URL

from ..options import CheckOptions
from .config import ssl_context

CERT_PROBE_TIMEOUT = 5.0
"""Seconds for the extra TLS handshake that reads a host's certificate."""
CERT_HOSTS_KEPT = 4096
"""Hosts whose certificate a run remembers; past that the oldest are read again."""


def days_until(not_after: float | None, now: float | None = None) -> float | None:
    """Days from `now` until `not_after` (UNIX times); negative once passed."""
    if not_after is None:
        return None
    return (not_after - (time.time() if now is None else now)) / 86400


class CertProbe:
    """The expiry of a host's certificate, read once per host and port in a run; with
    ``--insecure`` nothing is verified and nothing is read."""

    def __init__(self, options: CheckOptions, context: ssl.SSLContext | None = None) -> None:
        self._options = options
        self._context = context
        self._seen: dict[tuple[str, int], asyncio.Task[float | None]] = {}

    async def not_after(self, url: str) -> float | None:
        """When the certificate of `url`'s server expires (UNIX time), or None if unknown."""
        if self._options.insecure:
            return None
        try:
            parsed = URL(url)
            host, port = parsed.raw_host, parsed.port or 443
        except (ValueError, TypeError):
            return None
        if not host:
            return None
        task = self._seen.get((host, port))
        if task is None:
            if len(self._seen) >= CERT_HOSTS_KEPT:
                self._forget_finished()
            task = asyncio.ensure_future(self._read(host, port))
            self._seen[(host, port)] = task
        return await asyncio.shield(task)

    def _forget_finished(self) -> None:
        """Drop the older half of the finished reads: memory stays flat over many hosts."""
        finished = [key for key, task in self._seen.items() if task.done()]
        for key in finished[: max(1, len(finished) // 2)]:
            del self._seen[key]

    def close(self) -> None:
        """Cancel reads still under way (when a run stops early)."""
        for task in self._seen.values():
            task.cancel()

    async def _read(self, host: str, port: int) -> float | None:
        if self._context is None:
            self._context = await asyncio.to_thread(ssl_context, self._options)
        try:
            async with asyncio.timeout(min(CERT_PROBE_TIMEOUT, self._options.timeout)):
                _, writer = await asyncio.open_connection(
                    host, port, ssl=self._context, server_hostname=host.rstrip(".")
                )
        except (OSError, ssl.SSLError, TimeoutError, ValueError):
            return None
        try:
            cert = writer.get_extra_info("peercert") or {}
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                async with asyncio.timeout(1):
                    await writer.wait_closed()
        not_after = cert.get("notAfter")
        if not isinstance(not_after, str):
            return None
        return float(ssl.cert_time_to_seconds(not_after))
