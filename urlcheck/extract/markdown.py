"""Links and anchors out of Markdown, read by pulldown-cmark (through pyromark), lychee's parser.

The reading is CommonMark with the GitHub extensions that change what is a link or a heading's
text (`OPTIONS`): tables, footnotes, strikethrough and task lists. Not heading attributes: GitHub
ignores them, so ``## Setup {#install}`` is the heading ``Setup {#install}``. Not math either:
GitHub's ``$`` rules are not pulldown-cmark's, and a line with two prices would lose its links.

Links: inline ``[a](url)``, reference ``[a][ref]``, ``[a][]`` and ``[a]`` (only where the
reference is defined; a definition nobody uses gives nothing), autolinks ``<https://…>``
(``<me@example.org>`` gives ``mailto:me@example.org``), images ``![alt](src)``, the links of
raw HTML (``<a href>``, ``<img src>`` … read by `html.scan`, the rules of `html_links`; the
lines of an HTML block are read as one text, so a tag may span them), and bare URLs in text
(`autolink`: GitHub's rules for ``http://``, ``https://``, ``ftp://`` and ``www.``), but not
in a link's text or an image's alt text. Code spans, fenced and indented code are text.
Footnote references (``[^1]``) are not links; a footnote's own text is text like any other, so
its links count. ``url`` is the destination as CommonMark reads it: backslash escapes and
entities decoded, nothing percent-encoded, ``javascript:`` and the like kept (the checker
decides what to do with them, not a renderer's safety rule); a bare URL is as written.

Positions, as lychee reports them (it takes pulldown-cmark's event ranges too): the ``[`` of a
link (for a reference link, where it is used, not where it is defined), the ``!`` of an image,
the first character of a raw HTML attribute value. Differences: an autolink points at its
``<`` (lychee: one past it, at the URL), and a bare URL at its first character. The ranges are
UTF-8 byte offsets; `link.CharOffsets` turns them into characters (nothing to count in an
ASCII text) and `link.Positions` into lines and columns. Raw HTML inside a blockquote or a
list comes without the markers in front of its later lines: each of those lines is found at
the end of its source line.

Anchors: the GitHub slug (`slug.GithubSlugger`) of every ATX and setext heading, from the
heading's text as GitHub renders it: inline code, emphasis and link text count, an image's
alt text and HTML tags do not (lychee counts alt text). Plus every ``id`` and ``name`` in raw
HTML. A footnote reference in a heading is no text here (GitHub shows the note's number).

Where this reading differs from markdown-it-py's, the parser before (``benchmarks/extract.md``
has the measurements): ``[^1]: …`` is a footnote, whose text holds links and bare URLs and
whose lines indented by four are more of it, not indented code (markdown-it-py, without
footnotes, took the first line for a reference definition); a bare URL ends with its run of
text, at the ``*`` closing an emphasis or at a following link, where linkify-it-py ran on
into the link and hid it; ``&amp;`` at the end of a bare URL is not part of it (GitHub's rule);
``www.example.org`` is a link (``http://www.example.org``), as on GitHub. Links in a table
are found as before, at the same columns.
"""

from __future__ import annotations

import sys
from bisect import bisect_right

import pyromark
from pyromark.event import Range

from . import html
from .autolink import bare_urls
from .link import CharOffsets, Link, Positions, normalize_text
from .slug import GithubSlugger

ELEMENT_LINK = "link"
ELEMENT_IMAGE = "image"
ELEMENT_AUTOLINK = "autolink"
ELEMENT_BARE_URL = "bare-url"

OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_TASKLISTS
)
"""The GitHub extensions to CommonMark that change what is a link or a heading's text."""

_PARSER = pyromark.Markdown(options=OPTIONS)


class _Reader:
    """What one document holds, gathered from its events in document order."""

    __slots__ = ("anchors", "chars", "links", "positions", "text", "want_anchors", "want_links")

    def __init__(self, text: str, *, want_links: bool, want_anchors: bool) -> None:
        self.text = text
        self.chars = CharOffsets(text)
        self.positions = Positions(text)
        self.want_links = want_links
        self.want_anchors = want_anchors
        self.links: list[Link] = []
        self.anchors: set[str] = set()

    def bare_urls(self, span: Range, at_start: bool) -> None:
        """The bare URLs in the text at `span` (`at_start`: the text begins its block's)."""
        chars, positions = self.chars, self.positions
        start, end = chars.at(span["start"]), chars.at(span["end"])
        for offset, url in bare_urls(self.text, start, end, at_start=at_start):
            line, column = positions.at(offset)
            self.links.append(Link(url, line, column, ELEMENT_BARE_URL, None))

    def html_block(self, pieces: list[tuple[str, int]]) -> None:
        """A block of raw HTML, given as pulldown-cmark does: each line (its text, as in the
        source) with the byte offset where it starts. Read as one, so a tag may span lines."""
        content = "".join(piece for piece, _ in pieces)
        if "=" not in content:  # a link or an anchor is an attribute's value
            return
        found = html.scan(content, links=self.want_links, anchors=self.want_anchors)
        self.anchors |= found.anchors
        if found.links:
            starts, offset = [], 0
            for piece, byte_offset in pieces:
                starts.append((offset, self.chars.at(byte_offset)))
                offset += len(piece)
            self._html_links(found.links, starts)

    def inline_html(self, value: str, span: Range) -> None:
        """One piece of raw HTML in a block's text (a tag, a comment …) at `span`."""
        found = html.scan(value, links=self.want_links, anchors=self.want_anchors)
        self.anchors |= found.anchors
        if not found.links:
            return
        start = self.chars.at(span["start"])
        if "\n" not in value:
            self._html_links(found.links, [(0, start)])
            return
        # The value's later lines lack what a blockquote or a list item put before them in
        # the source (and their leading white space): each is the end of its source line.
        source = self.text[start : self.chars.at(span["end"])].split("\n")
        starts, offset, source_offset = [], 0, start
        for line, source_line in zip(value.split("\n"), source, strict=False):
            starts.append((offset, source_offset + _tail_at(source_line, line)))
            offset += len(line) + 1
            source_offset += len(source_line) + 1
        self._html_links(found.links, starts)

    def _html_links(
        self, links: list[tuple[int, str, str, str]], starts: list[tuple[int, int]]
    ) -> None:
        """`html.scan`'s links, placed by `starts`: where each piece of the scanned text
        begins, in that text and (in characters) in the document."""
        positions = self.positions
        for offset, url, element, attribute in links:
            index = bisect_right(starts, (offset, sys.maxsize)) - 1
            piece_start, char_start = starts[index]
            line, column = positions.at(char_start + offset - piece_start)
            self.links.append(Link(url, line, column, element, attribute))


