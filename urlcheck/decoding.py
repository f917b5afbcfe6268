"""How a body's bytes become text: the charset its ``Content-Type`` declares, else UTF-8.
A module of its own, not the HTTP client's: the crawl's page worker reads bodies without
importing the client (and asyncio with it)."""

from __future__ import annotations


def charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` value, if any."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').strip("'") or None
    return None


def decode_text(content: bytes, content_type: str | None) -> str:
    """Body bytes as text: the declared charset, else UTF-8; undecodable bytes replaced."""
    try:
        return content.decode(charset(content_type) or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", errors="replace")
