"""The status table as plain text, for a file or a pipe: the columns and words of the
terminal's table (`cells`), aligned, no colour, nothing cut or folded, no trailing blanks.
It needs no rich, and draws 20,000 rows in a fraction of a second (rich takes half a
millisecond a row, fine for a screen, not for a report)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import CheckResult, Summary
from .cells import cell_width, status_cells
from .labels import summary_parts

GAP = "  "
"""Between two columns: rich's padding of one on each side."""


def plain_table(results: Sequence[CheckResult]) -> str:
    """The status table as text (empty for no results)."""
    if not results:
        return ""
    columns, rows = status_cells(results)
    url_column = [column.header for column in columns].index("URL")
    lines: list[list[str]] = [[column.header for column in columns]]
    for row in rows:
        if isinstance(row, str):  # a document's name, in the URL column
            heading = [""] * len(columns)
            heading[url_column] = row
            lines.append(heading)
        else:
            lines.append([text for text, _ in row])
    # Each cell's width once: its length, unless it has wide or combining characters.
    sizes = [[len(text) if text.isascii() else cell_width(text) for text in line] for line in lines]
    widths = [
        max(column.width or 0, *column_sizes)
        for column, column_sizes in zip(columns, zip(*sizes, strict=True), strict=True)
    ]
    right = [column.justify == "right" for column in columns]
    out = []
    headings = 0
    for number, (line, line_sizes) in enumerate(zip(lines, sizes, strict=True)):
        if number == 1:
            out.append("─" * (sum(widths) + len(GAP) * (len(widths) - 1)))
        if number and isinstance(rows[number - 1], str):
            if headings:
                out.append("")  # a blank line before each document's name but the first
            headings += 1
        parts = []
        for text, size, width, to_right in zip(line, line_sizes, widths, right, strict=True):
            pad = " " * (width - size)
            parts.append(pad + text if to_right else text + pad)
        out.append(GAP.join(parts).rstrip())
    return "\n".join(out) + "\n"


def plain_summary(summary: Summary, *, hidden_ok: int = 0, interrupted: bool = False) -> str:
    """The summary line (and what was left out), as text."""
    parts = summary_parts(summary, hidden_ok=hidden_ok, interrupted=interrupted)
    return "".join(text for text, _ in parts) + "\n"
