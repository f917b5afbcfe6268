"""What the status table's cells say, whoever draws it: rich on a terminal (`table`), plain
aligned text in a file or a pipe (`plain`). No rich here.

Columns: URL, Status, Time, its bar, the certificate's days (when any result has them),
Redirects, Error; with the links of documents first a ``line:column`` column, and a row
naming each document before its links. Each cell has its text and the rich style it is
drawn in on a terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ..models import CheckResult
from .labels import BAR_WIDTH, cert_level, redirect_text, status_class, status_label, time_bar

STATUS_STYLES = {
    "ok": "green",
    "warn": "yellow",
    "fail": "bold red",
    "invalid": "bold red",
}
CERT_STYLES = {"fail": "bold red", "warn": "yellow", "ok": "", "": ""}


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the status table."""

    header: str
    justify: Literal["left", "right"] = "left"
    fold: bool = False
    """Long text folds onto more lines on a terminal (URLs, messages); else it never wraps."""
    width: int | None = None
    style: str = ""


Cell = tuple[str, str]
"""One cell: its text, and its style on a terminal. A plain tuple: a table of 20,000 rows
makes 160,000 of them, and a named tuple is made by a Python ``__new__``, a fifth of what
drawing the plain table costs."""
EMPTY: Cell = ("", "")

Row = list[Cell]
Heading = str
"""A row that names the document whose links follow."""


def cell_width(text: str) -> int:
    """Columns `text` takes on a terminal: wide East Asian characters two, combining ones 0."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def status_cells(results: Sequence[CheckResult]) -> tuple[list[Column], Iterator[Row | Heading]]:
    """The status table's columns, and its rows one at a time (a document's name before its
    links): a drawer holds what it needs of each, not every cell of every row at once."""
    by_document = any(r.column is not None for r in results)
    show_certs = any(r.cert_days is not None for r in results)
    columns = [
        Column("URL", fold=True),
        Column("Status"),
        Column("Time", justify="right"),
        Column("", width=BAR_WIDTH),
    ]
    if by_document:
        columns.insert(0, Column("Line", justify="right", style="dim"))
    if show_certs:
        columns.append(Column("Cert", justify="right"))
    columns += [Column("Redirects", fold=True), Column("Error", fold=True)]
    longest = max((r.elapsed_ms for r in results if r.attempts), default=0.0)
    return columns, _rows(results, longest, by_document=by_document, show_certs=show_certs)


def _rows(
    results: Sequence[CheckResult], longest: float, *, by_document: bool, show_certs: bool
) -> Iterator[Row | Heading]:
    current = None
    for result in results:
        if by_document and result.file != current:
            current = result.file
            yield result.file
        timing, bar = EMPTY, EMPTY
        if result.attempts:
            timing = (f"{result.elapsed_ms:,.0f} ms", "")
            bar = (time_bar(result.elapsed_ms, longest), "cyan")
        row = [
            (result.url, ""),
            (status_label(result), STATUS_STYLES[status_class(result)]),
            timing,
            bar,
        ]
        if by_document:
            where = str(result.line) if result.column is None else f"{result.line}:{result.column}"
            row.insert(0, (where, ""))
        if show_certs:
            days = result.cert_days
            row.append(EMPTY if days is None else (f"{days:,.0f} d", CERT_STYLES[cert_level(days)]))
        row += [(redirect_text(result), ""), (result.error or "", "red")]
        yield row
