"""Links and anchors out of HTML: a tokenizer after the HTML standard's, not a tree builder.

What counts as a link: the ``href``, ``src`` and ``srcset`` attributes of the elements in
`LINK_ATTRIBUTES`, wherever they stand (inside ``<pre>``, ``<noscript>`` and ``<template>``
too: a browser follows them, or a script stamps them into the page). ``<base href>`` is
returned on its own for the caller to resolve against. Text is never a link.

What is skipped, as a browser's tokenizer skips it: comments (``<!-- … -->``, also ``<!-->``
and ``--!>``), doctypes, ``<?…>`` and ``<![CDATA[…]]>`` (bogus comments in HTML), the bodies
of ``<script>``, ``<style>``, ``<textarea>``, ``<title>``, ``<xmp>``, ``<iframe>``,
``<noembed>`` and ``<noframes>`` (raw text: tags in them are text), everything after
``<plaintext>``, and a tag cut off by the end of the document.

Anchors are every ``id`` and ``name`` value (lychee takes both; the standard itself honours
``name`` on ``<a>`` only), except inside ``<template>``, whose content is not in the document
until a script puts it there.

Positions point at the first character of the attribute value, after its quote: what lychee
(html5gum's spans, ``extract/html/html5gum.rs``) reports. Two differences, seen on the
generated tree: lychee gives every ``srcset`` candidate the position of the whole value (here
each has its own), and for an unquoted value (``href=page.html``) it points one column into
the value. lychee also skips what we keep: links in ``<pre>``, ``<code>`` and its other
"verbatim" elements, ``<script src>``, ``rel=nofollow`` links (``benchmarks/extract.md``).

Attribute values are decoded as the standard says for attributes: ``&amp;`` and ``&#38;`` are
``&``, but a legacy reference without ``;`` followed by ``=`` or a letter or digit stays as
written, so ``?a=1&copy=2`` keeps its ``&copy``.

Why a tokenizer of its own: a browser's view needs a tokenizer, and only one that reads the
text itself knows where each value starts. This one is a few regular expressions run by
``re``'s C engine, which runs over every tag that can hold nothing wanted; Python looks only
at the tags that can. Measured in ``benchmarks/extract.md``: three times the speed of
``html.parser`` (which knows where a tag starts, not its values); selectolax (lexbor, in C)
parses and queries 1.5 times faster but knows no position at all, and builds a tree that is
not the document as written (``<a>`` cloned by the adoption agency, template content apart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.entities import html5

from .link import Link, Positions, normalize_text

LINK_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "audio": ("src",),
    "video": ("src",),
    "track": ("src",),
}
"""The elements whose attributes are links, and which attributes."""

RAW_TEXT_ELEMENTS = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
)
"""Elements whose content is text up to their end tag, whatever looks like a tag in it."""

_WS = "\t\n\f\r "
_VALUE = rf"""(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^{_WS}>"'][^{_WS}>]*+)"""
# A whole tag in one match. Possessive quantifiers: nothing is ever tried twice, so a tag cut
# off by the end of the document fails in linear time; an unclosed quote runs to the end.
_ATTRIBUTES = rf"(?:[{_WS}/]++|[^{_WS}/>][^{_WS}/=>]*+(?:[{_WS}]*+=[{_WS}]*+{_VALUE}?+)?+)*+"
_MARKUP_RE = re.compile(
    r"<(?:"
    r"(?P<comment>!--)"
    r"|(?P<bogus>[!?]|/(?![A-Za-z]))"
    rf"|(?P<end>/)?(?P<name>[A-Za-z][^{_WS}/>]*+)(?P<attrs>{_ATTRIBUTES})(?P<close>>)?"
    r")"
)
_COMMENT_END_RE = re.compile(r"--!?>")


def _skipper(*, links: bool, anchors: bool) -> re.Pattern[str]:
    """A pattern that runs over everything `scan` would ignore, and stops at what it wants.

    The same tokenizer rules as `_MARKUP_RE`, inside the regex engine: text, whole comments
    and bogus comments, end tags (but ``</template>``), and start tags that can hold neither a
    wanted link nor (when anchors count) an ``id`` or ``name``. ``<template>`` is always
    stopped at: inside it there are no anchors, and no ``<base>`` either.
    """
    wanted = set(RAW_TEXT_ELEMENTS) | {"plaintext", "template"}
    if links:
        wanted |= set(LINK_ATTRIBUTES) | {"base"}
    names = "|".join(sorted(wanted, key=len, reverse=True))
    ends = rf"(?!(?i:template)[{_WS}/>])"
    attribute_name = (
        rf"(?!(?i:id|name)[{_WS}/=>])[^{_WS}/>][^{_WS}/=>]*+"
        if anchors
        else rf"[^{_WS}/>][^{_WS}/=>]*+"
    )
    attributes = rf"(?:[{_WS}/]++|{attribute_name}(?:[{_WS}]*+=[{_WS}]*+{_VALUE}?+)?+)*+"
    return re.compile(
        r"(?:"
        r"[^<]++"
        r"|<!--(?:-?>|(?:[^-]++|-(?!-!?>))*+--!?>)"
        r"|<(?:!(?!--)|\?)[^>]*+>"
        r"|</(?![A-Za-z])[^>]*+>"
        r"|<(?![!?/A-Za-z])"
        rf"|</{ends}[A-Za-z][^{_WS}/>]*+{_ATTRIBUTES}>"
        rf"|<(?!(?i:{names})[{_WS}/>])[A-Za-z][^{_WS}/>]*+{attributes}>"
        r")*+"
    )


_SKIPPERS = {
    (links, anchors): _skipper(links=links, anchors=anchors)
    for links in (False, True)
    for anchors in (False, True)
}
_ATTRIBUTE_RE = re.compile(
    rf"[{_WS}/]*+(?P<name>[^{_WS}/>][^{_WS}/=>]*+)"
    rf"""(?:[{_WS}]*+=[{_WS}]*+(?:"(?P<dq>[^"]*+)"|'(?P<sq>[^']*+)'|(?P<uq>[^{_WS}>]++))?+)?+"""
)
_ANCHOR_HINT_RE = re.compile(r"(?i:id|name)[\t\n\f\r ]*=")
_RAW_TEXT_END_RE = {
    name: re.compile(rf"</{name}[{_WS}/>]", re.IGNORECASE) for name in RAW_TEXT_ELEMENTS
}
_CHARREF_RE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z0-9]+;?)")
_SRCSET_URL_RE = re.compile(rf"[{_WS},]*+([^{_WS}]++)")
_SRCSET_DESCRIPTORS_RE = re.compile(r"(?:[^,(]++|\([^)]*+\)?+)*+,?+")


