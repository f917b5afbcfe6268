"""urlcheck.extract: links with exact positions, and anchors, out of Markdown and HTML."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urlcheck.extract import (
    GithubSlugger,
    Link,
    github_slug,
    html_anchors,
    html_links,
    markdown_anchors,
    markdown_document,
    markdown_links,
    srcset_candidates,
)
from urlcheck.extract.autolink import trim
from urlcheck.extract.link import CharOffsets

ROOT = Path(__file__).resolve().parent.parent


def where(links: list[Link]) -> list[tuple[str, int, int]]:
    """Each link as (url, line, column): what most assertions compare."""
    return [(link.url, link.line, link.column) for link in links]


# -- Markdown links --------------------------------------------------------------------------


def test_markdown_inline_links_images_and_autolinks_with_positions() -> None:
    doc = (
        "# Title\n"
        "\n"
        "See [one](a.md) and [two](b.md#x), ![pic](img/p.png).\n"
        "Auto <https://127.0.0.1/auto> and <me@example.org>.\n"
    )
    links = markdown_links(doc)
    assert where(links) == [
        ("a.md", 3, 5),
        ("b.md#x", 3, 21),
        ("img/p.png", 3, 36),
        ("https://127.0.0.1/auto", 4, 6),
        ("mailto:me@example.org", 4, 35),
    ]
    assert [(link.element, link.attribute) for link in links] == [
        ("link", None),
        ("link", None),
        ("image", None),
        ("autolink", None),
        ("autolink", None),
    ]


def test_markdown_reference_links_point_at_their_use() -> None:
    doc = (
        "Full [text][ref], collapsed [ref][] and shortcut [ref].\n"
        "Case and spaces: [the  REF][ref] and [Other].\n"
        "Undefined [nope][missing] and [nothing] are text; ![an image][ref].\n"
        "Inline HTML <!-- [commented](c.md) --> hides what it holds.\n"
        "\n"
        "[ref]: ./target.md#part\n"
        "[other]: <./with space.md> 'a title'\n"
        "[unused]: ./never.md\n"
    )
    assert where(markdown_links(doc)) == [
        ("./target.md#part", 1, 6),
        ("./target.md#part", 1, 29),
        ("./target.md#part", 1, 50),
        ("./target.md#part", 2, 18),
        ("./with space.md", 2, 38),
        ("./target.md#part", 3, 51),
    ]


def test_markdown_code_is_not_links() -> None:
    doc = (
        "```markdown\n"
        "[fenced](fenced.md) <https://127.0.0.1/fenced>\n"
        "```\n"
        "\n"
        "~~~\n"
        '<a href="tilde.md">raw in a fence</a>\n'
        "~~~\n"
        "\n"
        "    [indented](indented.md)\n"
        "\n"
        "Span `[spanned](span.md)` then [real](real.md) and ``<https://127.0.0.1/x>``.\n"
    )
    assert where(markdown_links(doc)) == [("real.md", 11, 32)]


def test_markdown_brackets_escapes_and_several_links_on_a_line() -> None:
    doc = (
        "[[nested]](n.md) \\[not a link\\](no.md) [a \\] b](esc.md) [x](1.md)[y](2.md)\n"
        "[`[code]`](code.md) [![inner](in.png)](outer.md) [a](p\\(q\\).md)\n"
    )
    assert where(markdown_links(doc)) == [
        ("n.md", 1, 1),
        ("esc.md", 1, 40),
        ("1.md", 1, 57),
        ("2.md", 1, 66),
        ("code.md", 2, 1),
        ("outer.md", 2, 21),
        ("in.png", 2, 22),
        ("p(q).md", 2, 50),
    ]


def test_markdown_positions_inside_quotes_lists_and_headings() -> None:
    doc = (
        "> quoted [q](q.md)\n"
        ">\n"
        "> > deeper ![d](d.png)\n"
        "lazy line [l](l.md)\n"
        "\n"
        "- item [i](i.md)\n"
        "  continued [c](c.md)\n"
        "   1. nested [n](n.md)\n"
        "\n"
        "## Heading [h](h.md) ##\n"
        "\n"
        "Setext [s](s.md)\n"
        "---\n"
        ">\t[tab](tab.md) after a tab\n"
    )
    assert where(markdown_links(doc)) == [
        ("q.md", 1, 10),
        ("d.png", 3, 12),
        ("l.md", 4, 11),
        ("i.md", 6, 8),
        ("c.md", 7, 13),
        ("n.md", 8, 14),
        ("h.md", 10, 12),
        ("s.md", 12, 8),
        ("tab.md", 14, 3),
    ]


def test_markdown_block_text_is_mapped_back_to_its_source_line() -> None:
    # A heading whose text begins like its marker.
    assert where(markdown_links("# # [h](h.md)\n")) == [("h.md", 1, 5)]
    # markdown-it turns a tab in a list item's indentation into spaces in the block's text.
    doc = '- a\n\n\t<div><a href="h.md">x</a></div>\n'  # the text is '  <div>…'
    assert where(markdown_links(doc)) == [("h.md", 3, 16)]


def test_markdown_link_spanning_lines_and_crlf() -> None:
    doc = "First [a link\r\nwhose text wraps](wrap.md)\r\nthen [b](b.md)\r\n"
    assert where(markdown_links(doc)) == [("wrap.md", 1, 7), ("b.md", 3, 6)]


def test_markdown_and_html_do_not_count_a_byte_order_mark() -> None:
    assert where(markdown_links("\ufeff# T [a](a.md)\n")) == [("a.md", 1, 5)]
    assert markdown_anchors("\ufeff# Title\n") == {"title"}
    assert where(html_links('\ufeff<a href="x.html">')[0]) == [("x.html", 1, 10)]


def test_markdown_columns_count_characters_not_bytes() -> None:
    doc = "Über 日本語 [ü](ü.md) 😄 [e](e.md)\n"
    assert where(markdown_links(doc)) == [("ü.md", 1, 10), ("e.md", 1, 22)]


def test_markdown_columns_after_non_ascii_text_in_every_kind_of_link() -> None:
    # pulldown-cmark's offsets are UTF-8 bytes: 2 for ü, 3 for 日, 4 for 😄, on lines before
    # the link and on its own line, before each kind of link.
    doc = (
        "Grüße 日本語 😄 [a](a.md)\n"
        "> Ü <https://127.0.0.1/ü> ![i](ï.png)\n"
        '- 日本 https://127.0.0.1/b and <a href="h.md">\n'
        "\n"
        '<div title="😄"><img src="ü.png"></div>\n'
        "\n"
        "[😄][r] x\n"
        "\n"
        "[r]: ./r.md\n"
    )
    assert where(markdown_links(doc)) == [
        ("a.md", 1, 13),
        ("https://127.0.0.1/ü", 2, 5),
        ("ï.png", 2, 27),
        ("https://127.0.0.1/b", 3, 6),
        ("h.md", 3, 39),
        ("ü.png", 5, 26),
        ("./r.md", 7, 1),
    ]


def test_markdown_links_in_tables_with_exact_columns() -> None:
    # GFM tables are on (GitHub renders them); each cell's links keep their columns.
    doc = (
        "| Name | Link |\n"
        "| --- | :-: |\n"
        "| Über | [a](a.md) |\n"
        "|日本|![i](i.png) https://127.0.0.1/t|\n"
        '| `[c](c.md)` | <a href="h.md">h</a> \\| [b](b.md) |\n'
    )
    links = markdown_links(doc)
    assert where(links) == [
        ("a.md", 3, 10),
        ("i.png", 4, 5),
        ("https://127.0.0.1/t", 4, 17),
        ("h.md", 5, 26),
        ("b.md", 5, 41),
    ]
    assert [link.element for link in links] == ["link", "image", "bare-url", "a", "link"]


def test_markdown_link_in_a_list_in_a_blockquote() -> None:
    doc = (
        "> - item [a](a.md)\n"
        ">   continued [b](b.md)\n"
        ">   1. nested ![n](n.png)\n"
        "> > - deeper <https://127.0.0.1/d> and https://127.0.0.1/bare\n"
        '>   - <a\n>     href="h.md">x</a>\n'
    )
    assert where(markdown_links(doc)) == [
        ("a.md", 1, 10),
        ("b.md", 2, 15),
        ("n.png", 3, 15),
        ("https://127.0.0.1/d", 4, 14),
        ("https://127.0.0.1/bare", 4, 40),
        ("h.md", 6, 13),
    ]


def test_markdown_github_extensions() -> None:
    # Task lists and strikethrough hold links; heading attributes are not read (GitHub
    # ignores them), so the braces are part of the heading's text and slug.
    doc = "- [ ] todo [t](t.md)\n- [x] ~~gone [g](g.md)~~\n\n## Setup {#install}\n"
    links, anchors = markdown_document(doc)
    assert where(links) == [("t.md", 1, 12), ("g.md", 2, 14)]
    assert anchors == {"setup-install"}


def test_markdown_urls_are_kept_as_written() -> None:
    # Escapes and entities are decoded (CommonMark's destination); nothing is percent-encoded
    # and no scheme is refused: the checker decides what javascript: means, not a renderer.
    doc = (
        "[a](a&amp;b.md) [s](<my file.md>) [j](javascript:void(0)) [m](mailto:x@example.org)\n"
        "[t](tel:+15550100) [u](Übersicht.md#Groß)\n"
    )
    assert [link.url for link in markdown_links(doc)] == [
        "a&b.md",
        "my file.md",
        "javascript:void(0)",
        "mailto:x@example.org",
        "tel:+15550100",
        "Übersicht.md#Groß",
    ]


def test_markdown_raw_html_links_point_at_the_attribute_value() -> None:
    doc = (
        'Inline <a href="in.md">x</a> and <img alt="" src="in.png"> here.\n'
        "\n"
        "<div>\n"
        '  <a href="block.md">block</a>\n'
        "  <img\n"
        '    srcset="s1.png 1x, s2.png 2x">\n'
        "</div>\n"
        "\n"
        '- <a\n  href="list.md">in a list</a>\n'
        "\n"
        '<!-- <a href="commented.md">no</a> -->\n'
    )
    links = markdown_links(doc)
    assert where(links) == [
        ("in.md", 1, 17),
        ("in.png", 1, 51),
        ("block.md", 4, 12),
        ("s1.png", 6, 13),
        ("s2.png", 6, 24),
        ("list.md", 10, 9),
    ]
    assert [(link.element, link.attribute) for link in links] == [
        ("a", "href"),
        ("img", "src"),
        ("a", "href"),
        ("img", "srcset"),
        ("img", "srcset"),
        ("a", "href"),
    ]


def test_markdown_footnotes_are_not_links() -> None:
    # [^1] and [^big] are no links, but a note's text is text like any other: GitHub renders
    # its bare URL and its links, and lychee (which reads footnotes too) finds them. Changed
    # with pulldown-cmark: markdown-it-py has no footnotes and read "[^1]: https://…" as an
    # unused reference definition, so it found nothing in a note.
    doc = (
        "A note[^1] and [^big]; [^a](inline.md) is a link.\n"
        "\n"
        "[^1]: https://127.0.0.1/note\n"
        "[^big]: A word and [l](l.md).\n"
        "\n"
        "    <https://127.0.0.1/more>\n"  # still the note (indented code to markdown-it-py)
    )
    links = markdown_links(doc)
    assert where(links) == [
        ("inline.md", 1, 24),
        ("https://127.0.0.1/note", 3, 7),
        ("l.md", 4, 20),
        ("https://127.0.0.1/more", 6, 5),
    ]
    assert [link.element for link in links] == ["link", "bare-url", "link", "autolink"]


def test_markdown_bare_urls_are_links() -> None:
    doc = "Bare https://127.0.0.1:8000/x?a=1 and ftp://127.0.0.1/f, not in `http://127.0.0.1/c`.\n"
    links = markdown_links(doc)
    assert where(links) == [("https://127.0.0.1:8000/x?a=1", 1, 6), ("ftp://127.0.0.1/f", 1, 39)]
    assert {link.element for link in links} == {"bare-url"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://127.0.0.1/a.", [("https://127.0.0.1/a", 5)]),
        ("(see https://127.0.0.1/a)", [("https://127.0.0.1/a", 6)]),
        (
            "https://127.0.0.1/wiki/Pikachu_(Electric)",
            [("https://127.0.0.1/wiki/Pikachu_(Electric)", 1)],
        ),
        ("(https://127.0.0.1/wiki/A_(b)).", [("https://127.0.0.1/wiki/A_(b)", 2)]),
        ("https://127.0.0.1/((a)))", [("https://127.0.0.1/((a))", 1)]),
        ("Is it https://127.0.0.1/q?!", [("https://127.0.0.1/q", 7)]),
        (
            "'https://127.0.0.1/s', \"https://127.0.0.1/d\"",
            [("https://127.0.0.1/s", 2), ("https://127.0.0.1/d", 25)],
        ),
        ("https://127.0.0.1/t:*_~, and", [("https://127.0.0.1/t", 1)]),
        (
            "https://127.0.0.1/x?a=1&amp; https://127.0.0.1/y;",
            [("https://127.0.0.1/x?a=1", 1), ("https://127.0.0.1/y", 30)],
        ),
        ("https://127.0.0.1/?a=1&amp;b=2", [("https://127.0.0.1/?a=1&amp;b=2", 1)]),  # as written
        ("**https://127.0.0.1/b**", [("https://127.0.0.1/b", 3)]),
        ("*em https://127.0.0.1/e*[l](l.md)", [("https://127.0.0.1/e", 5), ("l.md", 25)]),
        ("https://127.0.0.1/c<br>more", [("https://127.0.0.1/c", 1)]),
        (
            "HTTPS://127.0.0.1/Up and Ftp://127.0.0.1/f",
            [("HTTPS://127.0.0.1/Up", 1), ("Ftp://127.0.0.1/f", 26)],
        ),
        (
            "www.example.org/path. (www.example.org)",
            [("http://www.example.org/path", 1), ("http://www.example.org", 24)],
        ),
        (
            "_www.example.org_ ~www.example.org~",
            [("http://www.example.org", 2), ("http://www.example.org", 20)],
        ),
        ("xwww.example.org xhttps://127.0.0.1 mailto:me@example.org www. x", []),
        (
            "https://my_host.example.org/ https://a.b_c.example/ www.x_y.example",
            [("https://my_host.example.org/", 1)],
        ),
        ("https:// http://. http://-x", []),
        (
            "[https://127.0.0.1/text](t.md) ![https://127.0.0.1/alt](i.png)",
            [("t.md", 1), ("i.png", 32)],
        ),
    ],
)
def test_markdown_bare_urls_as_github_autolinks_them(
    text: str, expected: list[tuple[str, int]]
) -> None:
    # cmark-gfm's autolink extension (what GitHub renders with), with its trailing punctuation
    # and parenthesis rules; only text counts, never a link's text or an image's alt text.
    assert [(link.url, link.column) for link in markdown_links(text + "\n")] == expected


def test_markdown_www_in_a_table_cell_needs_nothing_before_it() -> None:
    doc = "| a | b |\n| - | - |\n|www.example.org| x www.example.net |\n"
    assert where(markdown_links(doc)) == [
        ("http://www.example.org", 3, 2),
        ("http://www.example.net", 3, 21),
    ]


_PREFIXES = ["", "> ", "- ", "1. ", "  ", "\t", "> - ", "## ", ">\t", "* > ", "   ", "| ", "[^n]: "]
_PIECES = [
    "word ",
    "[a](a.md) ",
    "![i](i.png) ",
    "[r][ref] ",
    "[ref] ",
    "<https://127.0.0.1/a> ",
    "https://127.0.0.1/bare ",
    "`[c](c.md)` ",
    "\\[e\\] ",
    "[x [y] z](n.md) ",
    '<a href="h.md">h</a> ',
    "<img\nsrc='s.png'> ",
    "Über 日本 ",
    "**[b](b.md)** ",
    "(https://127.0.0.1/p_(q)). ",
    "www.example.org/w, ",
    "[^n] ",
    " | ",
    "\n|---|---|\n",
    "[",
    "]",
    "(",
    "<",
]
_OPENERS = {"link": "[", "image": "!", "autolink": "<"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_PREFIXES), st.lists(st.sampled_from(_PIECES), max_size=6)),
        max_size=12,
    ),
    st.sampled_from(["\n", "\r\n"]),
)
def test_markdown_positions_point_at_where_each_link_starts(
    lines: list[tuple[str, list[str]]], newline: str
) -> None:
    doc = newline.join(prefix + "".join(pieces) for prefix, pieces in lines)
    doc += newline + newline + "[ref]: ./ref.md" + newline
    source = doc.replace("\r\n", "\n").split("\n")
    for link in markdown_links(doc):
        line = source[link.line - 1]
        char = line[link.column - 1]
        if link.attribute is not None or link.element == "bare-url":
            written = link.url
            if line.startswith("www.", link.column - 1):
                written = written.removeprefix("http://")
            assert line[link.column - 1 :].startswith(written), (link, line)
        else:
            assert char == _OPENERS[link.element], (link, line)


@pytest.mark.parametrize(
    ("written", "url"),
    [
        # cmark-gfm's own examples (extensions/autolink.c), then its other trailing rules.
        ("http://www.pokemon.com/Pikachu_(Electric)", "http://www.pokemon.com/Pikachu_(Electric)"),
        (
            "http://www.pokemon.com/Pikachu_((Electric)",
            "http://www.pokemon.com/Pikachu_((Electric)",
        ),
        ("http://www.pokemon.com/Pikachu_(Electric))", "http://www.pokemon.com/Pikachu_(Electric)"),
        (
            "http://www.pokemon.com/Pikachu_((Electric))",
            "http://www.pokemon.com/Pikachu_((Electric))",
        ),
        ("http://a.org/x.),", "http://a.org/x"),
        ("http://a.org/?q=&quot;", "http://a.org/?q="),
        ("http://a.org/&#39;", "http://a.org/&#39"),  # only letters make an entity here
        ("http://a.org/a;b;", "http://a.org/a;b"),
        ("http://a.org/x'\"?!.,:*_~", "http://a.org/x"),
    ],
)
def test_autolink_trim(written: str, url: str) -> None:
    assert trim(written) == url


@given(st.text(max_size=40))
def test_char_offsets_turn_byte_offsets_into_characters(text: str) -> None:
    chars = CharOffsets(text)
    for index in (*range(len(text) + 1), 0, len(text)):  # in order, then out of order
        assert chars.at(len(text[:index].encode())) == index


# -- Markdown anchors ------------------------------------------------------------------------


def test_markdown_anchors_are_githubs_slugs() -> None:
    doc = (
        "# Über uns\n"
        "## 日本語\n"
        "## Examples\n"
        "## Examples\n"
        "Examples\n"
        "--------\n"
        "## The `code` part\n"
        "## *Emphasis* and __strong__ and [a link](x.md)\n"
        "## ![logo](logo.png) With a picture\n"
        "## FAQ & Troubleshooting!\n"
        "## Version 1.2 (beta)\n"
        "> ## Quoted heading\n"
        "- ## Listed heading\n"
        "```\n"
        "## Not a heading\n"
        "```\n"
    )
    assert markdown_anchors(doc) == {
        "über-uns",
        "日本語",
        "examples",
        "examples-1",
        "examples-2",
        "the-code-part",
        "emphasis-and-strong-and-a-link",
        "-with-a-picture",  # the alt text is no text on GitHub (lychee counts it)
        "faq--troubleshooting",
        "version-12-beta",
        "quoted-heading",
        "listed-heading",
    }


def test_markdown_anchor_of_a_heading_on_two_lines() -> None:
    # GitHub's slug drops the line break, as github-slugger drops every control character.
    assert markdown_anchors("Two\nlines\n===\n") == {"twolines"}


def test_markdown_anchors_include_raw_html_ids_and_names() -> None:
    doc = (
        '<a name="legacy"></a>\n'
        "\n"
        'Text <span id="inline-id">x</span>.\n'
        "\n"
        '## <a id="in-heading"></a>Heading\n'
        '<!-- <a name="commented"></a> -->\n'
    )
    assert markdown_anchors(doc) == {"legacy", "inline-id", "in-heading", "heading"}


def test_markdown_document_gives_both_from_one_parse() -> None:
    doc = "# Top\n\n[self](#top) and [other](o.md)\n"
    links, anchors = markdown_document(doc)
    assert links == markdown_links(doc)
    assert where(links) == [("#top", 3, 1), ("o.md", 3, 18)]
    assert anchors == {"top"}


# -- slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Über uns", "über-uns"),
        ("日本語", "日本語"),
        ("Привет non-latin 你好", "привет-non-latin-你好"),
        ("heading with a - dash", "heading-with-a---dash"),
        (
            "exchange.bind_headers(exchange, routing [, bindCallback])",
            "exchangebind_headersexchange-routing--bindcallback",
        ),
        ("apostrophe\u2019s and en\u2013dash", "apostrophes-and-endash"),
        ("😄 unicode emoji", "-unicode-emoji"),
        ("1² and ½", "1-and-"),  # other numbers go (lychee 0.24 keeps them: "1²-and-½")
        ("Ⓐ circled 🅰 letters", "ⓐ-circled-🅰-letters"),  # Alphabetic symbols stay
        ("a\u00a0b", "ab"),  # a no-break space is no space
        (" a ", "-a-"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_slugger_makes_duplicates_unique_as_github_slugger_does() -> None:
    slugger = GithubSlugger()
    headings = ["echo", "echo", "echo 1", "echo-1", "echo", "foxtrot-1", "foxtrot", "foxtrot"]
    assert [slugger.slug(h) for h in headings] == [
        "echo",
        "echo-1",
        "echo-1-1",
        "echo-1-2",
        "echo-2",
        "foxtrot-1",
        "foxtrot",
        "foxtrot-2",
    ]


# -- HTML links ------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head>
<base href="https://127.0.0.1/docs/">
<link rel="stylesheet" href="css/site.css">
<script src="js/app.js"></script>
<script>var s = '<a href="script-body.html">';</script>
<style>a::after { content: '<img src="style.png">' }</style>
<title>A <a href="title.html"> title</title>
</head><body>
<!-- <a href="comment.html">gone</a> --><!--><a href="after-empty-comment.html">x</a>
<A HREF='Upper.html'>x</A> <a class=x href=unquoted.html#f>y</a> <a href="">same page</a>
<img src="a.png"
     srcset="a.png 1x, b@2x.png 2x">
<picture><source srcset="c.webp" type="image/webp"><img src="c.png"></picture>
<iframe src="frame.html"><a href="iframe-body.html">x</a></iframe>
<a href="q.html?a=1&amp;b=2&copy=3&#38;c=&lt;">entities</a>
<template><a href="stamped.html">t</a></template>
<textarea><a href="textarea.html"></textarea>
<pre><a href="in-pre.html">kept</a></pre>
</body></html>
"""


