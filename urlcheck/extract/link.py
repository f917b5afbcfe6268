"""What the extractors return, and the one rule for counting lines and columns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Link:
    """One link as written in a document, and where it starts (1-based, in characters)."""

    url: str
    """As written: Markdown escapes and HTML entities decoded, nothing resolved or encoded."""
    line: int
    column: int
    element: str
    """``link``, ``image``, ``autolink`` or ``bare-url`` for Markdown; the tag name for HTML."""
    attribute: str | None
    """``href``, ``src`` or ``srcset`` for HTML (raw HTML in Markdown too); None for Markdown."""


def normalize_newlines(text: str) -> str:
    """`text` with CRLF and lone CR as LF: HTML and CommonMark both count lines that way."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Positions:
    """Line and column of offsets into one text, fastest when asked in increasing order."""

    __slots__ = ("_line", "_offset", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def at(self, offset: int) -> tuple[int, int]:
        """The (line, column) of the character at `offset`, both 1-based."""
        text = self._text
        if offset < self._offset:  # out of order: count again from the start
            self._offset, self._line = 0, 1
        self._line += text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line, offset - text.rfind("\n", 0, offset)
