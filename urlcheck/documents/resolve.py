"""Where a link in a local document leads: a remote URL, a local file (with a fragment
perhaps), a scheme that is not checked, or nowhere that can be known.

- ``http:``/``https:`` URLs are remote, and so is ``//host/path`` (as ``https:``).
- Other schemes (``mailto:``, ``tel:``, ``javascript:``, ``data:``, ``ftp:`` …) are not checked.
- ``file:`` URLs and relative links are files: relative to the document's directory, or to
  ``--root-dir`` for a root-relative ``/x.html`` (which without it cannot be found).
  The query is dropped, the path percent-decoded; ``#fragment`` alone is the document itself.
- An HTML document's ``<base href>`` comes first, as in a browser: every link is read
  against it (an absolute one makes relative links remote URLs, a relative one moves where
  files are looked for, and ``#x`` then points into the base, not this document).
"""

from __future__ import annotations

import os
import re
import urllib.parse

from ..record import record

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
REMOTE_SCHEMES = frozenset({"http", "https"})
_WHITE_SPACE = "\t\n\f\r "


@record
class Remote:
    """A link to request: its absolute URL, without the fragment, and the fragment."""

    url: str
    fragment: str | None


@record
class Local:
    """A link to a file or directory on this machine."""

    path: str
    """Absolute and normalized."""
    fragment: str | None


@record
class Unchecked:
    """A link with a scheme urlcheck does not check."""

    scheme: str


@record
class Unknowable:
    """A link whose target cannot be found from here, and why."""

    problem: str


Resolved = Remote | Local | Unchecked | Unknowable


def _split_fragment(url: str) -> tuple[str, str | None]:
    before, sep, fragment = url.partition("#")
    return before, (fragment if sep else None)


def resolve(
    link: str,
    document: str,
    *,
    base: str | None = None,
    root_dir: str | None = None,
    directory: str | None = None,
) -> Resolved:
    """Where `link`, written in the local file `document`, leads (`directory`: the
    document's own, absolute, when the caller knows it: `document` is absolute then)."""
    if (
        base is None
        and directory is not None
        and link
        and link[0] not in "#/"
        and link[0] > " "
        and link[-1] > " "
        and ":" not in link
        and "?" not in link
        and "%" not in link
    ):
        # Most links of a tree (``../guide.md#setup``): no scheme, query or escape to read,
        # nothing to strip. The same answer as below, in a fifth of the time.
        path, sep, after = link.partition("#")
        return Local(os.path.normpath(os.path.join(directory, path)), after if sep else None)
    link = link.strip(_WHITE_SPACE)
    if base is not None and base.strip(_WHITE_SPACE):
        # As a browser does: every link, a fragment alone too, is read against <base>.
        link = urllib.parse.urljoin(base.strip(_WHITE_SPACE), link)
    scheme = _SCHEME_RE.match(link)
    if scheme is not None:
        name = scheme.group(1).lower()
        if name in REMOTE_SCHEMES:
            url, fragment = _split_fragment(link)
            return Remote(url, fragment)
        if name != "file":
            return Unchecked(name)
        return _file_url(link)
    if link.startswith("//"):
        url, fragment = _split_fragment("https:" + link)
        return Remote(url, fragment)
    target, fragment = _split_fragment(link)
    target = target.partition("?")[0]
    if not target:
        return Local(os.path.abspath(document) if directory is None else document, fragment)
    path = urllib.parse.unquote(target)
    if path.startswith("/"):
        if root_dir is None:
            return Unknowable(f"{link} is root-relative: give --root-dir to say where / is")
        return Local(os.path.abspath(os.path.join(root_dir, path.lstrip("/"))), fragment)
    where = os.path.dirname(os.path.abspath(document)) if directory is None else directory
    return Local(os.path.normpath(os.path.join(where, path)), fragment)


def _file_url(link: str) -> Resolved:
    parts = urllib.parse.urlsplit(link)
    if parts.netloc not in ("", "localhost"):
        return Unknowable(f"{link} names another host's file")
    path = urllib.parse.unquote(parts.path)
    return Local(os.path.normpath(path or "/"), parts.fragment if "#" in link else None)
