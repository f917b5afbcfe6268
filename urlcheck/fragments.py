"""Is a link's ``#fragment`` in the page or file it points at: the one rule, for local
documents and for remote pages (``--fragments``) alike.

A fragment is found when a document's anchors (`extract`: the GitHub slugs of a Markdown
file's headings, the ``id`` and ``name`` values of HTML) hold it as written or
percent-decoded (browsers decode it before they look); in Markdown also lower-cased (GitHub
matches headings that way); with GitHub's ``user-content-`` prefix added or taken away (the
prefix github.com puts on the ids of rendered README headings, and links may use either);
and always when it is empty or ``top``, which scroll to the top of any HTML page.
"""

from __future__ import annotations

import enum
import urllib.parse
from dataclasses import replace

from .models import CheckResult, ErrorKind
from .record import record

GITHUB_PREFIX = "user-content-"
ALWAYS_THERE = frozenset({"", "top"})
"""Fragments every page has: the start of the document (HTML's "top", any letter case)."""


class Dialect(enum.StrEnum):
    """Whose anchors: how a fragment is matched against them."""

    MARKDOWN = "markdown"
    HTML = "html"


@record
class Anchors:
    """What a ``#fragment`` may name in one document."""

    names: frozenset[str]
    dialect: Dialect
    complete: bool = True
    """False when only the start of a long page was read: a miss then says so."""

    def has(self, fragment: str) -> bool:
        """Whether `fragment` (without its ``#``) names a place in the document."""
        decoded = urllib.parse.unquote(fragment)
        if decoded.lower() in ALWAYS_THERE:
            return True
        candidates = {fragment, decoded}
        if self.dialect is Dialect.MARKDOWN:
            candidates.add(decoded.lower())
        for candidate in list(candidates):
            if candidate.startswith(GITHUB_PREFIX):
                candidates.add(candidate[len(GITHUB_PREFIX) :])
            else:
                candidates.add(GITHUB_PREFIX + candidate)
        return not self.names.isdisjoint(candidates)


def missing_message(fragment: str, where: str, anchors: Anchors) -> str:
    """Why a fragment fails: it is in none of `where`'s headings or ids."""
    places = "heading" if anchors.dialect is Dialect.MARKDOWN else "id or name"
    message = f"no {places} #{fragment} in {where}"
    if not anchors.complete:
        message += " (only the start of the page was read: it is longer than the limit)"
    return message


def judge(result: CheckResult, fragment: str | None, anchors: Anchors | None) -> CheckResult:
    """`result` (the page's, for a link with `fragment`) failed as `fragment` when the page
    answered well but has no such anchor; as it is otherwise (no fragment asked for, the page
    failed, or its type has no anchors to look in)."""
    if fragment is None or anchors is None or not result.ok or anchors.has(fragment):
        return result
    where = result.final_url or result.url
    return replace(
        result,
        ok=False,
        error_kind=ErrorKind.FRAGMENT,
        error=missing_message(fragment, where, anchors),
    )
