"""The broker the client and the workers meet at: a Redis URL, checked before anything is
sent, and shown with its password masked."""

from __future__ import annotations

from urllib.parse import urlsplit

from ..errors import DistributedError
from ..urls import mask_url, scrub, secrets_in

BROKER_SCHEMES = ("redis", "rediss")


def check_broker_url(url: str) -> str:
    """Raise `DistributedError` unless `url` is a usable Redis URL; return it masked for display."""
    shown = mask_url(url)
    hint = "expected redis://[:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS)"
    if not url or any(ch.isspace() for ch in url):
        raise DistributedError(f"bad broker URL {shown!r}: {hint}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        detail = scrub(str(exc), secrets_in(url))
        raise DistributedError(f"bad broker URL {shown!r}: {detail}; {hint}") from None
    if parts.scheme.lower() not in BROKER_SCHEMES:
        raise DistributedError(
            f"bad broker URL {shown!r}: only Redis brokers are supported; {hint}"
        )
    if not parts.hostname:
        raise DistributedError(f"bad broker URL {shown!r}: no host; {hint}")
    if port == 0:
        raise DistributedError(f"bad broker URL {shown!r}: port 0; {hint}")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise DistributedError(f"bad broker URL {shown!r}: the database must be a number; {hint}")
    return shown
