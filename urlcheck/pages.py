"""What a fetched body holds: its anchors (for links' fragments), and for a page the crawl
reads, its links, resolved against where the page really is (its final URL, or its
``<base href>``); for a sitemap, its ``<loc>`` URLs. Pure functions over bytes, called off
the loop (`bodies`: in a thread, or a crawl's worker process): parsing a long page must not
hold up the event loop timing other checks.

What a body is, is its ``Content-Type``: HTML (``text/html``, XHTML), Markdown
(``text/markdown``, or ``text/plain`` under a ``.md`` name), a sitemap (an XML type, or
gzip, whose root is ``<urlset>`` or ``<sitemapindex>``); anything else has no links or
anchors to read.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Literal

from .fragments import Anchors, Dialect
from .record import record
from .urls import normalize_url

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MARKDOWN_TYPES = frozenset({"text/markdown", "text/x-markdown"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/rss+xml"})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/octet-stream"})


def media_type(content_type: str | None) -> str:
    """``text/html`` of ``text/html; charset=utf-8``; empty when none was given."""
    return (content_type or "").partition(";")[0].strip().lower()


@record
class PageLink:
    """A link on a page: as written, where it starts, and where it leads (absolute,
    without its fragment; None when it is no URL that can be requested)."""

    written: str
    line: int
    column: int
    url: str | None
    fragment: str | None = None
    scheme: str = ""
    normalized: str | None = None
    """`url` as a crawl knows it (`urls.normalize_url`): worked out where the page is read,
    off the loop."""


@dataclass(slots=True)
class Page:
    """What a body held."""

    kind: Literal["html", "markdown", "sitemap", "sitemapindex", "other"]
    anchors: Anchors | None = None
    links: list[PageLink] = field(default_factory=list)
    error: str | None = None
    """Why the body could not be read as what it claims to be (a bad sitemap)."""


def page_anchors(
    body: bytes, content_type: str | None, url: str, *, complete: bool
) -> Anchors | None:
    """The anchors of a fetched page by its type, or None for a type without any (an
    image, a PDF, JSON)."""
    return read_page(body, content_type, url, complete=complete, links=False).anchors


def _is_markdown(media: str, url: str) -> bool:
    path = urllib.parse.urlsplit(url).path.lower()
    return media in MARKDOWN_TYPES or (
        media == "text/plain" and path.endswith((".md", ".markdown"))
    )


def read_page(
    body: bytes,
    content_type: str | None,
    url: str,
    *,
    complete: bool,
    links: bool = True,
    anchors: bool = True,
) -> Page:
    """Read a body fetched from `url` (the final URL, after redirects): its anchors unless
    not `anchors` (no link asks for a fragment: a crawl without ``--fragments``), and its
    links when `links` (a sitemap's ``<loc>``s are its links)."""
    from .decoding import decode_text

    media = media_type(content_type)
    if media in HTML_TYPES:
        from .extract import html_anchors, html_document, html_links

        text = decode_text(body, content_type)
        if not links:
            return Page("html", Anchors(html_anchors(text), Dialect.HTML, complete))
        if anchors:
            found, base, ids = html_document(text)
            page = Page("html", Anchors(ids, Dialect.HTML, complete))
        else:
            found, base = html_links(text)
            page = Page("html")
        start = urllib.parse.urljoin(url, base.strip()) if base and base.strip() else url
        page.links = [_resolved(link.url, link.line, link.column, start) for link in found]
        return page
    if _is_markdown(media, url):
        from .extract import markdown_anchors, markdown_document, markdown_links

        text = decode_text(body, content_type)
        if not links:
            return Page("markdown", Anchors(markdown_anchors(text), Dialect.MARKDOWN, complete))
        if anchors:
            found_md, slugs = markdown_document(text)
            page = Page("markdown", Anchors(slugs, Dialect.MARKDOWN, complete))
        else:
            found_md = markdown_links(text)
            page = Page("markdown")
        page.links = [_resolved(link.url, link.line, link.column, url) for link in found_md]
        return page
    if links and (media in XML_TYPES or media in GZIP_TYPES or media == ""):
        return _sitemap(body, content_type, url)
    return Page("other")


def _sitemap(body: bytes, content_type: str | None, url: str) -> Page:
    from .sitemaps import SitemapError, looks_like_sitemap, parse_sitemap

    if not looks_like_sitemap(body[:4096], content_type):
        return Page("other")
    try:
        sitemap = parse_sitemap(body)
    except SitemapError as exc:
        return Page("sitemap", error=f"{url}: {exc}")
    page = Page("sitemapindex" if sitemap.kind == "sitemapindex" else "sitemap")
    page.links = [_resolved(loc.url, loc.line, loc.column, url) for loc in sitemap.locs]
    return page


_C0_OR_SPACE = "".join(map(chr, range(33)))


def _plain_authority(url: str) -> bool:
    """An ASCII authority without brackets: urljoin has nothing to refuse in it (an IPv6
    literal or a non-ASCII host goes to urljoin, which says when it is not valid)."""
    authority = url.partition("//")[2].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return authority.isascii() and "[" not in authority and "]" not in authority


_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
"""What makes a link absolute (``mailto:``, ``HTTP:``): those go through urljoin."""


@functools.lru_cache(maxsize=64)
def _origin(base: str) -> str:
    """``scheme://authority`` of an absolute URL (a page's: asked once per link on it)."""
    scheme, _, rest = base.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}"


@functools.lru_cache(maxsize=64)
def _directory(base: str) -> str:
    """What a relative path is read against: the URL up to the last ``/`` of its path."""
    origin = _origin(base)
    path = base[len(origin) :].split("?", 1)[0].split("#", 1)[0]
    return origin + path[: path.rfind("/") + 1] if "/" in path else origin + "/"


def _resolved(written: str, line: int, column: int, base: str) -> PageLink:
    """A link as written, read against `base` as a browser reads it."""
    # urljoin drops every C0 control and space before a link, as a browser does.
    text = written.strip("\t\n\f\r ").lstrip(_C0_OR_SPACE)
    # The forms joined here give what urljoin gives once normalized; the rest go through it.
    plain = "\\" not in text and not text.endswith(("?", "#")) and "://" in base
    if plain and text.startswith(("https://", "http://")) and _plain_authority(text):
        absolute = text  # absolute already: what urljoin gives, without its 10 µs
    elif plain and text.startswith("/") and not text.startswith("//"):
        absolute = _origin(base) + text  # root-relative: dot segments go when normalized
    elif plain and text and text[0] not in "/?#" and not _SCHEME_RE.match(text):
        absolute = _directory(base) + text  # relative: ditto
    else:
        try:
            absolute = urllib.parse.urljoin(base, text)
        except ValueError:  # an invalid IPv6 host and the like
            return PageLink(written, line, column, None)
    scheme = absolute.partition(":")[0].lower() if ":" in absolute else ""
    if scheme not in ("http", "https"):
        return PageLink(written, line, column, None, scheme=scheme)
    without, hash_sign, fragment = absolute.partition("#")
    return PageLink(
        written,
        line,
        column,
        without,
        fragment if hash_sign else None,
        scheme,
        normalize_url(without),
    )