def test_html_links_with_positions_of_their_values() -> None:
    links, base = html_links(PAGE)
    assert base == "https://127.0.0.1/docs/"
    assert where(links) == [
        ("css/site.css", 4, 30),
        ("js/app.js", 5, 14),
        ("after-empty-comment.html", 10, 55),
        ("Upper.html", 11, 10),
        ("unquoted.html#f", 11, 44),
        ("a.png", 12, 11),
        ("a.png", 13, 14),
        ("b@2x.png", 13, 24),
        ("c.webp", 14, 26),
        ("c.png", 14, 62),
        ("frame.html", 15, 14),
        ("q.html?a=1&b=2&copy=3&c=<", 16, 10),
        ("stamped.html", 17, 20),
        ("in-pre.html", 19, 15),
    ]
    assert [(link.element, link.attribute) for link in links][:9] == [
        ("link", "href"),
        ("script", "src"),
        ("a", "href"),
        ("a", "href"),
        ("a", "href"),
        ("img", "src"),
        ("img", "srcset"),
        ("img", "srcset"),
        ("source", "srcset"),
    ]


def test_html_text_is_never_a_link() -> None:
    doc = '<p>https://127.0.0.1/text and <code>./file.html</code> &lt;a href="x.html"&gt;</p>'
    assert html_links(doc) == ([], None)


