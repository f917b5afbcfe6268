"""Sitemaps (the sitemaps.org protocol) read from bytes: the page URLs of a ``<urlset>`` or the
child sitemaps of a ``<sitemapindex>``, each with where it stands. No network: the caller
fetches the bytes and follows the children.

The rules:

- **Size.** A sitemap may have `MAX_SITEMAP_BYTES` (50 MiB, the protocol's limit), counted
  after decompression; ``limit`` changes it. A larger plain one fails before it is parsed.
- **Gzip** is told by its magic bytes (``1f 8b``), never by a name, and is inflated a piece
  (`CHUNK`) at a time straight into the parser: the first byte past the limit fails it, so a
  gzip bomb costs about the limit's worth of work and a few pieces of memory. Gzip members
  may follow one another (as ``cat a.gz b.gz`` makes them) and zero bytes may pad the end;
  a stream cut short, a bad checksum or other bytes after it fail the sitemap.
- **Safety.** The XML is read by defusedxml's expat driver with DTDs refused, and with them
  entity declarations and external references: a billion laughs, a quadratic blowup or an
  XXE fails at its ``<!DOCTYPE`` before anything is expanded or opened. A sitemap needs no DTD.
- **Structure.** The root is ``<urlset>`` or ``<sitemapindex>``. A ``<loc>`` counts when it is
  a child of a ``<url>`` (in a urlset) or of a ``<sitemap>`` (in an index) that is a child of
  the root; each of these elements is in the sitemaps.org namespace or in none. Everything
  else is ignored: ``<lastmod>``, extensions such as ``<image:image>`` and the
  ``<image:loc>`` in it, a ``<loc>`` anywhere else.
- **Text.** A ``<loc>``'s URL is its text as XML gives it (``&amp;`` is ``&``, CDATA is text,
  line ends are LF), XML white space around it (space, tab, CR, LF) stripped; the text of an
  element inside a ``<loc>`` joins it. An empty ``<loc>`` gives an empty URL, for the caller
  to report like any URL that cannot be checked. The encodings are expat's (UTF-8, UTF-16,
  ISO-8859-1, US-ASCII) and, named in the XML declaration, Python's single-byte ones.
- **Positions.** A `Loc`'s line and column (1-based, the column in characters, a BOM not
  counted) are where its URL starts, past the white space; an empty one's are its start tag's.
- **Count.** More than `MAX_SITEMAP_URLS` ``<loc>``\\ s (the protocol's 50,000 per file) is a
  warning, not an error: every one is returned, and `Sitemap.warnings` says so. The byte limit
  already bounds the time and the memory (at worst, 50 MiB of one-character locs: 2.3
  million of them, ~230 MiB and ~7 s on a 2-core machine; 50 MiB of real entries, ~1.5 s),
  and a checker that refused such a sitemap would check none of its links where the
  protocol only asks for the file to be split.

defusedxml is the optional extra ``urlcheck[site]``, imported by `parse_sitemap` only, so
that ``import urlcheck.sitemaps`` stays cheap; `looks_like_sitemap` needs none of it.
"""

from __future__ import annotations

import pyexpat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .errors import SitemapError

if TYPE_CHECKING:
    from xml.sax.expatreader import ExpatParser

__all__ = [
    "MAX_SITEMAP_BYTES",
    "MAX_SITEMAP_URLS",
    "Loc",
    "Sitemap",
    "SitemapError",
    "is_gzip",
    "is_sitemap_name",
    "looks_like_sitemap",
    "parse_sitemap",
]

MAX_SITEMAP_BYTES = 50 * 1024 * 1024
"""The most bytes a sitemap may have, decompressed: the protocol's limit (50 MiB)."""
MAX_SITEMAP_URLS = 50_000
"""The most ``<loc>``\\ s the protocol allows in one file; more is a warning, not an error."""
HEAD_BYTES = 8192
"""How much of a body `looks_like_sitemap` looks at (the XML declaration, comments and the
root's start tag fit in far less); a gzipped head is inflated to as much first."""
CHUNK = 256 * 1024
"""Bytes handed to the parser, and inflated, at a time."""
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
NAMESPACES = frozenset({SITEMAP_NAMESPACE, ""})
"""The namespaces a sitemap's own elements may be in: the protocol's, or none."""
GZIP_MAGIC = b"\x1f\x8b"
INSTALL_HINT = "pip install 'urlcheck[site]'"

Kind = Literal["urlset", "sitemapindex"]

