"""Links and anchors out of Markdown, read by markdown-it-py's CommonMark parser.

Links: inline ``[a](url)``, reference ``[a][ref]``, ``[a][]`` and ``[a]`` (only where the
reference is defined; a definition nobody uses gives nothing), autolinks ``<https://…>``
(``<me@example.org>`` gives ``mailto:me@example.org``), images ``![alt](src)``, the links of
raw HTML (``<a href>``, ``<img src>`` … read by `html.scan`, the rules of `html_links`), and
bare ``scheme://`` URLs in text when linkify-it-py is installed (`LINKIFY`; GitHub's
``www.`` and bare e-mail forms are not recognised). Code spans, fenced and indented code are
text. GitHub footnotes (``[^1]``) are not links, even where ``[^1]: …`` reads as a reference
definition to CommonMark. ``url`` is the destination as CommonMark reads it: backslash escapes
and entities decoded, nothing percent-encoded, ``javascript:`` and the like kept (the checker
decides what to do with them, not a renderer's safety rule).

Positions, as lychee reports them (pulldown-cmark's event offsets): the ``[`` of a link (for
a reference link, where it is used, not where it is defined), the ``!`` of an image, the
first character of a raw HTML attribute value. Differences: an autolink points at its ``<``
(lychee: one past it, at the URL), and a bare URL at its first character. markdown-it maps
only block tokens to lines, so each inline rule that makes a link is wrapped to note the
offset it starts at in its block's text, and that offset is mapped back to the source line
(a block's text drops what a blockquote or list puts before each line, so each of its lines
is found at the end of its source line).

Anchors: the GitHub slug (`slug.GithubSlugger`) of every ATX and setext heading, from the
heading's text as GitHub renders it: inline code, emphasis and link text count, an image's
alt text and HTML tags do not (lychee counts alt text). Plus every ``id`` and ``name`` in raw
HTML. Not supported (as on GitHub): ``{#custom-id}`` heading attributes, which lychee reads.
"""

from __future__ import annotations

import importlib.util
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline, autolink, html_inline, image, link, linkify
from markdown_it.token import Token

from . import html
from .link import Link, normalize_text
from .slug import GithubSlugger

LINKIFY = importlib.util.find_spec("linkify_it") is not None
"""Whether bare URLs in text are links: linkify-it-py (``urlcheck[linkify]``) is installed.
markdown-it-py imports it by itself; only its presence counts here."""

ELEMENT_LINK = "link"
ELEMENT_IMAGE = "image"
ELEMENT_AUTOLINK = "autolink"
ELEMENT_BARE_URL = "bare-url"

_START = "urlcheck.start"
"""Key in a token's meta: the offset in its block's text where the link starts."""
_WANT = "urlcheck.want"
"""Key in the parse env: (links, anchors), which inline content is worth parsing."""

InlineRule = Callable[[StateInline, bool], bool]


def _noting_start(rule: InlineRule, token_type: str) -> InlineRule:
    """`rule`, noting on the token it makes the offset where its source starts."""

    def noted(state: StateInline, silent: bool) -> bool:
        start = state.pos
        count = len(state.tokens)
        if not rule(state, silent):
            return False
        if not silent:
            # Text pending before the link is pushed first, so look past it.
            for token in state.tokens[count:]:
                if token.type == token_type:
                    if token.markup == "linkify":
                        # linkify fires on the ':' of "://": the URL began before it.
                        start = state.pos - len(str(token.attrs["href"]))
                    elif (
                        token_type == "link_open"
                        and state.src.startswith("[^", start)
                        and state.src[state.pos - 1] == "]"  # a reference, not [^a](url)
                    ):
                        token.meta["footnote"] = True
                    token.meta[_START] = start
                    break
        return True

    return noted


def _inline_where_wanted(state: StateCore) -> None:
    """The core 'inline' rule, but only for content that can hold what this parse is for.

    A heading whose slug is wanted is read by the parser that knows emphasis; everything else
    by this one, which need not (links are found before emphasis delimiters pair up).
    """
    want_links, want_anchors = state.env.get(_WANT, (True, True))
    in_heading = False
    md, env = state.md, state.env
    for token in state.tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "inline":
            token.children = []
            content = token.content
            if in_heading and want_anchors:
                _TEXT_PARSER.inline.parse(content, _TEXT_PARSER, env, token.children)
            elif "<" in content or (  # autolinks and raw HTML: links, ids and names
                want_links and ("[" in content or (LINKIFY and "://" in content))
            ):
                md.inline.parse(content, md, env, token.children)
            in_heading = False


