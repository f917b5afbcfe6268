"""The status table as plain text, for a file or a pipe: the columns and words of the
terminal's table (`cells`), aligned, no colour, nothing cut or folded, no trailing blanks.
It needs no rich, and draws 20,000 rows in a fraction of a second (rich takes half a
millisecond a row, fine for a screen, not for a report)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import CheckResult, Summary
from .cells import Cell, Column, cell_width, status_cells
from .labels import summary_parts

GAP = "  "
"""Between two columns: rich's padding of one on each side."""


def _aligned(cell: Cell, width: int, column: Column) -> str:
    pad = " " * (width - cell_width(cell.text))
    return pad + cell.text if column.justify == "right" else cell.text + pad


def plain_table(results: Sequence[CheckResult]) -> str:
    """The status table as text (empty for no results)."""
    if not results:
        return ""
    columns, rows = status_cells(results)
    widths = [max(cell_width(column.header), column.width or 0) for column in columns]
    for row in rows:
        if isinstance(row, list):
            for index, cell in enumerate(row):
                widths[index] = max(widths[index], cell_width(cell.text))
    header = [Cell(column.header) for column in columns]
    lines = [_line(header, widths, columns), "─" * (sum(widths) + len(GAP) * (len(widths) - 1))]
    first_heading = True
    for row in rows:
        if isinstance(row, str):  # a document's name, in the URL column
            if not first_heading:
                lines.append("")
            first_heading = False
            cells = [Cell() for _ in columns]
            cells[[c.header for c in columns].index("URL")] = Cell(row)
            lines.append(_line(cells, widths, columns))
        else:
            lines.append(_line(row, widths, columns))
    return "\n".join(lines) + "\n"


def _line(cells: Sequence[Cell], widths: Sequence[int], columns: Sequence[Column]) -> str:
    text = GAP.join(
        _aligned(cell, width, column)
        for cell, width, column in zip(cells, widths, columns, strict=True)
    )
    return text.rstrip()


def plain_summary(summary: Summary, *, hidden_ok: int = 0, interrupted: bool = False) -> str:
    """The summary line (and what was left out), as text."""
    parts = summary_parts(summary, hidden_ok=hidden_ok, interrupted=interrupted)
    return "".join(text for text, _ in parts) + "\n"