_GZIP_WBITS = zlib.MAX_WBITS | 16  # a gzip header and trailer around the deflate stream
_SPACE = " \t\r\n"  # XML's white space: str.strip() would also take NBSP and friends
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # the BOMs of the encodings expat reads
_XML_TYPES = frozenset({"application/xml", "text/xml"})
_GZIP_TYPES = frozenset(
    {
        "application/gzip",
        "application/x-gzip",
        "application/x-gunzip",
        "application/gzipped",
        "application/gzip-compressed",
        "application/x-gzip-compressed",
        "gzip/document",
    }
)
_ANY_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "text/plain"})
"""What servers call a file they know nothing about (a .gz, or anything on a raw-file host)."""


def _names(local: str) -> frozenset[str]:
    """An element's names as expat gives them (namespace and local name split by a space)
    in each of the sitemap namespaces."""
    return frozenset(f"{ns} {local}" if ns else local for ns in NAMESPACES)


_KINDS: tuple[Kind, ...] = ("urlset", "sitemapindex")
_ROOTS: dict[str, Kind] = {name: kind for kind in _KINDS for name in _names(kind)}
_ENTRIES: dict[Kind, frozenset[str]] = {"urlset": _names("url"), "sitemapindex": _names("sitemap")}
_LOC = _names("loc")


@dataclass(frozen=True, slots=True)
class Loc:
    """One ``<loc>``: its URL, and where the URL starts (1-based line and column, the column
    in characters)."""

    url: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Sitemap:
    """What a sitemap lists: pages (a ``urlset``) or child sitemaps to read (a
    ``sitemapindex``), in document order."""

    kind: Kind
    locs: tuple[Loc, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        """What is wrong with the sitemap that does not stop its URLs being checked: more
        ``<loc>``\\ s than the protocol allows in one file."""
        if len(self.locs) <= MAX_SITEMAP_URLS:
            return ()
        return (
            f"{len(self.locs):,} <loc>s, more than the {MAX_SITEMAP_URLS:,} the sitemap "
            "protocol allows in one file: split it",
        )


def is_gzip(data: bytes) -> bool:
    """Whether `data` starts as gzip does (its two magic bytes), whatever its name."""
    return data[:2] == GZIP_MAGIC


def is_sitemap_name(name: str) -> bool:
    """Whether a path's (or a URL path's) last part is ``sitemap*.xml`` or ``sitemap*.xml.gz``,
    in any letter case."""
    base = name.replace("\\", "/").rpartition("/")[2].lower()
    return base.startswith("sitemap") and base.endswith((".xml", ".xml.gz"))


def looks_like_sitemap(head: bytes, content_type: str | None) -> bool:
    """Whether a fetched body is a sitemap, from its first bytes (`HEAD_BYTES` suffice) and its
    Content-Type: an XML type (``application/xml``, ``text/xml``, ``*+xml``), a gzip one, one
    that says nothing (``application/octet-stream``, ``text/plain``) or none at all, and a root
    element ``<urlset>`` or ``<sitemapindex>`` in a sitemap namespace, in the head as it is or
    inflated. A ``<!DOCTYPE urlset>`` or ``<!DOCTYPE sitemapindex>`` counts too, unread, so
    that `parse_sitemap` says why it refuses the DTD. Never raises."""
    media = (content_type or "").partition(";")[0].strip().lower()
    if media and not (
        media in _XML_TYPES or media.endswith("+xml") or media in _GZIP_TYPES or media in _ANY_TYPES
    ):
        return False
    if is_gzip(head):
        try:
            head = zlib.decompressobj(wbits=_GZIP_WBITS).decompress(head, HEAD_BYTES)
        except zlib.error:
            return False
    return _root_kind(head[:HEAD_BYTES]) is not None


class _Stop(Exception):
    """Ends a sniff at the root element, or at the DOCTYPE before it."""


def _root_kind(head: bytes) -> Kind | None:
    """The sitemap kind of the root element that `head` begins, if it begins one: expat stops
    at the first start tag, or at a DOCTYPE (whose name is taken unread)."""
    found: list[Kind | None] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        found.append(_ROOTS.get(name))
        raise _Stop

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: bool) -> None:
        found.append(_ROOTS.get(name.rpartition(":")[2]))
        raise _Stop

    parser = pyexpat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(head, False)
    except _Stop:
        return found[0]
    except (pyexpat.ExpatError, LookupError, ValueError):  # not XML, or an unreadable encoding
        return None
    return None


