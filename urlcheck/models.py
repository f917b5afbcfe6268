"""The values that flow through the pipeline: targets in, attempts and results out, and the
summary of a run. How to check is `options.CheckOptions`."""

from __future__ import annotations

import enum
import operator
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from .record import record
from .urls import line_id

if TYPE_CHECKING:
    from yarl import URL


class ErrorKind(enum.StrEnum):
    """Why a URL failed; `None` on a result means it did not."""

    STATUS = "status"
    TIMEOUT = "timeout"
    DNS = "dns"
    REFUSED = "refused"
    TLS = "tls"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    INVALID_URL = "invalid_url"
    DISCONNECTED = "disconnected"
    PROTOCOL = "protocol"
    OTHER = "other"
    INVALID_EXPECTATION = "invalid_expectation"
    """A line's expectation (``status=``, ``max-ms=``, ``contains=``) cannot be read."""
    SLOW = "slow"
    """Answered, but slower than ``max-ms`` / ``--max-ms``."""
    CONTENT = "content"
    """The body's first 64 KiB do not contain the ``contains=`` text."""
    CERT_EXPIRY = "cert_expiry"
    """The TLS certificate expires sooner than ``--cert-days``."""
    MISSING_FILE = "missing_file"
    """A document's link to a local file (or directory) that does not exist."""
    FRAGMENT = "fragment"
    """The page or file exists, but not the ``#fragment`` the link points at."""
    RATE_LIMITED = "rate_limited"
    """Still 429 Too Many Requests after the retries: whether the URL is fine is unknown."""
    BLOCKED = "blocked"
    """A bot challenge answered instead of the page (a CDN's wall): unknown too."""


UNVERIFIED_KINDS = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.BLOCKED})
"""Failures that say the server would not tell, not that the URL is broken (``--unverified``)."""


class StatusRanges:
    """A set of HTTP statuses written as ranges, e.g. ``200..299,401``."""

    __slots__ = ("_ranges", "_statuses", "_text")

    def __init__(self, text: str) -> None:
        ranges: list[tuple[int, int]] = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            low_text, sep, high_text = part.partition("..")
            try:
                low = int(low_text)
                high = int(high_text) if sep else low
            except ValueError:
                raise ValueError(f"{part!r} is not a status or a range like 200..299") from None
            if not (100 <= low <= high <= 999):
                raise ValueError(f"{part!r} is not a range of statuses between 100 and 999")
            ranges.append((low, high))
        if not ranges:
            raise ValueError("no statuses given")
        self._ranges = tuple(ranges)
        # Asked twice per check: a set (at most 900 statuses) answers at once.
        self._statuses = frozenset(code for lo, hi in ranges for code in range(lo, hi + 1))
        self._text = ",".join(f"{lo}..{hi}" if lo != hi else str(lo) for lo, hi in ranges)

    def __contains__(self, status: object) -> bool:
        return status in self._statuses

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"StatusRanges({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatusRanges) and other._ranges == self._ranges

    def __hash__(self) -> int:
        return hash(self._ranges)


@record
class Expectations:
    """What one URL line expects beyond the global options, e.g. ``status=200 max-ms=800``."""

    status: StatusRanges | None = None
    max_ms: float | None = None
    contains: str | None = None