class _Parser(MarkdownIt):
    """CommonMark, with links kept as written and each link's start offset noted."""

    def __init__(self, *, text: bool) -> None:
        super().__init__("commonmark", {"linkify": LINKIFY})
        ruler = self.inline.ruler
        ruler.at("link", _noting_start(link, "link_open"))
        ruler.at("image", _noting_start(image, "image"))
        ruler.at("autolink", _noting_start(autolink, "link_open"))
        ruler.at("html_inline", _noting_start(html_inline, "html_inline"))
        if LINKIFY:
            ruler.at("linkify", _noting_start(linkify, "link_open"))
            ruler.enable("linkify")
        self.core.ruler.at("inline", _inline_where_wanted)
        # Emphasis only shapes text, and text_join only merges text tokens (`_heading_text`
        # takes the unmerged ones too): 10 % each where no heading text is read.
        self.core.ruler.disable("text_join")
        if not text:
            ruler.disable("emphasis")
            self.inline.ruler2.disable(["balance_pairs", "emphasis"])

    def validateLink(self, url: str) -> bool:
        """Every destination is a link here: judging ``javascript:`` is the checker's job."""
        return True

    def normalizeLink(self, url: str) -> str:
        """The destination as written (escapes and entities already decoded by the parser)."""
        return url

    def normalizeLinkText(self, link: str) -> str:
        """Link text as written."""
        return link


_PARSER = _Parser(text=False)
_TEXT_PARSER = _Parser(text=True)
"""Only its inline rules are used, for the text of headings."""


class _BlockLines:
    """Maps offsets in a block's text (an inline or html_block token's content) to positions.

    The block's text holds its source lines from `first_line` on, each without what a
    blockquote marker, list indentation or heading marker put before it, and with the last
    line's trailing white space trimmed.
    """

    __slots__ = ("_bases", "_first_line", "_lines", "_source", "_starts")

    def __init__(self, source: list[str], first_line: int, content: str) -> None:
        self._source = source
        self._first_line = first_line
        self._lines = content.split("\n")
        starts = [0]
        for line in self._lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        self._starts = starts
        self._bases: dict[int, int] = {}

    def _base(self, index: int) -> int:
        """Where content line `index` starts in its source line (0-based column)."""
        base = self._bases.get(index)
        if base is not None:
            return base
        number = self._first_line + index
        source = self._source[number] if number < len(self._source) else ""
        text = self._lines[index]
        if source.endswith(text):
            base = len(source) - len(text)
        elif (trimmed := source.rstrip()).endswith(text):
            base = len(trimmed) - len(text)
        elif (found := source.find(text)) >= 0:  # a heading: the closing #s follow
            base = found
        else:
            # Tabs in the indentation can come out as spaces: look for the rest.
            rest = text.lstrip(" ")
            found = source.find(rest) if rest else -1
            base = found - (len(text) - len(rest)) if found >= 0 else 0
        self._bases[index] = base
        return base

    def at(self, offset: int) -> tuple[int, int]:
        """The (line, column) of `offset` in the block's text, both 1-based."""
        index = bisect_right(self._starts, offset) - 1
        return self._first_line + index + 1, self._base(index) + offset - self._starts[index] + 1


@dataclass(slots=True)
class _Found:
    links: list[Link] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)


def _html(found: _Found, content: str, lines: _BlockLines, offset: int, want_links: bool) -> None:
    scan = html.scan(content, links=want_links)
    found.anchors |= scan.anchors
    for start, url, element, attribute in scan.links:
        line, column = lines.at(offset + start)
        found.links.append(Link(url, line, column, element, attribute))


def _heading_text(children: list[Token]) -> str:
    """A heading's text as GitHub renders it, so the text its slug comes from."""
    parts = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")  # the slug drops it, as GitHub drops the line break
    return "".join(parts)


def _link_element(token: Token) -> str:
    if token.markup == "autolink":
        return ELEMENT_AUTOLINK
    if token.markup == "linkify":
        return ELEMENT_BARE_URL
    return ELEMENT_LINK


def _extract(text: str, *, want_links: bool, want_anchors: bool) -> _Found:
    text = normalize_text(text).replace("\0", "\ufffd")  # as markdown-it reads it
    env: dict[str, Any] = {_WANT: (want_links, want_anchors)}
    tokens = _PARSER.parse(text, env)
    source = text.split("\n")
    found = _Found()
    slugger = GithubSlugger() if want_anchors else None
    in_heading = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            in_heading = True
            continue
        if kind == "inline":
            children = token.children or []
            if slugger is not None and in_heading:
                found.anchors.add(slugger.slug(_heading_text(children)))
            in_heading = False
            if not children or token.map is None:
                continue
            lines = _BlockLines(source, token.map[0], token.content)
            for child in children:
                start = child.meta.get(_START)
                if start is None:
                    continue
                if child.type == "html_inline":
                    _html(found, child.content, lines, start, want_links)
                elif not want_links or child.meta.get("footnote"):
                    continue
                elif child.type == "image":
                    line, column = lines.at(start)
                    url = str(child.attrs["src"])
                    found.links.append(Link(url, line, column, ELEMENT_IMAGE, None))
                else:
                    line, column = lines.at(start)
                    url = str(child.attrs["href"])
                    found.links.append(Link(url, line, column, _link_element(child), None))
        elif kind == "html_block" and token.map is not None:
            lines = _BlockLines(source, token.map[0], token.content)
            _html(found, token.content, lines, 0, want_links)
    return found


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
