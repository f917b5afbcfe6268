"""How tests/site.py writes its documents: the site's fixed paths, HTML pages whose link
positions are taken as each line is written, robots.txt and the sitemaps."""

from __future__ import annotations

import functools
import gzip
import posixpath
import random
from dataclasses import dataclass, field

ORIGIN = "@ORIGIN@"
"""Stands for ``http://host:port`` of the serving site in every template."""
HOME = "/"
STYLESHEET = "/static/site.css"
GONE = "/gone.html"
MOVED = "/moved.html"
ROBOTS = "/robots.txt"
SITEMAP_INDEX = "/sitemap_index.xml"
SITEMAP_PAGES = "/sitemap-pages.xml.gz"
SITEMAP_OTHER = "/sitemap-other.xml"
DISALLOWED = "/private/"
IMAGES = {
    "/img/logo.png": 200,
    "/img/photo-1.png": 200,
    "/img/photo-2.png": 200,
    "/img/photo-3.png": 200,
    "/img/chart.png": 200,
    "/img/old-photo.png": 404,
    "/img/missing.png": 404,
}
"""The images pages show, and what each answers."""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d5d1bf0000000049454e44ae426082"
)
"""A 1x1 transparent PNG."""
HTML = "text/html"
XML = "application/xml"
GZIP = "application/gzip"
SITEMAP_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
LASTMOD = "2024-05-01"
GROUP_MAX = 3
"""At most this many links on one line of a paragraph."""


@dataclass(frozen=True, slots=True)
class Resource:
    """What one path answers: a template body (`ORIGIN` filled in when served)."""

    status: int
    content_type: str
    body: str | bytes = b""
    gzip: bool = False
    location: str | None = None

    def render(self, origin: str) -> bytes:
        """The body as served from `origin` (``http://host:port``)."""
        if isinstance(self.body, bytes):
            return self.body
        data = self.body.replace(ORIGIN, origin).encode()
        # mtime=0: the same bytes on every run, as everything else here.
        return gzip.compress(data, mtime=0) if self.gzip else data


@dataclass
class Plan:
    """What one page links to, decided by tests/site.py; how it is written is drawn here."""

    path: str
    up: str | None = None
    pages: list[tuple[str, str | None]] = field(default_factory=list)
    """(page path, fragment or None) of the ordinary page links (nav not included)."""
    specials: list[str] = field(default_factory=list)
    """Paths (gone, moved, private) and absolute URLs (origin2, mailto) linked once each."""
    images: list[str] = field(default_factory=list)
    base: str | None = None
    self_fragment: str | None = None
    sections: int = 1
    seed: int = 0


@dataclass
class Item:
    """One link value being written, and where it landed (1-based line and column)."""

    element: str
    attribute: str
    href: str
    label: str
    target: str
    """The path (with its fragment) or URL it resolves to, ``<base href>`` honoured."""
    line: int = 0
    column: int = 0


class Writer:
    """Lines of a document, and the position of every link value written into them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.items: list[Item] = []

    def line(self, *pieces: str | Item) -> None:
        """Append one line; an `Item`'s position is where its value starts."""
        text = ""
        origin_seen = False
        for piece in pieces:
            if isinstance(piece, str):
                origin_seen = origin_seen or ORIGIN in piece
                text += piece
                continue
            # The origin's length is only known when served: nothing positioned may follow it.
            assert not origin_seen, f"a link value after {ORIGIN} on one line: {pieces}"
            piece.line, piece.column = len(self.lines) + 1, len(text) + 1
            text += piece.href
            self.items.append(piece)
            origin_seen = ORIGIN in piece.href
        self.lines.append(text)

    def text(self) -> str:
        """The document: every line ended by a newline."""
        return "".join(line + "\n" for line in self.lines)


@functools.lru_cache(maxsize=65536)
def label(target: str) -> str:
    """Link text for `target`."""
    if target == HOME:
        return "Home"
    if target.startswith("mailto:"):
        return "write to us"
    if not target.startswith("/"):
        return "elsewhere"
    name = posixpath.splitext(posixpath.basename(target.partition("#")[0]))[0]
    if name.isdigit():
        return f"{'private page' if target.startswith(DISALLOWED) else 'page'} {int(name)}"
    return {"gone": "an old page", "moved": "a page that moved"}.get(name, name or target)


def _href(plan: Plan, rng: random.Random, target: str, relative: float, absolute: float) -> str:
    if not target.startswith("/"):
        return target
    path, hash_, fragment = target.partition("#")
    roll = rng.random()
    if roll < absolute:
        href = ORIGIN + path
    elif roll < absolute + relative:
        start = "/" if plan.base is not None else posixpath.dirname(plan.path)
        href = _relative(path, start)
        roll = rng.random()
        if roll < 0.15 and start != "/":
            href = "../" + path.lstrip("/")  # up and down again: /p/ → ../p/00042.html
        elif roll < 0.3 and not href.startswith("."):
            href = "./" + href
    else:
        href = path
    return href + hash_ + fragment


@functools.lru_cache(maxsize=65536)
def _relative(path: str, start: str) -> str:
    href = posixpath.relpath(path, start)
    return {".": "./", "..": "../"}.get(href, href)


