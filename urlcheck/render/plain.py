"""The status table as plain text, for a file or a pipe: the columns and words of the
terminal's table (`cells`), aligned, no colour, nothing cut or folded, no trailing blanks.
It needs no rich, and draws 20,000 rows in a fraction of a second (rich takes half a
millisecond a row, fine for a screen, not for a report)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..models import CheckResult, Summary
from .cells import cell_width, status_cells
from .labels import summary_parts

GAP = "  "
"""Between two columns: rich's padding of one on each side."""


def plain_lines(results: Sequence[CheckResult]) -> Iterator[str]:
    """The status table's lines, each with its newline, to write as they come: the widths
    need every row's texts first, but never the whole table as one string."""
    if not results:
        return
    columns, rows = status_cells(results)
    url_column = [column.header for column in columns].index("URL")
    headers = [column.header for column in columns]
    widths = [max(column.width or 0, _width(column.header)) for column in columns]
    lines: list[list[str] | str] = [headers]
    for row in rows:
        if isinstance(row, str):  # a document's name, in the URL column
            widths[url_column] = max(widths[url_column], _width(row))
            lines.append(row)
            continue
        line = [text for text, _ in row]
        # Each cell's width: its length, unless it has wide or combining characters.
        widths = [max(pair) for pair in zip(widths, map(_width, line), strict=True)]
        lines.append(line)
    right = [column.justify == "right" for column in columns]
    headings = 0
    for number, item in enumerate(lines):
        if number == 1:
            yield "─" * (sum(widths) + len(GAP) * (len(widths) - 1)) + "\n"
        if isinstance(item, str):
            if headings:
                yield "\n"  # a blank line before each document's name but the first
            headings += 1
            yield _heading(item, url_column, widths)
            continue
        parts = []
        for text, width, to_right in zip(item, widths, right, strict=True):
            pad = " " * (width - _width(text))
            parts.append(pad + text if to_right else text + pad)
        yield GAP.join(parts).rstrip() + "\n"


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_width(text)


def _heading(name: str, url_column: int, widths: list[int]) -> str:
    """A document's name in the URL column, the columns before it blank."""
    before = sum(widths[:url_column]) + len(GAP) * url_column
    return " " * before + name.rstrip() + "\n"


def plain_summary(summary: Summary, *, hidden_ok: int = 0, interrupted: bool = False) -> str:
    """The summary line (and what was left out), as text."""
    parts = summary_parts(summary, hidden_ok=hidden_ok, interrupted=interrupted)
    return "".join(text for text, _ in parts) + "\n"
