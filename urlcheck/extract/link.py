"""What the extractors return, and the one rule for counting lines and columns."""

from __future__ import annotations

from ..record import record


@record
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


def normalize_text(text: str) -> str:
    """`text` as both standards read it: CRLF and lone CR as LF, a leading BOM dropped.

    An editor shows no column for the BOM, and CommonMark would not see ``# Title`` behind it.
    """
    text = text.removeprefix("\ufeff")
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Positions:
    """Line and column of offsets into one text, fastest when asked in increasing order."""

    __slots__ = ("_line", "_line_start", "_offset", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._line_start = 0

    def at(self, offset: int) -> tuple[int, int]:
        """The (line, column) of the character at `offset`, both 1-based."""
        text = self._text
        if offset < self._offset:  # out of order: count again from the start
            self._offset, self._line, self._line_start = 0, 1, 0
        # Only the text since the last offset is looked at, so a whole document costs one
        # pass however its links fall (a minified page is one line with thousands of them).
        newlines = text.count("\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = text.rfind("\n", self._offset, offset) + 1
        self._offset = offset
        return self._line, offset - self._line_start + 1


class CharOffsets:
    """Character offsets of UTF-8 byte offsets into one text, fastest in increasing order.

    For an ASCII text the two are the same and nothing is counted; otherwise only the bytes
    since the last offset asked for are decoded, so a whole document costs one pass.
    """

    __slots__ = ("_byte", "_char", "_data")

    def __init__(self, text: str) -> None:
        self._data = None if text.isascii() else text.encode()
        self._byte = 0
        self._char = 0

    def at(self, offset: int) -> int:
        """The offset in characters of the character that starts at byte `offset`."""
        data = self._data
        if data is None:
            return offset
        if offset < self._byte:  # out of order: count again from the start
            self._byte = self._char = 0
        self._char += len(data[self._byte : offset].decode())
        self._byte = offset
        return self._char
