"""A deterministic tree of Markdown and HTML documents, for timing link extraction and checking.

    python benchmarks/docs_tree.py OUT --md 5000 --html 5000 --seed 1

Writes ``OUT/md/sec-NNN/page-NNNNN.md``, ``OUT/html/sec-NNN/page-NNNNN.html`` and the images,
style sheet and script they point at. The same arguments always give the same bytes.

What the documents hold, so that an extractor and a checker meet every case on the way:
headings (duplicates, non-ASCII, inline code), inline, reference (full, collapsed, shortcut)
and autolinks, images, raw HTML in Markdown, code fences, indented code and code spans holding
fake links (``fake-`` in the path: none of them is a link), ``<base href>``, ``srcset``,
``<picture>``, ``<iframe>``, ``id`` and ``name`` anchors, entities, comments and script bodies
holding fake links, ``mailto:``, ``tel:`` and ``javascript:`` links, and http(s) links to
127.0.0.1. Most links are local (``./page.md#section``, ``../img/fig-03.png``), most of them
good; some point at missing files (``missing-`` in the path) or missing fragments
(``#no-such-``).

The summary printed (and returned by `generate`) counts what was written, so an extractor's
figures can be held against it: ``links`` are the links written in link syntax, ``bare_urls``
the URLs written as plain Markdown text (links only for an extractor that linkifies).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

FILES_PER_DIR = 50
IMAGES = 20
LOOPBACK = "http://127.0.0.1:8000"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
"""A 1x1 PNG: the images exist, so links to them are good."""

HEADINGS = (
    ("Installation", "installation"),
    ("Getting started", "getting-started"),
    ("Configuration", "configuration"),
    ("The `config` file", "the-config-file"),
    ("Examples", "examples"),
    ("FAQ & Troubleshooting!", "faq--troubleshooting"),
    ("Über uns", "über-uns"),
    ("日本語のガイド", "日本語のガイド"),
    ("Café *crème* recipes", "café-crème-recipes"),
    ("API reference (v2.1)", "api-reference-v21"),
    ("Release notes", "release-notes"),
    ("Known issues", "known-issues"),
)
"""Heading text as written, and its GitHub slug (written out here, not computed, so the tree
does not depend on the code it measures)."""

FILLER = (
    "the checker reads every document once and keeps the links it finds with their line and "
    "column so that a report can point at the exact place a broken link was written while "
    "anchors come from headings ids and names and a fragment is good when the target has it"
)
WORDS = tuple(FILLER.split())


@dataclass
class Summary:
    """What `generate` wrote: files, and the links in them by kind."""

    md_files: int = 0
    html_files: int = 0
    links: int = 0
    md_links: int = 0
    html_links: int = 0
    bare_urls: int = 0
    missing_files: int = 0
    missing_fragments: int = 0
    fake_links: int = 0
    bytes: int = 0


class _Page:
    """One document's place in the tree, and the anchors it will have."""

    def __init__(self, kind: str, index: int) -> None:
        self.kind = kind
        self.index = index
        self.dir = f"sec-{index // FILES_PER_DIR:03d}"
        self.name = f"page-{index:05d}.{kind}"
        self.anchors: list[str] = []
        self.headings: list[tuple[str, str]] = []

    def path_from(self, other: _Page) -> str:
        """The relative link from `other` (same kind) to this page."""
        if other.dir == self.dir:
            return f"./{self.name}"
        return f"../{self.dir}/{self.name}"