def parse_sitemap(data: bytes, *, limit: int = MAX_SITEMAP_BYTES) -> Sitemap:
    """The ``<loc>``\\ s of a sitemap, plain or gzipped, by the rules of this module; a
    SitemapError, one line long, when `data` is anything else."""
    collector = _Collector()
    reader = _reader(collector)  # defusedxml is there: _reader would have said otherwise
    from xml.sax import SAXParseException

    from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

    try:
        reader.feed(b"")  # starts the document: no bytes at all are one without an element
        for piece in _pieces(data, limit):
            if len(collector.head) < 3:
                collector.head += bytes(piece[: 3 - len(collector.head)])
            reader.feed(piece)
        reader.close()
    except SitemapError:
        raise
    except SAXParseException as exc:
        line = exc.getLineNumber() or 1
        column = (exc.getColumnNumber() or 0) + 1 - (collector.bom() if line == 1 else 0)
        raise SitemapError(f"not XML at line {line}, column {column}: {exc.getMessage()}") from None
    except DTDForbidden as exc:
        if exc.name.lower() == "html":
            raise SitemapError("not a sitemap: an HTML page (<!DOCTYPE html>)") from None
        raise SitemapError(
            f"refused: a DTD (<!DOCTYPE {exc.name}>); a sitemap needs none, and a DTD can hold"
            " entity bombs and references to files"
        ) from None
    except (EntitiesForbidden, ExternalReferenceForbidden) as exc:  # only past a DTD
        raise SitemapError(f"refused: an entity declaration or reference ({exc})") from None
    except (LookupError, ValueError) as exc:  # from the codec of a declared encoding
        raise SitemapError(f"an XML encoding that cannot be read ({exc})") from None
    finally:
        collector.detach()
    assert collector.kind is not None  # expat saw a root element, or it raised
    return Sitemap(collector.kind, tuple(collector.locs))


def _reader(collector: _Collector) -> ExpatParser:
    """defusedxml's expat SAX driver with DTDs refused (it refuses entity declarations and
    external references by default), its expat parser's events sent straight to `collector`:
    SAX would build an attributes object for every element and call back for all the text
    between them, and a sitemap needs only the elements' names and its ``<loc>``\\ s' text."""
    try:
        from defusedxml.expatreader import DefusedExpatParser
    except ImportError:
        raise SitemapError(f"reading a sitemap needs defusedxml: {INSTALL_HINT}") from None

    class Reader(DefusedExpatParser):
        _parser: pyexpat.XMLParserType  # ExpatParser.reset makes it; defusedxml's reset uses it

        def reset(self) -> None:
            super().reset()  # a new expat parser, with defusedxml's guards on it
            collector.attach(self._parser)

    return Reader(namespaceHandling=1, forbid_dtd=True)


def _pieces(data: bytes, limit: int) -> Iterator[bytes | memoryview]:
    """`data` a `CHUNK` at a time, inflated if it is gzip; SitemapError past `limit` bytes."""
    if is_gzip(data):
        yield from _inflate(data, limit)
        return
    if len(data) > limit:
        raise SitemapError(f"{len(data):,} bytes, larger than the limit of {limit:,}")
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        yield view[start : start + CHUNK]


def _inflate(data: bytes, limit: int) -> Iterator[bytes]:
    """The gzip members of `data` inflated, at most a `CHUNK` in and out at a time: each piece
    of input is handed to zlib once, and what it cannot inflate within a chunk of output is
    all that is held back (its `unconsumed_tail`)."""
    view = memoryview(data)
    member = 0  # where the current member starts
    total = 0
    while True:
        inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
        at = member
        while not inflater.eof:
            chunk: bytes | memoryview = inflater.unconsumed_tail
            if not chunk and at < len(view):
                chunk = view[at : at + CHUNK]
                at += len(chunk)
            try:
                piece = inflater.decompress(chunk, CHUNK)
            except zlib.error as exc:
                raise SitemapError(f"corrupt gzip: {exc}") from None
            if not piece and not chunk:  # no input left, and zlib has nothing more to give
                raise SitemapError("truncated gzip: the data ends inside the compressed stream")
            total += len(piece)
            if total > limit:
                raise SitemapError(f"gzip that inflates past the limit of {limit:,} bytes")
            if piece:
                yield piece
        member = at - len(inflater.unused_data)
        if member == len(view) or data.count(0, member) == len(view) - member:
            return
        if not is_gzip(data[member : member + 2]):
            raise SitemapError("corrupt gzip: other bytes after the end of the compressed stream")