def _tail_at(source: str, text: str) -> int:
    """Where `text`, one line of a block's text, starts in its `source` line."""
    if source.endswith(text):
        return len(source) - len(text)
    rest = text.lstrip()  # white space may have been written as tabs
    found = source.find(rest) if rest else -1
    return max(found - (len(text) - len(rest)), 0) if found >= 0 else 0


def _extract(text: str, *, want_links: bool, want_anchors: bool) -> _Reader:
    text = normalize_text(text)
    reader = _Reader(text, want_links=want_links, want_anchors=want_anchors)
    slugger = GithubSlugger()
    heading: list[str] | None = None  # the text of the heading being read
    in_link = 0  # inside a link or image: no bare URL
    in_image = 0  # inside an image: its alt text is no heading text
    verbatim = False  # inside a code block or an HTML block: text is not Markdown
    html_pieces: list[tuple[str, int]] | None = None
    opened = -1  # where the innermost block or span opened last starts
    links, char_at, line_at = reader.links, reader.chars.at, reader.positions.at
    for event, span in _PARSER.events_with_range(text, merge_text=True):
        if isinstance(event, str):  # a soft or hard break, a rule: nothing of ours
            continue
        if "Text" in event:
            value = event["Text"]
            if heading is not None and not in_image:
                heading.append(value)
            if not (in_link or verbatim) and ("://" in value or "www." in value) and want_links:
                reader.bare_urls(span, span["start"] == opened)
        elif "Start" in event:
            tag = event["Start"]
            opened = span["start"]
            if isinstance(tag, str):
                if tag == "HtmlBlock":
                    verbatim = True
                    html_pieces = []
            elif "Link" in tag:
                in_link += 1
                if want_links:
                    data = tag["Link"]
                    kind = data["link_type"]
                    url = data["dest_url"]
                    element = ELEMENT_LINK
                    if kind == "Email":
                        url = "mailto:" + url
                        element = ELEMENT_AUTOLINK
                    elif kind == "Autolink":
                        element = ELEMENT_AUTOLINK
                    line, column = line_at(char_at(opened))
                    links.append(Link(url, line, column, element, None))
            elif "Image" in tag:
                in_link += 1
                in_image += 1
                if want_links:
                    line, column = line_at(char_at(opened))
                    links.append(Link(tag["Image"]["dest_url"], line, column, ELEMENT_IMAGE, None))
            elif "Heading" in tag:
                heading = [] if want_anchors else None
            elif "CodeBlock" in tag:
                verbatim = True
        elif "End" in event:
            end = event["End"]
            if end == "Link":
                in_link -= 1
            elif end == "Image":
                in_link -= 1
                in_image -= 1
            elif end == "CodeBlock":
                verbatim = False
            elif end == "HtmlBlock":
                verbatim = False
                if html_pieces:
                    reader.html_block(html_pieces)
                html_pieces = None
            elif heading is not None and not isinstance(end, str) and "Heading" in end:
                reader.anchors.add(slugger.slug("".join(heading)))
                heading = None
        elif "Code" in event:
            if heading is not None and not in_image:
                heading.append(event["Code"])
        elif "InlineHtml" in event:
            value = event["InlineHtml"]
            if "=" in value:  # a link or an anchor is an attribute's value
                reader.inline_html(value, span)
        elif "Html" in event:
            if html_pieces is not None:
                html_pieces.append((event["Html"], span["start"]))
            else:
                reader.html_block([(event["Html"], span["start"])])
    return reader


def markdown_links(text: str) -> list[Link]:
    """The links in a Markdown document, in document order."""
    return _extract(text, want_links=True, want_anchors=False).links


def markdown_anchors(text: str) -> frozenset[str]:
    """The fragments a ``#name`` link into a Markdown document may name, GitHub's way."""
    return frozenset(_extract(text, want_links=False, want_anchors=True).anchors)


def markdown_document(text: str) -> tuple[list[Link], frozenset[str]]:
    """`markdown_links` and `markdown_anchors` of one document, from one parse."""
    found = _extract(text, want_links=True, want_anchors=True)
    return found.links, frozenset(found.anchors)