def test_html_first_base_counts_and_only_with_href() -> None:
    doc = '<base target="_blank"><base href="first/"><base href="second/">'
    assert html_links(doc) == ([], "first/")
    assert html_links("<p>no base</p>") == ([], None)


def test_html_crlf_and_characters_not_bytes() -> None:
    doc = '<p>Grüße 日本\r\n<a href="ü.html">x</a> 😄 <img src="e.png"></p>\r\n<a href="z.html">'
    assert where(html_links(doc)[0]) == [("ü.html", 2, 10), ("e.png", 2, 36), ("z.html", 3, 10)]


def test_html_tags_cut_off_and_odd_markup() -> None:
    doc = (
        '<a href="first.html" href="second.html">duplicate: the first wins</a>\n'
        '<a\n   href = "spaced.html"\n>x</a> <a href="x.html"/>\n'
        "<p>1 < 2</p> <!DOCTYPE x> <?php echo '<a href=\"php.html\">' ?> </ bogus>\n"
        '<a title="<a href=\'in-title.html\'>" href="after-title.html">\n'
        '<a href="cut-off.html"'
    )
    assert where(html_links(doc)[0]) == [
        ("first.html", 1, 10),
        ("spaced.html", 3, 12),
        ("x.html", 4, 17),
        ("after-title.html", 6, 43),
    ]


