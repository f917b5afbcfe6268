"""Bare URLs in Markdown text: GitHub's extended autolinks (the GFM ``autolink`` extension).

The rules are cmark-gfm's (``extensions/autolink.c``, what github.com renders with), applied
to one run of text as written in the source:

- ``http://``, ``https://`` and ``ftp://`` in any case, not right after an ASCII letter
  (``xhttp://`` is nothing), followed by a character that is neither white space nor
  punctuation;
- ``www.`` at the start of a block's text (a paragraph's, a table cell's) or after white
  space, ``*``, ``_``, ``~`` or ``(``, followed by at least one such character; its URL is
  ``http://`` and what is written;
- the URL runs to the next ASCII white space or ``<``, then loses its trailing ``?``, ``!``,
  ``.``, ``,``, ``:``, ``*``, ``_``, ``~``, ``'`` and ``"``; a trailing ``)`` only while the
  URL has more ``)`` than ``(`` (``…/Pikachu_(Electric)`` keeps its own); a trailing ``;``,
  with the ``&name`` before it when that looks like an entity; again until none of these
  ends it;
- no URL whose host has an ``_`` in one of its last two labels (a host name has none),
  unless it has more than ten labels (cmark-gfm's guard against quadratic time).

Not taken, though GitHub links them: bare e-mail addresses and ``mailto:``/``xmpp:`` forms
(nothing to check, and ``git@github.com:org/repo.git`` or ``logo@2x.png`` read as addresses),
and ``www.`` with nothing after the dot (cmark-gfm links ``www. `` as ``http://www``).

The URL is the text as written: entities and backslash escapes stay, as in cmark-gfm, which
copies the raw characters. Which text is searched is the caller's rule (`markdown`: text
events outside code, links and images), so a URL ends where its run of text ends, at emphasis,
a code span or raw HTML, where cmark-gfm's scan of the raw line would run on.
"""

from __future__ import annotations

import re
import string
import unicodedata

_BARE_URL_RE = re.compile(r"(?<![A-Za-z])(?:(?i:https?|ftp)://|(?P<www>www\.))[^\t\n\v\f\r <]++")
_WWW_AFTER = frozenset("\t\n\v\f\r *_~(")
"""What may stand before ``www.`` (besides the start of the text)."""
_TRAILING = frozenset("?!.,:*_~'\"")
_ASCII_LETTERS = frozenset(string.ascii_letters)
_HOST_PUNCTUATION = frozenset(string.punctuation)


def _is_host_char(char: str) -> bool:
    """cmark-gfm's ``is_valid_hostchar``: neither white space nor punctuation."""
    if char.isascii():
        return char not in _HOST_PUNCTUATION and not char.isspace()
    return not char.isspace() and unicodedata.category(char)[0] != "P"


def _host_is_valid(host: str) -> bool:
    """cmark-gfm's ``check_domain``: no ``_`` in the last two labels of the host."""
    index, length = 1, len(host)  # the first character is checked by the caller
    while index < length:
        if host[index] == "\\" and index + 1 < length:
            index += 1  # a backslash is passed over; what it escapes is judged as usual
        if host[index] not in "._-" and not _is_host_char(host[index]):
            break
        index += 1
    host = host[:index]
    return "_" not in "".join(host.split(".")[-2:]) or host.count(".") > 10


def trim(url: str) -> str:
    """`url` without what cmark-gfm's ``autolink_delim`` takes off its end."""
    opening, closing = url.count("("), url.count(")")
    end = len(url)
    while end:
        char = url[end - 1]
        if char == ")":
            if closing <= opening:
                break
            closing -= 1
            end -= 1
        elif char in _TRAILING:
            end -= 1
        elif char == ";":
            start = end - 2
            while start > 0 and url[start] in _ASCII_LETTERS:
                start -= 1
            end = start if start < end - 2 and url[start] == "&" else end - 1
        else:
            break
    return url[:end]


def bare_urls(text: str, start: int, end: int, *, at_start: bool) -> list[tuple[int, str]]:
    """The bare URLs in ``text[start:end]``: (offset in `text`, URL), in order.

    What stands before `start` in `text` counts for ``www.``, as it does on GitHub, where the
    text is read in its line; `at_start` says `start` begins a block's text (a table cell
    after its ``|``), where ``www.`` needs nothing before it.
    """
    found: list[tuple[int, str]] = []
    for match in _BARE_URL_RE.finditer(text, start, end):
        offset = match.start()
        written = trim(match.group())
        if match.group("www") is not None:
            if not (
                (offset == start and at_start) or offset == 0 or text[offset - 1] in _WWW_AFTER
            ):
                continue
            host_at, host = 4, written
            url = "http://" + written
        else:
            host_at = written.index("://") + 3
            host = written[host_at:]
            url = written
        if len(written) <= host_at or not _is_host_char(written[host_at]):
            continue
        if not _host_is_valid(host):
            continue
        found.append((offset, url))
    return found