class _Writer:
    """Writes one tree; the counts go to `summary`."""

    def __init__(self, out: Path, md_files: int, html_files: int, seed: int) -> None:
        self.out = out
        self.rng = random.Random(seed)
        self.summary = Summary()
        self.md = [_Page("md", i) for i in range(md_files)]
        self.html = [_Page("html", i) for i in range(html_files)]
        for page in self.md:
            page.anchors = self._md_anchors(page)
        for page in self.html:
            page.anchors = [f"s{page.index}-{k}" for k in range(6)] + [f"legacy-{page.index}"]

    # -- what a page links to ------------------------------------------------------------

    def _md_anchors(self, page: _Page) -> list[str]:
        # Decided here, before any page is written, so that links into a page know its anchors.
        chosen = self.rng.sample(HEADINGS, 6)
        chosen.append(("Examples", "examples"))  # every page has "examples" twice at least
        chosen.append(("Examples", "examples"))
        seen: dict[str, int] = {}
        anchors = [f"page-{page.index}"]
        for _, slug in chosen:
            count = seen.get(slug, 0)
            anchors.append(slug if count == 0 else f"{slug}-{count}")
            seen[slug] = count + 1
        anchors.append(f"legacy-{page.index}")  # from <a name> in raw HTML
        page.headings = chosen
        return anchors

    def _target(self, pages: list[_Page], here: _Page) -> str:
        """A local link to a page of the same kind: mostly good, some missing or bad fragment."""
        roll = self.rng.random()
        if roll < 0.05:
            self.summary.missing_files += 1
            return f"./missing-{self.rng.randrange(10_000)}.{here.kind}"
        target = pages[self.rng.randrange(len(pages))]
        link = target.path_from(here)
        if roll < 0.10:
            self.summary.missing_fragments += 1
            return f"{link}#no-such-{self.rng.randrange(100)}"
        if roll < 0.55:
            return f"{link}#{self.rng.choice(target.anchors)}"
        return link

    def _image(self) -> str:
        return f"../img/fig-{self.rng.randrange(IMAGES):02d}.png"

    def _words(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    # -- Markdown ------------------------------------------------------------------------

    def _markdown(self, page: _Page) -> str:
        links = 0
        rng = self.rng
        out: list[str] = [f"# Page {page.index}", ""]
        out.append(f"Start with [the guide]({self._target(self.md, page)}). {self._words(12)}")
        links += 1
        out.append("")
        for n, (title, _) in enumerate(page.headings):
            if n % 3 == 2:  # setext headings as well as ATX
                out += [title, "-" * len(title), ""]
            else:
                out += [f"## {title}", ""]
            out.append(self._words(rng.randrange(40, 80)))
            if n < 4:
                if n % 2 == 0:
                    out.append(
                        f"{self._words(6)} [see this]({self._target(self.md, page)}) and "
                        f"![figure {n}]({self._image()}) {self._words(8)}"
                    )
                else:
                    out.append(f"{self._words(6)} [a reference][ref-{n}] and [Shortcut {n}].")
                links += 2
            out.append("")
            if n == 0:
                out += [
                    f"- a list item with [a link]({self._target(self.md, page)})",
                    f"- another, to [the same place][ref-{n}] or [Shortcut {n}][]",
                    f"  > quoted [next door]({self._target(self.md, page)}) {self._words(4)}",
                    "",
                ]
                links += 4
            if n == 1:
                out += [
                    "```markdown",
                    f"[not a link](./fake-{page.index}.md) and ![nor](fake-{page.index}.png)",
                    f'<a href="fake-{page.index}.html">raw but fenced</a>',
                    "```",
                    "",
                    f"    [indented code](./fake-indented-{page.index}.md)",
                    "",
                    f"Inline code `[x](fake-span-{page.index}.md)` is text. {self._words(6)}",
                    "",
                ]
                self.summary.fake_links += 4
            if n == 2:
                # Raw HTML: two links, one anchor.
                out += [
                    f'<a name="legacy-{page.index}"></a>',
                    f'<p>Raw <a href="{self._target(self.md, page)}">HTML</a> and '
                    f'<img src="{self._image()}" alt=""></p>',
                    "",
                ]
                links += 2
            if n == 3:
                out.append(
                    f"Write to [docs](mailto:docs@example.invalid), [call](tel:+15550100), "
                    f"[nothing](javascript:void(0)), <{LOOPBACK}/auto/{page.index}> or "
                    f"[the server]({LOOPBACK}/page/{page.index}?a=1&b=2)."
                )
                links += 5
                out.append(f"A bare URL {LOOPBACK}/bare/{page.index} in the text.")
                self.summary.bare_urls += 1
                out.append("")
            if n == 4 and self.html:
                html = self.html[rng.randrange(len(self.html))]
                across = f"../../html/{html.dir}/{html.name}#s{html.index}-1"
                out += [f"Across: [an HTML page]({across}).", ""]
                links += 1
        for n in range(4):
            out.append(f"[ref-{n}]: {self._target(self.md, page)}")
            out.append(f'[Shortcut {n}]: {self._image()} "a title"')
        out.append("[unused]: ./never-used.md")  # a definition with no use is no link
        out.append("")
        self.summary.md_links += links
        return "\n".join(out)

    # -- HTML ----------------------------------------------------------------------------

    def _html(self, page: _Page) -> str:
        links = 0
        rng = self.rng
        with_base = page.index % 10 == 3
        # With <base href="../">, links are written from the html/ directory.
        prefix = "" if with_base else "../"

        def target() -> str:
            link = self._target(self.html, page)
            if with_base and link.startswith("./"):
                return f"{page.dir}/{link[2:]}"
            if with_base and link.startswith("../"):
                return link[3:]
            return link

        out = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>Page {page.index} &amp; friends</title>",
        ]
        if with_base:
            out.append('<base href="../">')
        out.append(f'<link rel="stylesheet" href="{prefix}css/site.css">')
        out.append(f'<script src="{prefix}js/app.js"></script>')
        out.append(f"<script>var tpl = '<a href=\"fake-script-{page.index}.html\">x</a>';</script>")
        links += 2
        self.summary.fake_links += 1
        out += ["</head>", "<body>", f'<nav><a href="{target()}">Home</a></nav>']
        links += 1
        out.append(f'<!-- <a href="fake-comment-{page.index}.html">old nav</a> -->')
        self.summary.fake_links += 1
        for k in range(6):
            out.append(f'<h2 id="s{page.index}-{k}">Section {k}</h2>')
            out.append(
                f'<p>{self._words(14)} <a href="{target()}">a link</a>. {self._words(10)}</p>'
            )
            links += 1
            # Tags that hold no link, as real pages have plenty of: every parser must get past them.
            out.append(
                f'<div class="prose"><p>{self._words(30)} <em>{self._words(3)}</em> '
                f"<code>{self._words(2)}</code> {self._words(30)}</p>\n"
                f'<p><span class="note">{self._words(40)}</span></p></div>'
            )
            img = f"{prefix}img/fig-{rng.randrange(IMAGES):02d}"
            if k == 0:
                out.append(
                    f"<p>Quoted <a href='{target()}'>singly</a> and "
                    f"<a class=x href={target()}>not at all</a>.</p>"
                )
                links += 2
            if k in (0, 3):
                out.append(
                    f'<img src="{img}.png"\n     srcset="{img}.png 1x, {img}@2x.png 2x" alt="">'
                )
                links += 3
            if k == 1:
                out.append(
                    f'<picture><source srcset="{img}.webp" type="image/webp">'
                    f'<img src="{img}.png" alt=""></picture>'
                )
                out.append(f'<iframe src="{target()}" title="embedded"></iframe>')
                links += 3
            if k == 2:
                out.append(
                    f'<p><a href="mailto:docs@example.invalid">mail</a> '
                    f'<a href="tel:+15550100">call</a> '
                    f'<a href="javascript:void(0)">nothing</a> '
                    f'<a href="{LOOPBACK}/page/{page.index}?a=1&amp;b=2">server</a></p>'
                )
                links += 4
            if k == 3:
                out.append(f'<a name="legacy-{page.index}"></a>')
                out.append(
                    "<pre><code>&lt;a href=&quot;fake-pre.html&quot;&gt;escaped&lt;/a&gt;"
                    "</code></pre>"
                )
                self.summary.fake_links += 1
            if k == 4 and self.md:
                md = self.md[rng.randrange(len(self.md))]
                out.append(f'<p><a href="{prefix}../md/{md.dir}/{md.name}#examples-1">md</a></p>')
                links += 1
            if k == 5:
                out.append(f'<template><a href="{target()}">stamped later</a></template>')
                links += 1
        out += ["</body>", "</html>", ""]
        self.summary.html_links += links
        return "\n".join(out)

    # -- the tree ------------------------------------------------------------------------

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.summary.bytes += len(data)

    def run(self) -> Summary:
        for kind in ("md", "html"):
            for n in range(IMAGES):
                self._write(self.out / kind / "img" / f"fig-{n:02d}.png", PNG)
        for n in range(IMAGES):
            for extra in ("@2x.png", ".webp"):
                self._write(self.out / "html" / "img" / f"fig-{n:02d}{extra}", PNG)
        self._write(self.out / "html" / "css" / "site.css", b"body { margin: 0 }\n")
        self._write(self.out / "html" / "js" / "app.js", b"// nothing\n")
        for page in self.md:
            text = self._markdown(page)
            self._write(self.out / "md" / page.dir / page.name, text.encode())
            self.summary.md_files += 1
        for page in self.html:
            text = self._html(page)
            self._write(self.out / "html" / page.dir / page.name, text.encode())
            self.summary.html_files += 1
        self.summary.links = self.summary.md_links + self.summary.html_links
        return self.summary


def generate(out: Path, md_files: int, html_files: int, seed: int = 1) -> Summary:
    """Write the tree under `out` (created if missing) and say what it holds."""
    return _Writer(out, md_files, html_files, seed).run()


def main(argv: list[str] | None = None) -> int:
    """Command line: write a tree and print its summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write into (created if missing)")
    parser.add_argument("--md", type=int, default=5000, help="number of Markdown files")
    parser.add_argument("--html", type=int, default=5000, help="number of HTML files")
    parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same tree")
    args = parser.parse_args(argv)
    summary = generate(args.out, args.md, args.html, args.seed)
    json.dump(asdict(summary), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
