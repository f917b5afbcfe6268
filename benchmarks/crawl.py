"""Issue 15's benchmark: a site crawled with ``--recursive`` against its pages fetched alone.

    python benchmarks/crawl.py --rounds 5       # 2,000 pages, 20,000, 2,000 slow ones
    python benchmarks/crawl.py --pages 2000 --slow-pages '' --rounds 3 --no-write
    python benchmarks/crawl.py --from-json benchmarks/crawl.json

The site is tests/site.py's (benchmarks/site_server.py serves it, with nginx): about 12 links
a page, cycles, a robots.txt, sitemaps, pages deeper than any default. Two runs of urlcheck
take turns, at the same ``--concurrency`` and ``--per-host``:

- the crawl: ``urlcheck --recursive --max-depth 99 --max-pages 100000 http://…/``, which reads
  every page it reaches and checks every link on them;
- the pages alone: ``urlcheck --method get pages.txt``, the same pages as a URL list (every
  public page, the orphans too), each fetched with GET and nothing more;
- its rows as a list: ``urlcheck --method get --processes 1 links.txt``, one line for every
  checked row a crawl gives (each link as the site resolves it, its fragment dropped;
  written from an unmeasured crawl before the rounds): the same checked rows and about the
  same requests in the same one process, without reading a page (every URL with GET, where
  the crawl sends HEAD to what is no page). What the crawl costs beyond it is its own.

nginx answers at once: there the crawl's wall is its Python, about twelve rows a page
against one request. Real servers take a while; ``--slow-pages`` (2,000 by default) serves
the same site with aiohttp, each path answering after 20 to 400 ms (the slow hosts' range
in run.py's scenario 6, drawn from the path: the same in every run), and times the crawl
and the pages alone there: what the crawl's order of reading costs when waiting is what
takes the time (a page is found only once the page linking it is read).

Each crawl must fetch every page it reaches exactly once (nginx's access log says so: a
redirect's target may be asked once more, to know where the redirect ends) and nothing under
/private/. The figures are medians; memory is the peak PSS of the run's processes, at 2,000
and at 20,000 pages ("flat": what the second costs against the first, beside 10x the pages).

It writes the section "Crawling a site (issue 15)" into BENCHMARKS.md between markers,
benchmarks/crawl.md and benchmarks/crawl.json.
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
sys.path.insert(0, str(ROOT))

from harness import interleaved, measure, publish, run_meta  # noqa: E402
from harness import median_of as _median  # noqa: E402
from site_server import SiteServer, run_site_server  # noqa: E402

START = "<!-- crawl-benchmark:start -->"
END = "<!-- crawl-benchmark:end -->"
DELAY = (20, 400)
"""The slow site's answer times, in ms: those of run.py's slow hosts (scenario 6)."""
TARGET_PAGES = 2_000
TARGET_RATIO = 1.2
LIMITS = ("--concurrency", "64", "--per-host", "64", "--retries", "0", "--timeout", "30")


def rows_as_list(crawl: list[str], site: SiteServer, work: Path) -> Path:
    """A URL list with a line for every checked row `crawl` gives: each link as the site
    resolves it (``<base href>`` honoured), without its fragment; skipped rows (``mailto:``,
    robots.txt's) have no request and are left out."""
    out, err = work / "links-crawl.jsonl", work / "links-crawl.err"
    with out.open("wb") as sink, err.open("wb") as errors:
        done = subprocess.run(crawl, stdout=sink, stderr=errors, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"the crawl that lists its rows: exit {done.returncode}, see {err}")
    origin = site.url("")
    resolved = {
        (origin + link.page, link.line, link.column): link.url(origin)
        for page in site.facts.pages.values()
        for link in page.links
    }
    listing = work / "links.txt"
    with out.open(encoding="utf-8") as rows, listing.open("w", encoding="utf-8") as lines:
        for line in rows:
            row = json.loads(line)
            if row["skipped"]:
                continue
            url = resolved.get((row["file"], row["line"], row["column"]), row["url"])
            lines.write(url.partition("#")[0] + "\n")
    return listing


def run_pages(
    pages: int, rounds: int, urlcheck: str, work: Path, delay: tuple[int, int] | None = None
) -> dict[str, Any]:
    """The three runs on one site, `rounds` times in turn; with a `delay` (each path's
    answer that late, aiohttp serving), the crawl and the pages alone."""
    server = "nginx" if delay is None else "aiohttp"
    with run_site_server(sys.executable, work, pages, server=server, delay=delay) as site:
        crawl = [
            urlcheck,
            *LIMITS,
            "--recursive",
            "--max-depth",
            "99",
            "--max-pages",
            "100000",
            "--format",
            "jsonl",
            site.url("/"),
        ]
        commands = {
            "crawl": crawl,
            "pages alone": [
                urlcheck,
                *LIMITS,
                "--method",
                "get",
                "--format",
                "jsonl",
                str(site.list_file),
            ],
        }
        if delay is None:
            links = rows_as_list(crawl, site, work)
            commands["its rows as a list"] = [
                urlcheck,
                *LIMITS,
                "--method",
                "get",
                "--processes",
                "1",
                "--format",
                "jsonl",
                str(links),
            ]
        facts = site.facts
        redirect_targets = set(facts.redirects.values())
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
        for number in range(rounds):
            for name in interleaved(list(commands), number):
                before = site.counts()
                out, err = work / "out.jsonl", work / "err.txt"
                result = measure(
                    commands[name], stdout=out, stderr=err, cwd=work, env=dict(os.environ)
                )
                fetched = site.counts() - before
                if result.timed_out or result.exit_code not in (0, 1):
                    raise SystemExit(f"{name}: exit {result.exit_code}, see {err}")
                entry = {
                    "wall_s": result.wall_s,
                    "pss_mb": result.peak_pss_kb / 1024,
                    "cpu_s": result.cpu_s,
                    "requests": sum(fetched.values()),
                }
                if name == "crawl":
                    read = [path for path in fetched if path in facts.pages]
                    twice = [
                        path
                        for path in read
                        if fetched[path] > (2 if path in redirect_targets else 1)
                    ]
                    if twice or any(path.startswith("/private/") for path in fetched):
                        raise SystemExit(f"crawl fetched pages twice or private ones: {twice}")
                    entry["pages"] = len(read)
                if name != "pages alone":
                    with out.open("rb") as rows:
                        entry["rows"] = sum(1 for _ in rows)
                runs[name].append(entry)
                print(f"  {pages:>6} pages  {name:<18} {result.wall_s:6.2f} s", flush=True)
    return {"pages": pages, "delay": delay, "counts": facts.counts(), "runs": runs}


def section(data: dict[str, Any]) -> str:
    """The Markdown section for BENCHMARKS.md."""
    meta = data["meta"]
    lines = [
        START,
        "## Crawling a site (issue 15)",
        "",
        f"`python benchmarks/crawl.py --pages {meta['pages']}"
        f" --slow-pages {meta.get('slow_pages', '')} --rounds {meta['rounds']}`,"
        f" {meta['when']}, {meta['cores']} cores, Python {meta['python']}, load {meta['load']}."
        " nginx on 127.0.0.1 serves tests/site.py's site, answering at once; aiohttp serves"
        f" it with each path {DELAY[0]}-{DELAY[1]} ms late (site_server.py --delay: the"
        " answer times of the slow-hosts scenario). Every run at"
        f" `{' '.join(LIMITS[:4])}`. Medians of {meta['rounds']} rounds taken in turns."
        ' "Its rows as a list": a URL list of every checked row the crawl gives (each link'
        " as the site resolves it), checked in one process: the rows without the crawl.",
        "",
        "| pages | answers | run | wall | CPU | peak PSS | requests | rows | pages read"
        " | crawl ÷ this run |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    verdicts = []
    for entry in data["sites"]:
        runs = entry["runs"]
        delay = entry.get("delay")
        answers = "at once" if delay is None else f"{delay[0]}-{delay[1]} ms"
        crawl_wall = _median(runs["crawl"], "wall_s")
        for name, measured in runs.items():
            wall = _median(measured, "wall_s")
            read = f"{int(_median(measured, 'pages')):,}" if name == "crawl" else "—"
            rows = f"{int(_median(measured, 'rows')):,}" if "rows" in measured[0] else "—"
            ratio = f"{crawl_wall / wall:.2f}" if name != "crawl" else "—"
            lines.append(
                f"| {entry['pages']:,} | {answers} | {name} | {wall:.2f} s"
                f" | {_median(measured, 'cpu_s'):.2f} s"
                f" | {_median(measured, 'pss_mb'):.0f} MB | {int(_median(measured, 'requests')):,}"
                f" | {rows} | {read} | {ratio} |"
            )
        if entry["pages"] == TARGET_PAGES:
            against = crawl_wall / _median(runs["pages alone"], "wall_s")
            verdict = "PASS" if against <= TARGET_RATIO else "FAIL"
            verdicts.append(f"{answers}: {against:.2f}x (**{verdict}**)")
    if verdicts:
        lines += [
            "",
            f"Issue 15's target, a {TARGET_PAGES:,}-page crawl <= {TARGET_RATIO}x its pages"
            " fetched alone at the same concurrency: " + "; ".join(verdicts) + ".",
        ]
    sites = [entry for entry in data["sites"] if entry.get("delay") is None]
    if len(sites) > 1:
        small, big = sites[0], sites[-1]
        growth = _median(big["runs"]["crawl"], "pss_mb") / _median(small["runs"]["crawl"], "pss_mb")
        lines += [
            "",
            f"Memory of the crawl at {big['pages']:,} pages against {small['pages']:,}"
            f" ({big['pages'] // small['pages']}x the pages): {growth:.2f}x.",
        ]
    lines += ["", END, ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="2000,20000", help="site sizes, comma-separated")
    parser.add_argument(
        "--slow-pages",
        default="2000",
        help=f"site sizes served {DELAY[0]}-{DELAY[1]} ms late, comma-separated ('' for none)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--urlcheck", default=shutil.which("urlcheck") or "urlcheck")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--from-json", type=Path)
    args = parser.parse_args()
    if args.from_json:
        data = json.loads(args.from_json.read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="urlcheck-crawl-") as tmp:
            sites = [
                run_pages(int(pages), args.rounds, args.urlcheck, Path(tmp))
                for pages in args.pages.split(",")
            ]
            sites += [
                run_pages(int(pages), args.rounds, args.urlcheck, Path(tmp), DELAY)
                for pages in args.slow_pages.split(",")
                if pages
            ]
        data = {
            "meta": run_meta(
                rounds=args.rounds,
                pages=args.pages,
                slow_pages=args.slow_pages,
            ),
            "sites": sites,
        }
    text = section(data)
    print(text)
    if not args.no_write:
        publish("crawl", data, text, START, END)


if __name__ == "__main__":
    main()