@dataclass(slots=True)
class Scan:
    """What one pass over a piece of HTML found; positions are offsets into that piece."""

    links: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(offset, url, element, attribute), in document order."""
    anchors: set[str] = field(default_factory=set)
    base: str | None = None


def _charref(match: re.Match[str]) -> str:
    ref = match.group()
    if ref[1] == "#":
        return unescape(ref)  # numeric: html's rules for 0, surrogates, C1 controls …
    name = ref[1:]
    if name in html5:
        if name[-1] == ";":
            return html5[name]
        # A legacy reference without ";" (``&amp``, ``&copy``): not in an attribute when "="
        # follows, so that query strings survive.
        after = match.string[match.end() : match.end() + 1]
        return match.group() if after == "=" else html5[name]
    # Not a whole name: a legacy prefix (``&copyx``) is followed by a letter or digit here,
    # which in an attribute leaves it as written.
    return ref


def decode_attribute(value: str) -> str:
    """An attribute value with its character references decoded as in an attribute."""
    if "&" not in value:
        return value
    return _CHARREF_RE.sub(_charref, value)


def _decode_with_offsets(value: str) -> tuple[str, list[int]]:
    """`decode_attribute`, with each decoded character's offset in `value`."""
    parts: list[str] = []
    offsets: list[int] = []
    last = 0
    for match in _CHARREF_RE.finditer(value):
        start = match.start()
        parts.append(value[last:start])
        offsets.extend(range(last, start))
        decoded = _charref(match)
        parts.append(decoded)
        offsets.extend([start] * len(decoded))
        last = match.end()
    parts.append(value[last:])
    offsets.extend(range(last, len(value)))
    return "".join(parts), offsets


def srcset_candidates(value: str) -> list[tuple[int, str]]:
    """The URLs of a ``srcset`` value, each with its offset: the standard's splitting rules."""
    found: list[tuple[int, str]] = []
    pos, end = 0, len(value)
    while pos < end:
        match = _SRCSET_URL_RE.match(value, pos)
        if match is None:  # only white space and commas were left
            break
        url = match.group(1)
        pos = match.end()
        if url.endswith(","):
            url = url.rstrip(",")  # "a.png," ends the candidate: no descriptors
        else:
            descriptors = _SRCSET_DESCRIPTORS_RE.match(value, pos)
            assert descriptors is not None  # the pattern matches the empty string
            pos = descriptors.end()
        if url:
            found.append((match.start(1), url))
    return found