class _Collector:
    """One parse's state: how deep expat is in the tree, whether in an entry (a ``<url>`` or a
    ``<sitemap>``) and in its ``<loc>``, and the `Loc`\\ s found so far. Its handlers run for
    every element of the document, so they do as little as they can."""

    parser: pyexpat.XMLParserType
    """The expat parser whose events these are (`attach`)."""

    def __init__(self) -> None:
        self.attached = False
        self.kind: Kind | None = None
        self.entries: frozenset[str] = frozenset()
        self.depth = 0
        self.in_entry = False
        self.in_loc = False
        self.text: list[str] = []
        self.tag = (0, 0)
        """Where expat saw the current ``<loc>``'s start tag: an empty one's position."""
        self.start: tuple[int, int] | None = None
        """Where the current ``<loc>``'s URL starts, once a character of it is seen."""
        self.locs: list[Loc] = []
        self.head = b""
        """The document's first bytes (after gunzip): a BOM there shifts expat's columns."""

    def attach(self, parser: pyexpat.XMLParserType) -> None:
        """Take `parser`'s element events; its text only inside a ``<loc>`` (`open_tag`)."""
        self.parser, self.attached = parser, True
        parser.namespace_prefixes = False  # names as "namespace local", whatever the prefix
        parser.StartElementHandler = self.open_tag
        parser.EndElementHandler = self.close_tag
        parser.CharacterDataHandler = None

    def detach(self) -> None:
        """Break the cycle between the parser and this collector's bound methods."""
        if self.attached:
            self.parser.StartElementHandler = self.parser.EndElementHandler = None
            self.parser.CharacterDataHandler = None

    def open_tag(self, name: str, attributes: dict[str, str]) -> None:
        """A start tag: the root, an entry, a ``<loc>`` in one, or something to ignore."""
        depth = self.depth = self.depth + 1
        if depth == 3:
            if self.in_entry and name in _LOC:
                parser = self.parser
                self.in_loc, self.text, self.start = True, [], None
                self.tag = (parser.CurrentLineNumber, parser.CurrentColumnNumber)
                parser.CharacterDataHandler = self.characters
        elif depth == 2:
            self.in_entry = name in self.entries
        elif depth == 1:
            self.root(name)

    def close_tag(self, name: str) -> None:
        """An end tag: a ``<loc>``'s ends its URL."""
        depth = self.depth
        self.depth = depth - 1
        if depth == 3:
            if self.in_loc:
                self.parser.CharacterDataHandler = None
                self.in_loc = False
                line, column = self.start or self.place(*self.tag, "", 0)
                self.locs.append(Loc("".join(self.text).rstrip(_SPACE), line, column))
        elif depth == 2:
            self.in_entry = False

    def characters(self, content: str) -> None:
        """Text inside a ``<loc>``: its first non-white character is where the URL starts."""
        if self.start is None:
            url = content.lstrip(_SPACE)
            if not url:
                return
            parser, skip = self.parser, len(content) - len(url)
            self.start = self.place(
                parser.CurrentLineNumber, parser.CurrentColumnNumber, content, skip
            )
            content = url
        self.text.append(content)

    def place(self, line: int, column: int, content: str, skip: int) -> tuple[int, int]:
        """The 1-based line and column of ``content[skip]``, given expat's line and column
        (0-based, in characters) of the event whose text `content` is."""
        if skip:
            newline = content.rfind("\n", 0, skip)
            if newline < 0:
                column += skip
            else:
                line += content.count("\n", 0, skip)
                column = skip - newline - 1
        if line == 1:
            column -= self.bom()
        return line, column + 1

    def bom(self) -> int:
        """How many columns expat counts for a BOM on the first line: one, which an editor
        does not show."""
        return 1 if self.head.startswith(_BOMS) else 0

    def root(self, name: str) -> None:
        """The root element: a urlset or a sitemapindex, or the data is no sitemap."""
        kind = _ROOTS.get(name)
        if kind is None:
            namespace, _, local = name.rpartition(" ")
            if local in _KINDS:
                raise SitemapError(
                    f"not a sitemap: <{local}> in the namespace {namespace}, not"
                    f" {SITEMAP_NAMESPACE}"
                )
            raise SitemapError(
                f"not a sitemap: the root element is <{local}>, not <urlset> or <sitemapindex>"
            )
        self.kind = kind
        self.entries = _ENTRIES[kind]
