"""GitHub's heading anchors: the slug of one heading, and unique slugs for a whole document.

The rule is github-slugger's (the JavaScript package that reproduces what github.com does):
lower-case the text, delete every character in the Unicode categories below unless it is
Alphabetic, keep ``-`` and turn each space into ``-``. Letters, marks and digits of any script
stay (``Über uns`` → ``über-uns``, ``日本語`` → ``日本語``); nothing is trimmed or collapsed, so
``a - b`` is ``a---b``. A repeated slug gets ``-1``, ``-2`` … in document order, and a suffixed
slug never takes one already given (``foo``, ``foo``, ``foo 1`` → ``foo``, ``foo-1``,
``foo-1-1``).

lychee's source has moved to the same rule (``extract/slugify.rs``), but lychee 0.24.2, the
release on PyPI, keeps every ``char::is_alphanumeric`` character and turns all white space
into ``-``: ``1² and ½`` is ``1²-and-½`` there, ``1-and-`` on github.com and here.
"""

from __future__ import annotations

import unicodedata

REMOVED_CATEGORIES = frozenset(
    {
        "No",  # other numbers (², ½, ①) — decimal digits and letter numbers stay
        "Pd",  # dashes, except the ASCII hyphen-minus
        "Ps",
        "Pe",
        "Pi",
        "Pf",
        "Po",  # all punctuation but the connector kind (``_`` stays)
        "Sm",
        "Sc",
        "Sk",
        "So",
        "Cc",
        "Cf",
        "Co",
        "Cn",
        "Zs",  # separators, except the ASCII space
        "Zl",
        "Zp",
    }
)
"""github-slugger's list (``script/generate-regex.mjs``), as two-letter Unicode categories."""

ALPHABETIC_SYMBOLS = ((0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189))
"""Characters in a removed category (So) that are Alphabetic all the same, so they stay: the
circled, squared and negative squared Latin letters (Ⓐ, 🄰, 🅐, 🅰). Python has no Alphabetic
property, and these ranges are where Other_Alphabetic meets the removed categories."""


class _SlugTable(dict[int, str | None]):
    """A `str.translate` table, each character decided on first sight and remembered."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        if char == " ":
            result: str | None = "-"
        elif char == "-":
            result = char
        elif unicodedata.category(char) in REMOVED_CATEGORIES and not any(
            low <= code <= high for low, high in ALPHABETIC_SYMBOLS
        ):
            result = None
        else:
            result = char
        self[code] = result
        return result


_TABLE = _SlugTable()


def github_slug(heading_text: str) -> str:
    """One heading's slug as GitHub makes it, without the suffix that tells duplicates apart."""
    return heading_text.lower().translate(_TABLE)


class GithubSlugger:
    """Unique slugs for the headings of one document, given in document order."""

    __slots__ = ("_occurrences",)

    def __init__(self) -> None:
        self._occurrences: dict[str, int] = {}

    def slug(self, heading_text: str) -> str:
        """The next heading's slug: `github_slug`, then ``-1``, ``-2`` … until it is new."""
        base = github_slug(heading_text)
        result = base
        while result in self._occurrences:
            self._occurrences[base] += 1
            result = f"{base}-{self._occurrences[base]}"
        self._occurrences[result] = 0
        return result