def test_html_unclosed_comment_and_plaintext_hide_the_rest() -> None:
    assert html_links('<a href="a.html"><!-- <a href="b.html">')[0][0].url == "a.html"
    assert len(html_links('<a href="a.html"><!-- <a href="b.html">')[0]) == 1
    assert where(html_links('<a href="a.html"><plaintext><a href="b.html">')[0]) == [
        ("a.html", 1, 10)
    ]
    assert where(html_links('<script><a href="b.html">')[0]) == []


def test_html_srcset_with_entities_keeps_raw_positions() -> None:
    doc = '<img srcset="a.png?x=1&amp;y=2 1x,b&#44;c.png 2x">'
    assert where(html_links(doc)[0]) == [("a.png?x=1&y=2", 1, 14), ("b,c.png", 1, 35)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a.png", [(0, "a.png")]),
        ("a.png 1x, b.png 2x", [(0, "a.png"), (10, "b.png")]),
        ("  a.png  ,  b.png 480w  ", [(2, "a.png"), (12, "b.png")]),
        ("/w=640,h=1/x.jpg 640w, y.jpg", [(0, "/w=640,h=1/x.jpg"), (23, "y.jpg")]),
        ("a.png,b.png", [(0, "a.png,b.png")]),
        ("a.png, b.png,, c.png", [(0, "a.png"), (7, "b.png"), (15, "c.png")]),
        ("a.png (max-width: 5px, x) 1x, b.png", [(0, "a.png"), (30, "b.png")]),
        (" , ", []),
    ],
)
def test_srcset_candidates(value: str, expected: list[tuple[int, str]]) -> None:
    assert srcset_candidates(value) == expected


