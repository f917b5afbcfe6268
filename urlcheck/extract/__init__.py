"""Links and anchors out of Markdown and HTML documents: pure functions over text, no I/O.

    links = markdown_links(text)           # [Link(url, line, column, element, attribute)]
    anchors = markdown_anchors(text)       # what "#name" may point at in that document
    links, base = html_links(text)         # base: the <base href> value, or None
    anchors = html_anchors(text)
    links, base, anchors = html_document(text)   # both, one pass

Each module says its rules: `markdown` (what is a link in Markdown, positions, GitHub's
anchors), `autolink` (GitHub's bare URLs), `html` (the tokenizer, what is skipped, positions,
entities), `slug` (GitHub's heading slugs). Nothing here resolves a URL or reads a file: the
caller does both.
"""

from __future__ import annotations

from .html import html_anchors, html_document, html_links, srcset_candidates
from .link import Link
from .markdown import markdown_anchors, markdown_document, markdown_links
from .slug import GithubSlugger, github_slug

__all__ = [
    "GithubSlugger",
    "Link",
    "github_slug",
    "html_anchors",
    "html_document",
    "html_links",
    "markdown_anchors",
    "markdown_document",
    "markdown_links",
    "srcset_candidates",
]
