"""Answers that say the server would not tell: a 429 that outlives the retries is
``rate_limited`` (a bot challenge is ``blocked``); both fail by default, and are warnings
that do not fail the run with ``--unverified warn``. Against servers on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from .faults import run_urlcheck
from .servers import SERVED, Served, serve_app


def limited_app() -> web.Application:
    """``/limited`` always answers 429 (Retry-After: 0); ``/ok`` 200."""

    async def limited(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, request.path, dict(request.headers)))
        return web.Response(status=429, headers={"Retry-After": "0"}, text="slow down")

    async def ok(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, request.path, dict(request.headers)))
        return web.Response(text="fine")

    app = web.Application()
    app.router.add_route("*", "/limited", limited)
    app.router.add_route("*", "/ok", ok)
    return app


@pytest.fixture
def limited() -> Iterator[Served]:
    with serve_app(limited_app()) as served:
        yield served


def check(served: Served, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{served.url('/limited')}\n{served.url('/ok')}\n")
    proc = run_urlcheck("--timeout", "3", "--format", "jsonl", *args, str(urls))
    rows = {row["url"]: row for row in map(json.loads, proc.stdout.splitlines())}
    return proc.returncode, rows[served.url("/limited")], proc.stderr


def test_a_429_after_the_retries_is_rate_limited_and_fails(limited: Served, tmp_path: Path) -> None:
    code, row, _ = check(limited, tmp_path, "--retries", "2")
    assert code == 1
    assert (row["ok"], row["error_kind"], row["status"], row["warning"]) == (
        False,
        "rate_limited",
        429,
        False,
    )
    assert row["attempts"] == 6, "HEAD and GET, then twice again, Retry-After honoured"
    assert limited.requests_to("/limited") == ["HEAD", "GET"] * 3


def test_unverified_warn_lists_it_without_failing_the_run(limited: Served, tmp_path: Path) -> None:
    code, row, _ = check(limited, tmp_path, "--retries", "0", "--unverified", "warn")
    assert code == 0, "a warning does not fail the run"
    assert (row["ok"], row["error_kind"], row["warning"]) == (False, "rate_limited", True)
    urls = tmp_path / "urls.txt"
    table = run_urlcheck("--retries", "0", "--unverified", "warn", str(urls))
    assert table.returncode == 0
    assert "1 ok · 0 failed · 1 warning" in table.stdout
    github = run_urlcheck("--retries", "0", "--unverified", "warn", "--format", "github", str(urls))
    assert github.stdout.startswith("::warning file=")


def test_an_accepted_429_is_fine(limited: Served, tmp_path: Path) -> None:
    code, row, _ = check(limited, tmp_path, "--retries", "0", "--accept", "200..299,429")
    assert code == 0
    assert (row["ok"], row["error_kind"]) == (True, None)


def walls_app() -> web.Application:
    """Every wall and look-alike of tests/walls_pages.py at ``/<name>``."""
    from .walls_pages import LOOK_ALIKES, WALLS

    pages = {page.name: page for page in (*WALLS, *LOOK_ALIKES)}

    async def serve(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, request.path, dict(request.headers)))
        page = pages[request.match_info["name"]]
        headers = dict(page.headers)
        headers["Content-Type"] = page.content_type
        return web.Response(status=page.status, headers=headers, body=page.body)

    app = web.Application()
    app.router.add_route("*", "/{name}", serve)
    return app


def test_bot_walls_are_blocked_and_the_sites_own_answers_are_not(tmp_path: Path) -> None:
    from .walls_pages import LOOK_ALIKES, WALLS

    with serve_app(walls_app()) as served:
        urls = tmp_path / "urls.txt"
        pages = [*WALLS, *LOOK_ALIKES]
        urls.write_text("".join(served.url(f"/{page.name}") + "\n" for page in pages))
        proc = run_urlcheck("--retries", "1", "--timeout", "3", "--format", "jsonl", str(urls))
        rows = {row["url"]: row for row in map(json.loads, proc.stdout.splitlines())}
        for page in pages:
            row = rows[served.url(f"/{page.name}")]
            if page.vendor is not None:
                assert row["error_kind"] == "blocked", page.name
                assert page.vendor in row["error"], page.name
                assert row["attempts"] <= 2, f"{page.name}: a wall is not asked again"
            else:
                assert row["error_kind"] != "blocked", page.name


def test_a_wall_is_a_warning_with_unverified_warn(tmp_path: Path) -> None:
    from .walls_pages import WALLS

    wall = next(page for page in WALLS if page.by_header and page.status == 403)
    with serve_app(walls_app()) as served:
        urls = tmp_path / "urls.txt"
        urls.write_text(served.url(f"/{wall.name}") + "\n")
        failing = run_urlcheck("--timeout", "3", str(urls))
        warned = run_urlcheck("--timeout", "3", "--unverified", "warn", str(urls))
    assert failing.returncode == 1
    assert warned.returncode == 0
    assert "1 warning" in warned.stdout