@record
class Target:
    """One URL line of an input, or one link of a document: what to request, and where it
    came from."""

    url: str = field(repr=False)
    """The URL to request, credentials included: never show it, show `display` instead."""
    display: str
    """The URL as given, with any password masked."""
    source: str = "-"
    """The file the line came from (``-`` for standard input)."""
    line: int = 0
    problem: str | None = None
    """Why the line cannot be checked (it then fails as `problem_kind` without a request)."""
    problem_kind: ErrorKind = ErrorKind.INVALID_URL
    expect: Expectations | None = None
    parsed: URL | None = field(default=None, repr=False, compare=False)
    """`url` as parsed while reading, so the request need not parse it again."""
    column: int | None = None
    """Where a document's link starts on its line (1-based, in characters); None for lists."""
    fragment: str | None = None
    """A document link's ``#fragment`` to find in the page (``--fragments``): `url` is then
    the page's URL without it, and the page's body is read for its anchors."""
    page: int | None = None
    """A web page (or sitemap) whose links are wanted, and its depth in the crawl (0: named
    on the command line): it is fetched with GET and its body read (`crawl`)."""

    def with_parsed(self, parsed: URL | None) -> Target:
        """This target with its URL as parsed, or None: without it."""
        return self._with((_TARGET_PARSED, parsed))

    def at(self, source: str, line: int) -> Target:
        """This target for another line of a list that gives the same text; not for one
        with a `problem`, which names its line."""
        return self._with((_TARGET_SOURCE, source), (_TARGET_LINE, line))

    def _with(self, *changes: tuple[int, object]) -> Target:
        """This target with the fields at these places changed: made from the values in
        order, not with `dataclasses.replace`, which looks the fields up on every call."""
        values = list(_target_values(self))
        for place, value in changes:
            values[place] = value
        return Target(*values)

    @property
    def key(self) -> object:
        """Lines with equal keys are checked once: the same URL with the same expectations.
        Links to fragments of one page share a key: the page is fetched once for them all;
        and so does a page the crawl reads with every link to it."""
        if self.page is not None:
            return (self.url, "page")
        if self.fragment is not None:
            return (self.url, "#")
        return self.url if self.expect is None else (self.url, self.expect)


ELAPSED_DIGITS = 3
"""Decimals of `CheckResult.elapsed_ms` in the records (JSON, CSV, the cluster's wire)."""
CERT_DAYS_DIGITS = 2
"""Decimals of `CheckResult.cert_days` in the records."""


@record
class CheckResult:
    """The outcome of checking one URL line; an unreachable URL is a result, not an exception."""

    url: str
    line: int
    ok: bool
    status: int | None = None
    reason: str | None = None
    elapsed_ms: float = 0.0
    final_url: str | None = None
    redirects: int = 0
    method: str | None = None
    attempts: int = 0
    error_kind: ErrorKind | None = None
    error: str | None = None
    file: str = "-"
    cert_days: float | None = None
    """Days until the server's TLS certificate expires (https only; negative once expired)."""
    id: str = ""
    """The line's stable id (`inputs.line_id`): its file and unmasked URL, hashed."""
    column: int | None = None
    """Where a document's link starts on its `line` (1-based, in characters); None for lists."""
    skipped: bool = False
    """A link that is not checked (``mailto:``, ``tel:`` …): `ok`, never a failure."""
    warning: bool = False
    """Not `ok`, but only a warning: unverified (`UNVERIFIED_KINDS`) with ``--unverified warn``;
    it does not fail the run."""
    cached: bool = False
    """Reported from the history (``--cache``): fine when last checked, not requested now."""

    FIELDS: ClassVar[tuple[str, ...]]
    """The field names in order: every output format's columns, and the database's."""

    def __reduce__(self) -> tuple[type[CheckResult], tuple[Any, ...]]:
        # Pickled by the worker processes of a long list (shards.py): positional values
        # load several times faster than the default state dict of a slotted dataclass.
        return CheckResult, _result_values(self)

    def for_line(self, target: Target) -> CheckResult:
        """This result again for another line that lists the same URL (made from the values
        in order: `dataclasses.replace` looks the fields up on every call, 10 µs a row of a
        crawl whose pages all link to the same few pages)."""
        values = list(_result_values(self))
        url, line, file, id_, column = _LINE_FIELDS
        values[url] = target.display
        values[line] = target.line
        values[file] = target.source
        values[id_] = line_id(target.source, target.url)
        values[column] = target.column
        return CheckResult(*values)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready values, in the documented field order."""
        values = dict(zip(self.FIELDS, _result_values(self), strict=True))
        values["elapsed_ms"] = round(self.elapsed_ms, ELAPSED_DIGITS)
        if self.error_kind is not None:
            values["error_kind"] = str(self.error_kind)
        if self.cert_days is not None:
            values["cert_days"] = round(self.cert_days, CERT_DAYS_DIGITS)
        return values


@dataclass(slots=True)
class Attempt:
    """What one request (its redirects followed) ended with, before it is judged."""

    method: str
    status: int | None = None
    reason: str | None = None
    final_url: str | None = None
    redirects: int = 0
    error_kind: ErrorKind | None = None
    error: str | None = None
    retry_after: float | None = None
    body_match: bool | None = None
    """Whether the body held the ``contains=`` text (None: not looked at)."""
    body: bytes | None = None
    """The start of the body (its Content-Encoding undone), for a link's ``#fragment`` or a
    page's links (None: not read)."""
    content_type: str | None = None
    """The response's ``Content-Type``, with `body`."""
    body_complete: bool = True
    """False when `body` stops at the limit, short of the end."""
    wall: str | None = None
    """Whose bot challenge answered instead of the page, and the evidence (``http.walls``)."""
    cert_expires: float | None = None
    """When the final server's TLS certificate expires (UNIX time), if its connection said."""
    probe_cert: bool = False
    """The request went through aiohttp: the certificate must be read by a handshake of its own."""

    @classmethod
    def timed_out(cls, method: str, timeout: float) -> Attempt:
        """The attempt whose deadline came first."""
        return cls(method, error_kind=ErrorKind.TIMEOUT, error=timeout_message(timeout))

    @classmethod
    def too_many_redirects(cls, method: str, redirects: int) -> Attempt:
        """The request followed `redirects` redirects (``--max-redirects``) and met one more."""
        return cls(
            method,
            redirects=redirects,
            error_kind=ErrorKind.TOO_MANY_REDIRECTS,
            error=too_many_redirects_message(redirects),
        )


