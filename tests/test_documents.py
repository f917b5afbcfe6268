"""Links in documents through the real command: Markdown and HTML trees built here, local
files and fragments judged on disk, remote links against a server on 127.0.0.1, what is
skipped and left out, and the formats that point at a link's line and column.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import example, given
from hypothesis import strategies as st

from urlcheck.documents import reader
from urlcheck.documents.found import Settings
from urlcheck.documents.reader import DocumentReader
from urlcheck.documents.walk import Document, Kind

from .faults import run_urlcheck
from .servers import SERVED, Served, serve_app

BASE = ("--retries", "0", "--timeout", "3")


def write(root: Path, files: dict[str, str]) -> Path:
    """Write a tree of `files` (path → text, dedented) under `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def records(*args: str, cwd: Path | None = None) -> tuple[int, list[dict[str, Any]], str]:
    """Run urlcheck with ``--format jsonl``: exit code, the results, stderr."""
    proc = _run(*BASE, "--format", "jsonl", *args, cwd=cwd)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc.returncode, rows, proc.stderr


def _run(*args: str, cwd: Path | None = None) -> Any:
    if cwd is None:
        return run_urlcheck(*args)
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return run_urlcheck(*args)
    finally:
        os.chdir(here)


def by_link(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(Path(row["file"]).name, row["url"]): row for row in rows}


def pages_app() -> web.Application:
    """``/page`` is HTML with ids ``intro`` and ``user-content-usage``; ``/gone`` is 404;
    ``/data.json`` is JSON (no anchors to look in). Every request is logged."""

    async def page(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, request.path, dict(request.headers)))
        body = '<h1 id="intro">Intro</h1><h2 id="user-content-usage">Usage</h2>'
        return web.Response(text=f"<html><body>{body}</body></html>", content_type="text/html")

    async def gone(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, request.path, dict(request.headers)))
        return web.Response(status=404, text="gone")

    async def data(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, request.path, dict(request.headers)))
        return web.json_response({"a": 1})

    app = web.Application()
    app.router.add_route("*", "/page", page)
    app.router.add_route("*", "/gone", gone)
    app.router.add_route("*", "/data.json", data)
    return app


@pytest.fixture
def pages() -> Iterator[Served]:
    with serve_app(pages_app()) as served:
        yield served


MARKDOWN = {
    "README.md": """
        # Project Ünïcode

        See the [guide][g], the [install notes](docs/install.md#setup) and
        [a missing page](docs/nope.md). ![logo](img/logo.png)

        ```
        [inside a fence](fenced.md)
        ```

        Inline `[code](code.md)` is no link. Up to [the top](#project-ünïcode).
        Broken: [bad anchor](docs/install.md#no-such-heading), [twice](#faq-1).

        ## FAQ

        ## FAQ

        [g]: docs/guide.md
        [unused]: docs/unused.md
        """,
    "docs/guide.md": """
        # Guide

        Back [home](../README.md#faq) and <mailto:team@example.org>, [call](tel:+123).
        [js](javascript:void(0)) [data](data:text/plain,hi)
        """,
    "docs/install.md": """
        Setup
        =====

        Text.
        """,
    "img/logo.png": "not really a png",
}


def test_markdown_links_local_files_and_fragments(tmp_path: Path) -> None:
    root = write(tmp_path / "site", MARKDOWN)
    code, rows, stderr = records(str(root))
    assert code == 1, stderr
    links = by_link(rows)
    assert set(links) == {
        ("README.md", "docs/guide.md"),
        ("README.md", "docs/install.md#setup"),
        ("README.md", "docs/nope.md"),
        ("README.md", "img/logo.png"),
        ("README.md", "#project-ünïcode"),
        ("README.md", "docs/install.md#no-such-heading"),
        ("README.md", "#faq-1"),
        ("guide.md", "../README.md#faq"),
        ("guide.md", "mailto:team@example.org"),
        ("guide.md", "tel:+123"),
        ("guide.md", "javascript:void(0)"),
        ("guide.md", "data:text/plain,hi"),
    }, "code, fences and unused definitions are no links"
    fine = {key for key, row in links.items() if row["ok"] and not row["skipped"]}
    assert fine == {
        ("README.md", "docs/guide.md"),
        ("README.md", "docs/install.md#setup"),
        ("README.md", "img/logo.png"),
        ("README.md", "#project-ünïcode"),
        ("README.md", "#faq-1"),
        ("guide.md", "../README.md#faq"),
    }
    assert links[("README.md", "docs/nope.md")]["error_kind"] == "missing_file"
    bad_anchor = links[("README.md", "docs/install.md#no-such-heading")]
    assert bad_anchor["error_kind"] == "fragment"
    assert "#no-such-heading" in bad_anchor["error"]
    skipped = {key for key, row in links.items() if row["skipped"]}
    assert skipped == {
        ("guide.md", "mailto:team@example.org"),
        ("guide.md", "tel:+123"),
        ("guide.md", "javascript:void(0)"),
        ("guide.md", "data:text/plain,hi"),
    }
    assert all(links[key]["ok"] for key in skipped), "a skipped link never fails"
    assert all(row["attempts"] == 0 for row in rows), "nothing local goes on the wire"


def test_positions_are_where_each_link_starts(tmp_path: Path) -> None:
    root = write(tmp_path / "site", MARKDOWN)
    _, rows, _ = records(str(root / "README.md"))
    links = by_link(rows)
    where = {url: (row["line"], row["column"]) for (_, url), row in links.items()}
    lines = (root / "README.md").read_text().splitlines()

    def start(text: str) -> tuple[int, int]:
        """1-based line and column, in characters, of `text`'s first occurrence."""
        number, line = next((n, line) for n, line in enumerate(lines, 1) if text in line)
        return number, line.index(text) + 1

    # A reference link at its use ([guide][g]), not at its definition.
    assert where["docs/guide.md"] == start("[guide][g]")
    assert where["docs/install.md#setup"] == start("[install notes]")
    assert where["docs/nope.md"] == start("[a missing page]") == (4, 1)
    assert where["img/logo.png"] == start("![logo]"), "an image at its !"
    assert where["#project-ünïcode"] == start("[the top]")
    assert where["#faq-1"] == start("[twice]"), "after ü and ï: columns count characters"
    for row in rows:
        assert row["file"].endswith("README.md")
        assert len(row["id"]) == 16


HTML = {
    "index.html": """
        <!doctype html>
        <html><head><base href="sub/"></head><body>
        <a href="page.html#sec">in sub</a>
        <a href="page.html#missing">bad id</a>
        <a href="../top.html#anchor-by-name">by name</a>
        <img srcset="small.png 1x, large.png 2x" src="small.png">
        <script src="app.js"></script>
        <a href="mailto:x@example.org">mail</a>
        </body></html>
        """,
    "sub/page.html": '<h2 id="sec">Section</h2>',
    "sub/small.png": "png",
    "sub/app.js": "js",
    "top.html": '<a name="anchor-by-name"></a>',
}


def test_html_base_srcset_ids_and_names(tmp_path: Path) -> None:
    root = write(tmp_path / "site", HTML)
    code, rows, stderr = records(str(root / "index.html"))
    assert code == 1, stderr
    verdicts = {row["url"]: row["error_kind"] for row in rows if not row["skipped"]}
    assert verdicts == {
        "page.html#sec": None,
        "page.html#missing": "fragment",
        "../top.html#anchor-by-name": None,
        "small.png": None,  # in srcset and in src: two rows
        "large.png": "missing_file",
        "app.js": None,
    }
    assert sum(row["url"] == "small.png" for row in rows) == 2, "one row per occurrence"
    lines = (root / "index.html").read_text().splitlines()
    number, img = next((n, line) for n, line in enumerate(lines, 1) if "<img" in line)
    starts = [img.index("small.png") + 1, img.index("large.png") + 1, img.rindex("small.png") + 1]
    columns = sorted(row["column"] for row in rows if row["line"] == number)
    assert columns == starts, "each srcset candidate and the src at its own start"


def test_remote_links_checked_once_per_url_and_fragments_on_request(
    tmp_path: Path, pages: Served
) -> None:
    root = write(
        tmp_path / "site",
        {
            "a.md": f"[p]({pages.url('/page')}#intro) [q]({pages.url('/page')}#nothing-here)\n"
            f"[gone]({pages.url('/gone')}) [json]({pages.url('/data.json')}#x)\n",
            "b.md": f"[again]({pages.url('/page')}#usage)\n",
        },
    )
    code, rows, _ = records(str(root))
    assert code == 1
    assert {row["url"]: row["ok"] for row in rows} == {
        pages.url("/page") + "#intro": True,
        pages.url("/page") + "#nothing-here": True,  # no --fragments: the page is there
        pages.url("/gone"): False,
        pages.url("/data.json") + "#x": True,
        pages.url("/page") + "#usage": True,
    }
    assert pages.requests_to("/page") == ["HEAD"], "one request for the page's three links"

    pages.log.clear()
    code, rows, _ = records("--fragments", str(root))
    verdicts = {row["url"]: row["error_kind"] for row in rows}
    assert verdicts == {
        pages.url("/page") + "#intro": None,
        pages.url("/page") + "#nothing-here": "fragment",
        pages.url("/gone"): "status",
        pages.url("/data.json") + "#x": None,  # JSON has no anchors to look in
        pages.url("/page") + "#usage": None,  # GitHub's user-content- prefix
    }
    assert pages.requests_to("/page") == ["GET"], "the page is fetched once for every fragment"
    missing = next(row for row in rows if row["error_kind"] == "fragment")
    assert (missing["attempts"], missing["status"]) == (1, 200)
    assert "#nothing-here" in missing["error"]


def test_offline_requests_nothing(tmp_path: Path, pages: Served) -> None:
    root = write(tmp_path / "site", {"a.md": f"[p]({pages.url('/page')}) [l](b.md)\n"})
    code, rows, _ = records("--offline", str(root))
    assert code == 1, "b.md is missing"
    assert pages.log == []
    assert {row["url"]: row["skipped"] for row in rows} == {pages.url("/page"): True, "b.md": False}


def test_offline_refuses_a_url_list(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.org/\n")
    proc = run_urlcheck("--offline", str(urls))
    assert proc.returncode == 2
    assert "--offline checks the local links of documents" in proc.stderr
    assert "urls.txt" in proc.stderr


def test_exclude_include_and_the_ignore_file(tmp_path: Path, pages: Served) -> None:
    root = write(
        tmp_path / "site",
        {
            "a.md": f"[x]({pages.url('/page')}) [y]({pages.url('/gone')}) [z](missing.md)\n"
            "[w](docs/private.md)\n",
        },
    )
    _, rows, _ = records("--exclude", "/gone", str(root))
    assert {row["url"] for row in rows} == {pages.url("/page"), "missing.md", "docs/private.md"}
    assert pages.requests_to("/gone") == [], "an excluded URL is never requested"

    # An include wins over an exclude that also matches (lychee's rule).
    _, rows, _ = records("--exclude", "127\\.0\\.0\\.1", "--include", "/page$", str(root))
    assert {row["url"] for row in rows} == {pages.url("/page"), "missing.md", "docs/private.md"}

    # --include alone: only what it matches.
    _, rows, _ = records("--include", "missing", str(root))
    assert [row["url"] for row in rows] == ["missing.md"]

    (tmp_path / ".urlcheckignore").write_text("# drafts\n\nprivate\n^missing\\.md$\n")
    _, rows, _ = records(str(root), cwd=tmp_path)
    assert {row["url"] for row in rows} == {pages.url("/page"), pages.url("/gone")}


def test_exclude_applies_to_url_lists_too(tmp_path: Path, pages: Served) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{pages.url('/page')}\n{pages.url('/gone')}\n")
    code, rows, _ = records("--exclude", "gone", str(urls))
    assert code == 0
    assert [row["url"] for row in rows] == [pages.url("/page")]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--exclude", "("], "--exclude"),
        (["--include", "[a-"], "--include"),
    ],
)
def test_a_bad_pattern_is_a_usage_error(tmp_path: Path, args: list[str], says: str) -> None:
    root = write(tmp_path / "site", {"a.md": "[z](missing.md)\n"})
    proc = run_urlcheck(*args, str(root))
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert says in line


def test_a_bad_line_in_the_ignore_file_names_it(tmp_path: Path) -> None:
    root = write(tmp_path / "site", {"a.md": "[z](missing.md)\n"})
    (tmp_path / ".urlcheckignore").write_text("fine\n(unclosed\n")
    proc = _run(str(root), cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith("urlcheck: error: .urlcheckignore:2: ")


def test_walking_skips_git_node_modules_and_excluded_paths(tmp_path: Path) -> None:
    root = write(
        tmp_path / "site",
        {
            "a.md": "[a](nope-a.md)\n",
            "notes.txt": "[t](nope-t.md)\n",
            ".git/b.md": "[b](nope-b.md)\n",
            "node_modules/pkg/c.md": "[c](nope-c.md)\n",
            "drafts/d.md": "[d](nope-d.md)\n",
            "old/e.draft.md": "[e](nope-e.md)\n",
            "f.HTML": '<a href="nope-f.html">f</a>\n',
        },
    )
    _, rows, _ = records("--exclude-path", "drafts", "--exclude-path", "*.draft.md", str(root))
    assert sorted(row["url"] for row in rows) == ["nope-a.md", "nope-f.html"]


def test_root_relative_links_need_root_dir(tmp_path: Path) -> None:
    root = write(tmp_path / "site", {"docs/a.md": "[r](/b.md) [m](/nope.md)\n", "b.md": "# B\n"})
    _, rows, _ = records(str(root / "docs"))
    assert {row["error_kind"] for row in rows} == {"invalid_url"}
    assert "--root-dir" in rows[0]["error"]
    _, rows, _ = records("--root-dir", str(root), str(root / "docs"))
    assert {row["url"]: row["error_kind"] for row in rows} == {
        "/b.md": None,
        "/nope.md": "missing_file",
    }


def test_the_table_groups_by_document_and_hides_skipped_links(tmp_path: Path) -> None:
    root = write(tmp_path / "site", MARKDOWN)
    proc = _run(*BASE, str(root), cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout
    assert out.index("site/README.md") < out.index("docs/nope.md") < out.index("site/docs/guide.md")
    assert "mailto:" not in out, "skipped links are hidden without --all"
    assert "4 skipped" in out
    assert "3:9" in out, "line:column of each link"
    shown = _run(*BASE, "--all", str(root), cwd=tmp_path).stdout
    assert "mailto:team@example.org" in shown
    assert "skipped" in shown


def test_github_annotations(tmp_path: Path) -> None:
    write(tmp_path / "site", {"a,b.md": "x [bad](nope.md)\n\n[ok](a,b.md)\n"})
    proc = _run(*BASE, "--format", "github", "site", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "::error file=site/a%2Cb.md,line=1,col=3,title=urlcheck%3A missing_file::"
        "nope.md: no such file or directory: site/nope.md"
    )
    assert len(lines) == 2
    assert lines[1].startswith("1 ok · 1 failed")


def test_sarif_is_valid_and_points_at_each_failure(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    root = write(tmp_path / "site", {**MARKDOWN, "list.txt": "not-a-url\n"})
    proc = _run(*BASE, "--format", "sarif", "site", "site/list.txt", cwd=tmp_path)
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    jsonschema.validate(log, schema)
    (run,) = log["runs"]
    found = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"].get("startLine"),
            r["locations"][0]["physicalLocation"]["region"].get("startColumn"),
            r["ruleId"],
        )
        for r in run["results"]
    }
    assert found == {
        ("site/README.md", 4, 1, "missing_file"),
        ("site/README.md", 11, 9, "fragment"),
        ("site/list.txt", 1, None, "invalid_url"),
    }
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    assert root.exists()


def test_an_unreadable_document_is_one_line_and_the_rest_is_checked(tmp_path: Path) -> None:
    root = write(tmp_path / "site", {"b.md": "[y](a.md) [z](huge.md)\n"})
    (root / "a.md").symlink_to(tmp_path / "gone.md")  # dangling: listed, but cannot be read
    with open(root / "huge.md", "wb") as huge:
        huge.truncate(65 * 1024 * 1024)  # sparse: larger than a document may be
    code, rows, stderr = records(str(root))
    assert code == 1, "an input could not be read: the run failed, the rest was checked"
    assert stderr.splitlines() == [
        f"urlcheck: error: {root / 'a.md'}: cannot read it (No such file or directory)",
        f"urlcheck: error: {root / 'huge.md'}: cannot read it (larger than 64 MiB)",
    ]
    assert {row["url"]: row["error_kind"] for row in rows} == {
        "a.md": "missing_file",
        "huge.md": None,
    }


def test_csv_and_history_carry_column_and_skipped(tmp_path: Path) -> None:
    import csv
    import io
    import sqlite3

    root = write(tmp_path / "site", {"a.md": "[x](a.md) [m](mailto:a@example.org)\n"})
    db = tmp_path / "h.db"
    proc = run_urlcheck(*BASE, "--format", "csv", "--db", str(db), str(root))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["url"], r["column"], r["skipped"]) for r in rows] == [
        ("a.md", "1", "False"),
        ("mailto:a@example.org", "11", "True"),
    ]
    with sqlite3.connect(db) as history:
        stored = history.execute("SELECT url, line, column, skipped FROM results ORDER BY column")
        assert stored.fetchall() == [("a.md", 1, 1, 0), ("mailto:a@example.org", 1, 11, 1)]


def test_many_documents_over_worker_processes_judge_as_one(tmp_path: Path) -> None:
    """300 documents (workers start at 200): each links to a heading of the next one (read
    later, perhaps by another process), to one it lacks, and to a missing file."""
    count = 300
    files = {}
    for number in range(count):
        following = (number + 1) % count
        target = f"../d{following // 100}/page-{following:03d}.md"
        files[f"d{number // 100}/page-{number:03d}.md"] = (
            f"# Page {number}\n\n"
            f"[next]({target}#page-{following}) [wrong]({target}#page-x) [gone](gone-{number}.md)\n"
        )
    root = write(tmp_path / "tree", files)
    results = {}
    for processes in ("1", "2"):
        code, rows, stderr = records("--processes", processes, str(root))
        assert code == 1, stderr
        results[processes] = sorted(
            (row["file"], row["line"], row["column"], row["url"], row["error_kind"]) for row in rows
        )
    assert results["1"] == results["2"]
    kinds = [kind for *_, kind in results["2"]]
    assert len(kinds) == 3 * count
    assert kinds.count(None) == kinds.count("fragment") == kinds.count("missing_file") == count


SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{ok}</loc></url>
  <url><loc>{gone}</loc></url>
</urlset>
"""


def test_local_sitemaps_by_name_in_a_tree_and_any_xml_named(tmp_path: Path, pages: Served) -> None:
    import gzip

    pytest.importorskip("defusedxml", reason="the site extra is not installed")
    text = SITEMAP.format(ok=pages.url("/page"), gone=pages.url("/gone"))
    root = write(tmp_path / "site", {"feed.xml": text, "a.md": "[x](a.md)\n"})
    (root / "sitemap-pages.xml.gz").write_bytes(gzip.compress(text.encode()))
    _, rows, stderr = records(str(root))
    assert stderr == ""
    from_sitemap = [row for row in rows if row["file"].endswith("sitemap-pages.xml.gz")]
    assert {(row["url"], row["ok"]) for row in from_sitemap} == {
        (pages.url("/page"), True),
        (pages.url("/gone"), False),
    }
    assert {(row["line"], row["column"]) for row in from_sitemap} == {(3, 13), (4, 13)}
    assert not any(row["file"].endswith("feed.xml") for row in rows), "not named sitemap*"
    _, named, _ = records(str(root / "feed.xml"))
    assert len(named) == 2, "named on the command line, any .xml is a sitemap"


def test_a_broken_local_sitemap_is_one_line(tmp_path: Path) -> None:
    root = write(tmp_path / "site", {"sitemap.xml": "<html>no</html>\n", "a.md": "[x](a.md)\n"})
    code, rows, stderr = records(str(root))
    assert code == 1
    (line,) = stderr.splitlines()
    assert line.startswith(
        f"urlcheck: error: {root / 'sitemap.xml'}: cannot read it (not a sitemap"
    )
    assert [row["url"] for row in rows] == ["a.md"]


def _worker_children() -> list[int]:
    """This process's children that are document workers (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == os.getpid() and b"urlcheck.documents.workers" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_workers_started_ahead_stop_when_the_run_never_reads(tmp_path: Path) -> None:
    """The workers start before the run reads its documents (their start-up overlaps the
    parent's); a run that stops first (a bad --db, Ctrl-C) stops them, and reading after
    starting uses them, once."""
    from urlcheck.documents import DocumentReader, Settings, documents_of

    files = {f"d/page-{n:03d}.md": f"# Page {n}\n\n[gone](gone-{n}.md)\n" for n in range(250)}
    documents = documents_of([str(write(tmp_path / "tree", files))], [], [])
    assert len(documents) == 250
    reader = DocumentReader(documents, Settings(), processes=2)
    reader.start()
    assert len(_worker_children()) == 2
    reader.close()
    assert _worker_children() == []

    reader = DocumentReader(documents, Settings(), processes=2)
    reader.start()
    reader.start()  # started once
    assert len(_worker_children()) == 2
    rows = [row for item in reader if isinstance(item, list) for row in item]
    assert len(rows) == 250
    assert all(row.error_kind == "missing_file" for row in rows)
    assert _worker_children() == []
    reader.close()  # after the run: nothing left to stop, and no error


@given(st.text(alphabet=st.sampled_from(list("ab./#?%:é \t\n-_~")), max_size=24))
@example("../sec-1/page.md#setup")
@example("./a b.md#x")
@example(" ./a.md")
@example("a.md#")
@example("a%20b.md")
def test_the_quick_relative_path_resolves_as_the_general_one(link: str) -> None:
    """`resolve` takes a short way for a plain relative link when it knows the document's
    directory; every link resolves there as it does the long way."""
    from urlcheck.documents.resolve import resolve

    document = "/docs/guide/index.md"
    quick = resolve(link, document, directory="/docs/guide")
    assert quick == resolve(link, document)


def test_a_worker_keeps_the_anchors_of_its_latest_documents() -> None:
    """A bounded memory of anchors (`LocalFiles(limit)`): the oldest goes first, and a
    document read again counts as the newest."""
    from urlcheck.documents.found import Parsed
    from urlcheck.documents.local import LocalFiles
    from urlcheck.documents.walk import Kind

    files = LocalFiles(limit=2)

    def read(*names: str) -> list[bool]:
        for name in names:
            files.learn(Parsed(path=name, kind=Kind.MARKDOWN, absolute=name, anchors=frozenset()))
        return [files.knows(name) for name in ("/a.md", "/b.md", "/c.md")]

    assert read("/a.md", "/b.md", "/b.md") == [True, True, False], "a repeat evicts nothing"
    assert read("/a.md", "/c.md") == [True, False, True], "the oldest goes first"


def test_a_worker_that_sends_garbage_is_an_input_error_not_a_hang(tmp_path: Path) -> None:
    """A real process that answers a garbled frame and stays alive: the run says so and
    goes on, without waiting for that process to exit by itself."""
    import subprocess
    import sys
    import threading

    from urlcheck.documents.found import Settings
    from urlcheck.documents.walk import Document, Kind
    from urlcheck.documents.workers import Workers
    from urlcheck.errors import InputError

    (tmp_path / "a.md").write_text("[x](https://a.test/)\n")
    garbler = (
        "import sys, time; sys.stdin.buffer.read(4)\n"
        "sys.stdout.buffer.write(b'\\x00\\x00\\x00\\x05\\x00oops'); sys.stdout.flush()\n"
        "time.sleep(60)"
    )
    workers = Workers(Settings(), 0)
    process = subprocess.Popen(
        [sys.executable, "-c", garbler], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    workers._processes.append(process)
    raised: list[BaseException] = []

    def parse() -> None:
        try:
            list(workers.parse([Document(str(tmp_path / "a.md"), Kind.MARKDOWN)]))
        except InputError as exc:
            raised.append(exc)

    thread = threading.Thread(target=parse, daemon=True)
    thread.start()
    thread.join(15)
    alive = thread.is_alive()
    if alive:
        process.kill()
    assert not alive, "the run waited for a worker that will not exit"
    assert len(raised) == 1
    assert "a process reading documents ended" in str(raised[0])
    assert process.poll() is not None, "the worker is stopped"


@pytest.mark.parametrize(
    ("documents", "offline", "processes", "parsers"),
    [
        (49, False, 0, 1),  # a few: parsed here, starting workers would cost more
        (50, False, 0, 4),  # checked online: parsed beside the checks, they would be timed
        (199, True, 0, 1),  # --offline: nothing is timed, workers only for a big tree
        (200, True, 0, 4),
        (3, False, 3, 3),  # --processes says
    ],
)
def test_documents_are_parsed_in_workers_when_their_links_would_be_timed(
    documents: int, offline: bool, processes: int, parsers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "cores", lambda: 4)
    tree = [Document(f"doc{n}.md", Kind.MARKDOWN, f"/docs/doc{n}.md") for n in range(documents)]
    found = DocumentReader(tree, Settings(offline=offline), processes=processes)
    assert found._count() == parsers
