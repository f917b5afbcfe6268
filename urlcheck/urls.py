"""One URL as text: is it a usable http(s) URL, how it is shown without its password, and the
id of a URL as a file lists it.

Every rule about a single URL lives here; `inputs` applies them to lines, the checker and the
clients to what servers send back (redirect targets, messages quoting a URL).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from yarl import URL

if TYPE_CHECKING:
    from hashlib import sha256
else:
    # CPython's own SHA-256, as `random` takes its _sha512: hashlib would load OpenSSL's
    # _hashlib (3 ms of a one-URL run) for ids of 100 bytes, which this hashes faster.
    try:
        from _sha256 import sha256
    except ImportError:  # 3.12 renamed it; where neither is, hashlib's
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256

MASK = "***"

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_HOST_RE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=%\-]+$")
_SPACE_RE = re.compile(r"\s")
"""White space as `str.isspace` sees it; a regex, because a line is scanned per character."""
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def authority_span(text: str) -> tuple[int, int]:
    """Where the authority (``user:pass@host:port``) of a URL-ish string starts and ends."""
    sep = text.find("://")
    start = sep + 3 if sep >= 0 else 0
    end = len(text)
    for stop in "/?#":
        pos = text.find(stop, start)
        if pos != -1 and pos < end:
            end = pos
    return start, end


def password_span(text: str, *, loose: bool = False) -> tuple[int, int] | None:
    """Where the password in a URL-ish string is, if it has one.

    Loose, for a line that is not a valid URL: up to the line's last ``@``, whatever comes
    between (a ``#``, ``/`` or a space typed into a password would end the authority early).
    """
    if "@" not in text:  # the common case, at the cost of one scan
        return None
    start, end = authority_span(text)
    if loose:
        end = len(text)
    at = text.rfind("@", start, end)
    if at == -1:
        return None
    colon = text.find(":", start, at)
    if colon == -1:
        return None
    return colon + 1, at


def mask_url(text: str, *, loose: bool = False) -> str:
    """The URL with any password replaced by ``***``; the rest stays as given."""
    span = password_span(text, loose=loose)
    if span is None:
        return text
    return text[: span[0]] + MASK + text[span[1] :]


def mask_link(link: str) -> str:
    """A link as a document or a page wrote it, shown: a password in its authority masked.
    Only a link with an authority (``//``) has one: ``mailto:a@b`` is shown as it is."""
    return mask_url(link) if "//" in link else link


def secrets_in(text: str) -> tuple[str, ...]:
    """The password of a URL as written and decoded, for scrubbing it from messages."""
    span = password_span(text)
    if span is None or span[0] == span[1]:
        return ()
    raw = text[span[0] : span[1]]
    decoded = unquote(raw)
    return (raw,) if decoded == raw else (raw, decoded)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every one of `secrets` (see `secrets_in`) replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def url_problem(text: str) -> str | None:
    """Why `text` is not a usable http(s) URL, or None when it is."""
    return parse_url(text)[1]


def parse_url(text: str) -> tuple[URL | None, str | None]:
    """`text` parsed, or why it is not a usable http(s) URL: (url, None) or (None, problem)."""
    if _SPACE_RE.search(text):
        return None, "white space inside the URL"
    if not _SCHEME_RE.match(text):
        hint = f"; did you mean https://{text}?" if "." in text.split("/", 1)[0] else ""
        return None, f"not a URL: no http:// or https:// scheme{hint}"
    scheme = text.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        return None, f"unsupported scheme {scheme!r}: only http and https URLs are checked"
    if _CONTROL_RE.search(text):
        return None, "control characters inside the URL"
    try:
        url = URL(text)
        host = url.raw_host
        url.port  # noqa: B018 - parsing the port is the check
    except (ValueError, TypeError, UnicodeError) as exc:
        # yarl quotes the whole netloc, password included
        return None, f"cannot parse the URL: {scrub(str(exc), secrets_in(text))}"
    if not host:
        return None, "no host in the URL"
    problem = _host_problem(host, url)
    return (None, problem) if problem else (url, None)


def _host_problem(host: str, url: URL) -> str | None:
    """Why `host` (`url`'s, as sent: punycode, no brackets) cannot be connected to, or None.

    The same rules aiohttp and `socket.getaddrinfo` apply later, so that such a line fails
    here, as `invalid_url` naming its file and line, and not in the middle of a request.
    """
    if ":" not in host and not _HOST_RE.match(host):
        return f"invalid host name {mask_url(url.host or host)!r}"  # url.host: Unicode, slow
    return _address_problem(host)


@functools.lru_cache(maxsize=1024)
def _address_problem(host: str) -> str | None:
    """`_host_problem` of a host that has only the characters a host may have (remembered:
    a list names few hosts, each many times, and `ipaddress` takes microseconds)."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.partition("%")[0])
        except ValueError:
            return f"invalid IPv6 address [{host}]"
        return None
    if host.replace(".", "").isdigit():
        try:
            ipaddress.IPv4Address(host)  # aiohttp refuses 127.1, 2130706433, 010.0.0.1 …
        except ValueError:
            return f"invalid host name {host!r}: not an IPv4 address like 192.0.2.1"
        return None
    try:
        host.encode("idna")
    except UnicodeError:
        return f"invalid host name {host!r}: a part between dots is empty or over 63 characters"
    return None


LINE_ID_LENGTH = 16
"""Hex digits of a URL line's id."""


@functools.lru_cache(maxsize=16_384)
def _where(source: str) -> str:
    """A source as the id knows it: a file by its absolute path, standard input as named."""
    if source == "-" or source.startswith("<") or "://" in source:  # stdin, a web page's URL
        return source
    return os.path.abspath(source)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """The one spelling of an http(s) URL a crawl knows a page by (see `_normalized`);
    remembered, for a crawl's pages link to the same pages again and again, unless long
    (a hostile page's unique kilobyte links would only fill the cache). A URL already in
    that spelling comes back as the same object: a page's links then pickle (and are kept)
    as one string each, not two."""
    normal = (
        _normalized(url) if len(url) <= NORMALIZED_CACHE_LENGTH else _normalized.__wrapped__(url)
    )
    return url if normal == url else normal


NORMALIZED_CACHE_LENGTH = 2048
"""Longer URLs are normalized every time, not remembered."""


@functools.lru_cache(maxsize=16_384)
def _normalized(url: str) -> str:
    """The one spelling of an http(s) URL a crawl knows a page by: scheme and host in lower
    case, the default port and the fragment dropped, dot segments resolved, an empty path
    ``/``; the query kept as it is. A URL that cannot be read comes back as it was."""
    try:
        parsed = URL(url)
        scheme = parsed.scheme.lower()
        host = parsed.raw_host
        if scheme not in _DEFAULT_PORTS or not host:
            return url
        port = parsed.explicit_port
        host = f"[{host.lower()}]" if ":" in host else host.lower()  # an IPv6 literal
        netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
        if parsed.raw_user is not None:
            userinfo = parsed.raw_user + (f":{parsed.raw_password}" if parsed.raw_password else "")
            netloc = f"{userinfo}@{netloc}"
        path = _remove_dot_segments(parsed.raw_path or "/")
    except (ValueError, TypeError):
        return url
    query = f"?{parsed.raw_query_string}" if parsed.raw_query_string else ""
    return f"{scheme}://{netloc}{path}{query}"


def _remove_dot_segments(path: str) -> str:
    """RFC 3986's remove_dot_segments, for a path that starts with ``/``."""
    if "." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/" + "/".join(out)


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a normalized URL: what a crawl stays within."""
    scheme, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].rpartition("@")[2]
    return f"{scheme}://{authority}"


def line_id(source: str, url: str) -> str:
    """The stable id of a URL line: the start of the SHA-256 of its file's absolute path and
    its unmasked URL. Moving the line in its file keeps it; a password tells two lines apart
    without being stored or shown; it is never a URL (badges, the monitor's state)."""
    return line_id_at(_where(source), url)


def line_id_at(where: str, url: str) -> str:
    """`line_id` of a line whose file's absolute path, `where`, is known already (a
    document's): no lookup of the working directory, a syscall that lets another thread
    take the GIL for up to a switch interval."""
    data = f"{where}\0{url}".encode("utf-8", "surrogatepass")
    return sha256(data).hexdigest()[:LINE_ID_LENGTH]