Fetch = Callable[[str], Awaitable[Attempt]]
"""One GET of a URL, its body read: what a crawl fetches beside the checks (robots.txt)."""


def timeout_message(timeout: float) -> str:
    return f"no complete answer within {timeout:g} s"


def too_many_redirects_message(redirects: int) -> str:
    return f"more than {redirects} redirects"


CheckResult.FIELDS = tuple(f.name for f in fields(CheckResult))
_result_values = operator.attrgetter(*CheckResult.FIELDS)
_TARGET_FIELDS = tuple(f.name for f in fields(Target))
_target_values = operator.attrgetter(*_TARGET_FIELDS)
_TARGET_PARSED = _TARGET_FIELDS.index("parsed")
_TARGET_SOURCE = _TARGET_FIELDS.index("source")
_TARGET_LINE = _TARGET_FIELDS.index("line")
_LINE_FIELDS = tuple(
    CheckResult.FIELDS.index(name) for name in ("url", "line", "file", "id", "column")
)
"""Where `CheckResult.for_line` puts what names the line."""


def in_input_order(results: Iterable[CheckResult], files: Sequence[str]) -> list[CheckResult]:
    """`results` sorted as their lines stand: files in the order given, then line numbers
    (and columns, for the links of a document)."""
    order = {name: index for index, name in enumerate(files)}
    # A document found in a walked directory is no input itself: after them, by its path.
    return sorted(
        results, key=lambda r: (order.get(r.file, len(order)), r.file, r.line, r.column or 0)
    )


@dataclass(slots=True)
class Summary:
    """Running counts over a stream of results, for the summary line and the exit code."""

    total: int = 0
    failed: int = 0
    """Results not ok, warnings not counted."""
    warnings: int = 0
    skipped: int = 0
    """Links that are not checked (``mailto:`` …): among the fine ones."""
    slowest: CheckResult | None = None
    wall_s: float = 0.0
    """Seconds the whole run took."""

    @property
    def ok(self) -> int:
        """How many results were fine."""
        return self.total - self.failed - self.warnings

    def add(self, result: CheckResult) -> None:
        """Count one more result."""
        self.total += 1
        if result.warning:
            self.warnings += 1
        elif not result.ok:
            self.failed += 1
        elif result.skipped:
            self.skipped += 1
        if (
            result.status is not None
            and not result.cached  # its time is an earlier run's
            and (self.slowest is None or result.elapsed_ms > self.slowest.elapsed_ms)
        ):
            self.slowest = result
