"""Which URLs a run leaves out: ``--exclude`` and ``--include`` regular expressions, and the
``.urlcheckignore`` file, read as more ``--exclude``s.

lychee's rule: a URL that an ``--include`` matches is checked, whatever the excludes say.
Otherwise it is left out when an ``--exclude`` matches it, or when there are includes and
no excludes at all (``--include`` alone: only what it matches). A pattern matches anywhere
in the URL as written (``re.search``). Left out means never requested, and no result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .record import record

IGNORE_FILE = ".urlcheckignore"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled, or ValueError saying what is wrong with it."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a regular expression ({exc})") from None


def read_ignore_file(path: str = IGNORE_FILE) -> list[str]:
    """The patterns of an ignore file, one a line (blank lines and ``#`` comments skipped);
    none when it does not exist. ValueError names the line of a bad pattern; OSError says
    why the file cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            lines = stream.read().splitlines()
    except FileNotFoundError:
        return []
    patterns = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            compile_pattern(text)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
        patterns.append(text)
    return patterns


@record
class LinkFilter:
    """The URLs to leave out, by lychee's rule (see the module's docstring)."""

    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def of(cls, include: Sequence[str], exclude: Sequence[str]) -> LinkFilter:
        """The filter of these patterns; ValueError for one that is not a regex."""
        return cls(
            tuple(compile_pattern(p) for p in include), tuple(compile_pattern(p) for p in exclude)
        )

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def keeps(self, url: str) -> bool:
        """Whether `url` (as written) is checked."""
        if self.include:
            if any(pattern.search(url) for pattern in self.include):
                return True
            if not self.exclude:
                return False
        return not any(pattern.search(url) for pattern in self.exclude)


def run_filter(include: Sequence[str], exclude: Sequence[str]) -> LinkFilter:
    """The filter of a run: its options, and `IGNORE_FILE` in the working directory when
    there is one."""
    ignored = read_ignore_file(IGNORE_FILE)
    return LinkFilter.of(include, [*exclude, *ignored])
