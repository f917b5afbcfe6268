"""Issue 14's benchmark: links in a tree of documents, urlcheck against lychee, offline.

    python benchmarks/documents.py --rounds 5                  # 10,000 documents
    python benchmarks/documents.py --sizes 2000,10000 --rounds 3
    python benchmarks/documents.py --from-json benchmarks/documents.json  # rewrite only

`benchmarks/docs_tree.py` writes the tree: half Markdown, half HTML, about 24 links each,
most of them local (files and fragments), about 10 % broken, plus links to a loopback port
nothing answers. Both tools read it with the network off: ``urlcheck --offline`` and
``lychee --offline --include-fragments``, from the tree's root, their default output to a
file, taking turns round after round (the machine is shared and noisy; figures are
medians). Every urlcheck run must report one row per link (the tree's own count, its bare
URLs included), or the script stops. Memory is the peak PSS of each run's process tree
(`harness`), so urlcheck's worker processes count; "flat" is the ratio of the largest
tree's peak to the smallest's.

It writes the section "Links in documents (issue 14)" into BENCHMARKS.md between markers,
leaving the rest alone, the same section to benchmarks/documents.md and the measurements to
benchmarks/documents.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from harness import interleaved, measure, publish, run_meta  # noqa: E402
from harness import median_of as _median  # noqa: E402

START = "<!-- documents-benchmark:start -->"
END = "<!-- documents-benchmark:end -->"
FAILED_EXIT = {"urlcheck": 1, "lychee": 2}
"""Both exit so when some links are broken, as in every tree here."""


def contenders(urlcheck: str, lychee: str | None) -> dict[str, list[str]]:
    """The commands, run from the tree's root."""
    found = {
        "urlcheck": [urlcheck, "--offline", "."],
        "urlcheck jsonl": [urlcheck, "--offline", "--format", "jsonl", "."],
    }
    if lychee is not None:
        found["lychee"] = [lychee, "--offline", "--include-fragments", "--no-progress", "."]
    return found


def make_tree(size: int, where: Path) -> dict[str, Any]:
    """Write a tree of `size` documents and return its counts (docs_tree.py's summary)."""
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "docs_tree.py"),
            "--md",
            str(size // 2),
            "--html",
            str(size - size // 2),
            str(where),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    counts: dict[str, Any] = json.loads(done.stdout)
    return counts


def run_size(size: int, rounds: int, commands: dict[str, list[str]], work: Path) -> dict[str, Any]:
    """Every contender on one tree, `rounds` times in turn."""
    tree = work / f"tree-{size}"
    counts = make_tree(size, tree)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    env = dict(os.environ, NO_COLOR="1")
    for number in range(rounds):
        for name in interleaved(list(commands), number):
            out, err = (
                work / f"{name}.out".replace(" ", "-"),
                work / f"{name}.err".replace(" ", "-"),
            )
            result = measure(commands[name], stdout=out, stderr=err, cwd=tree, env=env)
            tool = name.split()[0]
            if result.exit_code != FAILED_EXIT[tool] or result.timed_out:
                raise SystemExit(f"{name} on {size} documents: exit {result.exit_code}, see {err}")
            if name == "urlcheck jsonl":
                rows = sum(1 for _ in out.open("rb"))
                # Bare URLs in Markdown text are links too (GitHub's autolink rule, as lychee).
                links = counts["links"] + counts["bare_urls"]
                if rows != links:
                    raise SystemExit(f"urlcheck gave {rows} rows for {links} links")
            runs[name].append(
                {
                    "wall_s": result.wall_s,
                    "pss_mb": result.peak_pss_kb / 1024,
                    "cpu_s": result.cpu_s,
                }
            )
            print(f"  {size:>6} documents  {name:<15} {result.wall_s:6.2f} s", flush=True)
    return {"size": size, "counts": counts, "runs": runs}


def section(data: dict[str, Any]) -> str:
    """The Markdown section for BENCHMARKS.md."""
    meta = data["meta"]
    lines = [
        START,
        "## Links in documents (issue 14)",
        "",
        f"`python benchmarks/documents.py --sizes {meta['sizes']} --rounds {meta['rounds']}`,"
        f" {meta['when']}, {meta['cores']} cores, Python {meta['python']}, load {meta['load']};"
        f" {meta['lychee']}. Medians of {meta['rounds']} rounds, the contenders taking turns;"
        " memory is the peak PSS of all of a run's processes.",
        "",
        "| documents | links | contender | wall | CPU | peak PSS | wall ÷ lychee's |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for entry in data["sizes"]:
        runs = entry["runs"]
        lychee = _median(runs["lychee"], "wall_s") if "lychee" in runs else None
        for name, measured in runs.items():
            wall = _median(measured, "wall_s")
            ratio = f"{wall / lychee:.2f}" if lychee else "—"
            lines.append(
                f"| {entry['size']:,} | {entry['counts']['links']:,} | {name} | {wall:.2f} s"
                f" | {_median(measured, 'cpu_s'):.2f} s | {_median(measured, 'pss_mb'):.0f} MB"
                f" | {ratio} |"
            )
    sizes = data["sizes"]
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        growth = big["size"] / small["size"]
        for name in small["runs"]:
            ratio = _median(big["runs"][name], "pss_mb") / _median(small["runs"][name], "pss_mb")
            lines.append("")
            lines.append(
                f"Memory of {name}, {big['size']:,} documents against {small['size']:,}"
                f" ({growth:.0f}x the links): {ratio:.2f}x."
            )
    lines += ["", END, ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000", help="documents per tree, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--urlcheck", default=shutil.which("urlcheck") or "urlcheck")
    parser.add_argument("--lychee", default=shutil.which("lychee"))
    parser.add_argument("--no-write", action="store_true", help="print, write no file")
    parser.add_argument("--from-json", type=Path, help="write the section from saved figures")
    args = parser.parse_args()
    if args.from_json:
        data = json.loads(args.from_json.read_text())
    else:
        commands = contenders(args.urlcheck, args.lychee)
        lychee_version = "lychee not installed"
        if args.lychee:
            lychee_version = subprocess.run(
                [args.lychee, "--version"], capture_output=True, text=True, check=False
            ).stdout.strip()
        with tempfile.TemporaryDirectory(prefix="urlcheck-documents-") as tmp:
            sizes = [
                run_size(int(size), args.rounds, commands, Path(tmp))
                for size in args.sizes.split(",")
            ]
        data = {
            "meta": run_meta(
                rounds=args.rounds,
                sizes=args.sizes,
                lychee=lychee_version,
            ),
            "sizes": sizes,
        }
    text = section(data)
    print(text)
    if not args.no_write:
        publish("documents", data, text, START, END)


if __name__ == "__main__":
    main()