_HTML_PIECES = [
    "text ",
    '<a href="q.html">',
    "<a href='s.html'>",
    "<a href=u.html>",
    '<IMG SRC="i.png" srcset="1.png 1x,\n 2.png 2x">',
    '<link\n  href="l.css">',
    "<!-- ",
    " -->",
    "<script>",
    "</script>",
    "<template>",
    "</template>",
    "<p title=\"<a href='no.html'>\">",
    "<",
    ">",
    '"',
    "日本 ",
    "\n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_HTML_PIECES), max_size=30))
def test_html_positions_point_at_each_value(pieces: list[str]) -> None:
    doc = "".join(pieces)
    source = doc.split("\n")
    for link in html_links(doc)[0]:
        assert source[link.line - 1][link.column - 1 :].startswith(link.url), (link, doc)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/!-=\"' \t\n\r&#;[]()`*_ahrefsc.:")), max_size=80))
def test_any_text_is_read_without_error(text: str) -> None:
    for link in markdown_links(text) + html_links(text)[0]:
        assert link.line >= 1
        assert link.column >= 1
    markdown_anchors(text)
    html_anchors(text)


# -- HTML anchors ----------------------------------------------------------------------------


def test_html_anchors_are_ids_and_names() -> None:
    doc = (
        '<h1 id="top">T</h1><a name="legacy"></a><DIV ID="Upper">x</DIV>\n'
        '<input name="q"><p id="a&amp;b"></p><p id="">empty</p><p data-id="no"></p>\n'
        '<!-- <p id="commented"></p> --><script>var x = \'<p id="scripted">\';</script>\n'
        '<template><p id="templated"></p></template><p id="after-template"></p>\n'
    )
    assert html_anchors(doc) == {"top", "legacy", "Upper", "q", "a&b", "after-template"}