def _link_values(
    scan: Scan, element: str, attrs: dict[str, tuple[int, str]], wanted: tuple[str, ...]
) -> None:
    for attribute in wanted:
        item = attrs.get(attribute)
        if item is None:
            continue
        offset, raw = item
        if attribute == "srcset":
            if "&" in raw:
                decoded, offsets = _decode_with_offsets(raw)
                for start, url in srcset_candidates(decoded):
                    scan.links.append((offset + offsets[start], url, element, attribute))
            else:
                for start, url in srcset_candidates(raw):
                    scan.links.append((offset + start, url, element, attribute))
            continue
        url = decode_attribute(raw)
        if url.strip(_WS):  # an empty href is the page itself: nothing to check
            scan.links.append((offset, url, element, attribute))


def _attributes(text: str, start: int, end: int) -> dict[str, tuple[int, str]]:
    """A tag's attributes by lower-case name: (offset of the raw value, raw value)."""
    attrs: dict[str, tuple[int, str]] = {}
    for match in _ATTRIBUTE_RE.finditer(text, start, end):
        name = match.group("name").lower()
        if name in attrs:  # the first of two same-named attributes wins
            continue
        group = match.lastgroup  # "dq", "sq" or "uq" when there is a value
        if group is None or group == "name":
            attrs[name] = (match.end(), "")
        else:
            attrs[name] = (match.start(group), match.group(group))
    return attrs


def scan(text: str, *, links: bool = True, anchors: bool = True) -> Scan:
    """Links, anchors and the ``<base href>`` of `text`, with offsets into `text`."""
    found = Scan()
    template_depth = 0
    pos = 0
    skip = _SKIPPERS[links, anchors].match
    markup = _MARKUP_RE.match
    end = len(text)
    while True:
        pos = skip(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
        if pos >= end or (match := markup(text, pos)) is None:
            break
        pos = match.end()
        if match.group("comment") is not None:
            if text.startswith(">", pos):  # <!-->
                pos += 1
            elif text.startswith("->", pos):  # <!--->
                pos += 2
            else:
                closing = _COMMENT_END_RE.search(text, pos)
                pos = len(text) if closing is None else closing.end()
            continue
        if match.group("bogus") is not None:
            closing_at = text.find(">", pos)
            pos = len(text) if closing_at == -1 else closing_at + 1
            continue
        if match.group("close") is None:
            break  # the document ends inside this tag: a browser drops it
        name = match.group("name").lower()
        if match.group("end") is not None:
            if name == "template" and template_depth:
                template_depth -= 1
            continue
        wanted = LINK_ATTRIBUTES.get(name, ()) if links else ()
        attrs_start, attrs_end = match.span("attrs")
        look_for_anchor = anchors and not template_depth
        if (
            wanted
            or name == "base"
            or (look_for_anchor and _ANCHOR_HINT_RE.search(text, attrs_start, attrs_end))
        ):
            attrs = _attributes(text, attrs_start, attrs_end)
            if wanted:
                _link_values(found, name, attrs, wanted)
            if name == "base" and found.base is None and not template_depth and "href" in attrs:
                found.base = decode_attribute(attrs["href"][1])
            if look_for_anchor:
                for attribute in ("id", "name"):
                    if attribute in attrs and (value := decode_attribute(attrs[attribute][1])):
                        found.anchors.add(value)
        if name in RAW_TEXT_ELEMENTS:
            closing = _RAW_TEXT_END_RE[name].search(text, pos)
            pos = len(text) if closing is None else closing.start()
        elif name == "template":
            template_depth += 1
        elif name == "plaintext":
            break
    return found


def html_links(text: str) -> tuple[list[Link], str | None]:
    """The links in an HTML document, in document order, and its ``<base href>`` if any."""
    text = normalize_text(text)
    found = scan(text, anchors=False)
    return _positioned(text, found), found.base


def html_document(text: str) -> tuple[list[Link], str | None, frozenset[str]]:
    """`html_links` and `html_anchors` of one document, in one pass over it."""
    text = normalize_text(text)
    found = scan(text)
    return _positioned(text, found), found.base, frozenset(found.anchors)


def _positioned(text: str, found: Scan) -> list[Link]:
    positions = Positions(text)
    result = []
    for offset, url, element, attribute in found.links:
        line, column = positions.at(offset)
        result.append(Link(url, line, column, element, attribute))
    return result


def html_anchors(text: str) -> frozenset[str]:
    """Every ``id`` and ``name`` value in an HTML document: what a ``#fragment`` may name."""
    return frozenset(scan(normalize_text(text), links=False).anchors)
