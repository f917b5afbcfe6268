"""Where a redirect leads, and what a request may carry there: aiohttp's rules (and so a
browser's), kept in one place for the lean client."""

from __future__ import annotations

import base64

from yarl import URL

from ..urls import mask_url
from . import failures

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""The statuses followed when they carry a Location (the method is kept: HEAD stays HEAD)."""
PRIVATE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
"""Headers never sent on to another origin after a redirect."""

_C0_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_REMOVE_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")


def next_hop(url: URL, location: str) -> URL:
    """The URL a redirect from `url` to `location` leads to, or `failures.Failed` saying why
    it leads nowhere a check can follow (not http(s), or not a URL)."""
    try:
        hop = URL(location, encoded=False)
    except (ValueError, TypeError):
        raise failures.redirect_invalid(mask_url(location)) from None
    scheme = hop.scheme
    if scheme not in ("http", "https", ""):
        raise failures.redirect_not_http(mask_url(location))
    if not scheme or (scheme == url.scheme and _has_no_authority(location, scheme)):
        # Relative ("/x", "x", "?q", "//host/x"), or "http:x", which browsers read as relative.
        hop = url.join(hop)
    try:
        hop.origin()
    except ValueError:
        raise failures.redirect_invalid(mask_url(str(hop))) from None
    if not hop.raw_host:
        raise failures.redirect_invalid(mask_url(str(hop)))
    try:
        hop.port  # noqa: B018 - an out-of-range port is found here, before connecting
    except ValueError:
        raise failures.redirect_invalid(mask_url(str(hop))) from None
    return hop


def _has_no_authority(location: str, scheme: str) -> bool:
    """Whether ``scheme:`` is not followed by ``//`` (a backslash counts as a slash)."""
    location = location.strip(_C0_CONTROL_OR_SPACE).translate(_REMOVE_TAB_OR_NEWLINE)
    rest = location[len(scheme) + 1 : len(scheme) + 3]
    return rest[:1] not in ("/", "\\") or rest[1:] not in ("/", "\\")


def credentials(url: URL) -> tuple[URL, str | None]:
    """`url` without its user and password, and the ``Authorization`` value they make."""
    if url.raw_user is None and url.raw_password is None:
        return url, None
    pair = f"{url.user or ''}:{url.password or ''}"
    try:
        raw = pair.encode("latin-1")  # what aiohttp sends
    except UnicodeEncodeError:
        raw = pair.encode("utf-8")  # rather than fail: what curl and browsers send
    return url.with_user(None), "Basic " + base64.b64encode(raw).decode("ascii")