# -- the generated tree ----------------------------------------------------------------------


def test_generated_tree_counts_match_what_the_generator_wrote(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("docs_tree", ROOT / "benchmarks/docs_tree.py")
    assert spec is not None
    assert spec.loader is not None
    docs_tree = importlib.util.module_from_spec(spec)
    sys.modules["docs_tree"] = docs_tree  # dataclasses look their module up while defining
    spec.loader.exec_module(docs_tree)
    summary = docs_tree.generate(tmp_path, 30, 30, seed=7)
    again = docs_tree.generate(tmp_path / "again", 30, 30, seed=7)
    assert summary == again
    assert (tmp_path / "md/sec-000/page-00001.md").read_bytes() == (
        tmp_path / "again/md/sec-000/page-00001.md"
    ).read_bytes()

    md_links: list[Link] = []
    for path in sorted((tmp_path / "md").rglob("*.md")):
        links, anchors = markdown_document(path.read_text())
        md_links += links
        assert "examples-1" in anchors
    html: list[Link] = []
    for path in sorted((tmp_path / "html").rglob("*.html")):
        html += html_links(path.read_text())[0]
        assert html_anchors(path.read_text())
    bare = sum(link.element == "bare-url" for link in md_links)
    assert len(md_links) - bare == summary.md_links
    assert bare == summary.bare_urls
    assert len(html) == summary.html_links
    assert not [link for link in md_links + html if "fake-" in link.url]