def _a(item: Item) -> tuple[str | Item, ...]:
    return ('<a href="', item, f'">{item.label}</a>')


def render_page(plan: Plan, title: str, relative: float, absolute: float) -> tuple[str, list[Item]]:
    """The page's HTML and its link values with their positions, in document order."""
    rng = random.Random(plan.seed)

    def item(target: str, element: str = "a", attribute: str = "href", name: str = "") -> Item:
        href = _href(plan, rng, target, relative, absolute)
        return Item(element, attribute, href, name or label(target), target)

    out = Writer()
    out.line("<!DOCTYPE html>")
    out.line('<html lang="en">')
    out.line("<head>")
    out.line('  <meta charset="utf-8">')
    out.line(f"  <title>{title}</title>")
    if plan.base is not None:
        out.line(f'  <base href="{plan.base}">')
    out.line('  <link rel="stylesheet" href="', item(STYLESHEET, "link"), '">')
    out.line("</head>")
    out.line("<body>")
    home = item(HOME)
    if plan.up is None or ORIGIN in home.href:
        out.line("  <nav>", *_a(home), "</nav>")
        if plan.up is not None:
            out.line("  <nav>", *_a(item(plan.up, name="Up")), "</nav>")
    else:
        out.line("  <nav>", *_a(home), " · ", *_a(item(plan.up, name="Up")), "</nav>")
    out.line("  <main>")
    out.line(f"    <h1>{title}</h1>")
    body = [item(p + (f"#{f}" if f else "")) for p, f in plan.pages]
    body += [item(target) for target in plan.specials]
    if plan.self_fragment is not None:
        fragment = f"#{plan.self_fragment}"
        body.append(Item("a", "href", fragment, "this section", plan.path + fragment))
    rng.shuffle(body)
    images = [item(path, "img", "src", label(path)) for path in plan.images]
    per_section = -(-len(body) // plan.sections)
    for s in range(plan.sections):
        out.line(f'    <h2 id="sec-{s + 1}">Section {s + 1}</h2>')
        chunk = body[s * per_section : (s + 1) * per_section]
        if s == plan.sections - 1:
            for image in images:
                out.line('    <p><img src="', image, f'" alt="{image.label}"></p>')
        if rng.random() < 0.5:
            out.line("    <ul>")
            for entry in chunk:
                out.line("      <li>", *_a(entry), "</li>")
            out.line("    </ul>")
            continue
        group: list[Item] = []
        for entry in chunk:
            group.append(entry)
            if ORIGIN in entry.href or len(group) == GROUP_MAX or rng.random() < 0.3:
                _paragraph(out, group)
                group = []
        if group:
            _paragraph(out, group)
    out.line("  </main>")
    out.line("</body>")
    out.line("</html>")
    return out.text(), out.items


def _paragraph(out: Writer, group: list[Item]) -> None:
    pieces: list[str | Item] = ["    <p>See"]
    for i, entry in enumerate(group):
        pieces += [" and " if i else " ", *_a(entry)]
    out.line(*pieces, ".</p>")


def sitemap_index(sitemaps: tuple[str, ...], origin: str = ORIGIN) -> str:
    """A sitemap index listing `sitemaps` (paths) on `origin`."""
    entries = "".join(f"  <sitemap><loc>{origin}{p}</loc></sitemap>\n" for p in sitemaps)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="{SITEMAP_XMLNS}">\n{entries}</sitemapindex>\n'
    )


def urlset(paths: tuple[str, ...], origin: str = ORIGIN) -> str:
    """A sitemap listing `paths` on `origin`."""
    entries = "".join(
        f"  <url><loc>{origin}{p}</loc><lastmod>{LASTMOD}</lastmod></url>\n" for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="{SITEMAP_XMLNS}">\n{entries}</urlset>\n'
    )


def fixed_resources(sitemaps: dict[str, tuple[str, ...]], moved_to: str) -> dict[str, Resource]:
    """Everything but the pages: robots.txt, the sitemaps (`sitemaps`: each one's entries),
    the stylesheet, the images that exist, `GONE` (a 404) and `MOVED` (a 301 to `moved_to`)."""
    robots = f"User-agent: *\nDisallow: {DISALLOWED}\n\nSitemap: {ORIGIN}{SITEMAP_INDEX}\n"
    gone = "<!DOCTYPE html>\n<title>Not found</title>\n<h1>This page is gone</h1>\n"
    found = {
        ROBOTS: Resource(200, "text/plain", robots),
        SITEMAP_INDEX: Resource(200, XML, sitemap_index(sitemaps[SITEMAP_INDEX])),
        SITEMAP_PAGES: Resource(200, GZIP, urlset(sitemaps[SITEMAP_PAGES]), gzip=True),
        SITEMAP_OTHER: Resource(200, XML, urlset(sitemaps[SITEMAP_OTHER])),
        STYLESHEET: Resource(200, "text/css", "body { font-family: sans-serif; }\n"),
        GONE: Resource(404, HTML, gone),
        MOVED: Resource(301, HTML, "", location=moved_to),
    }
    found.update({path: Resource(200, "image/png", PNG) for path, s in IMAGES.items() if s == 200})
    return found
