"""`urlcheck --serve` in a real browser: the real server, Debian's Chromium driven by Playwright.

The rows render, the page's own script and styles load under its Content-Security-Policy, no
console error, page error or CSP violation occurs, hostile text stays text, and the filter,
"check now" and the auto refresh work. Each run saves screenshots in the test's tmp_path; with
URLCHECK_SCREENSHOT=1 it also writes docs/screenshot.png, the one the README shows.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from .servers import SERVED, Running, Served, serve_app, urlcheck_serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parent.parent / "docs"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 30_000

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)",
)

# Recorded in the page before any of its own script runs: CSP violations and dialogs.
WATCH_SCRIPT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def storefront() -> web.Application:
    """A small site with the usual mix: fine pages, a slow one, redirects, a 404 and a 503."""
    routes = web.RouteTableDef()

    @routes.route("*", "/")
    async def home(request: web.Request) -> web.Response:
        return web.Response(text="home")

    @routes.route("*", "/docs/")
    async def docs(request: web.Request) -> web.Response:
        await asyncio.sleep(0.12)
        return web.Response(text="docs")

    @routes.route("*", "/api/health")
    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    @routes.route("*", "/pricing")
    async def pricing(request: web.Request) -> web.Response:
        await asyncio.sleep(0.7)
        return web.Response(text="pricing")

    @routes.route("*", "/search")
    async def search(request: web.Request) -> web.Response:
        await asyncio.sleep(0.35)
        return web.Response(text="search")

    @routes.route("*", "/old-blog")
    async def old_blog(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/blog/2024/")

    @routes.route("*", "/blog/2024/")
    async def blog(request: web.Request) -> web.Response:
        return web.Response(text="blog")

    @routes.route("*", "/careers")
    async def careers(request: web.Request) -> web.Response:
        return web.Response(status=404)

    @routes.route("*", "/checkout")
    async def checkout(request: web.Request) -> web.Response:
        await asyncio.sleep(0.2)
        return web.Response(status=503)

    @routes.route("*", "/hostile")
    async def hostile(request: web.Request) -> web.Response:
        return web.Response(status=500, reason="<script>alert(1)</script>")

    app = web.Application()
    app.add_routes(routes)

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        request.app[SERVED].log.append((request.method, request.path_qs, dict(request.headers)))
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.append(record)
    return app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def site() -> Iterator[Served]:
    with serve_app(storefront()) as served:
        yield served


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/status"


def url_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Watched:
    """A page with every console error, page error, failed request and dialog recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: self.problems.append(f"failed: {req.url}"))
        page.on("response", self._response)
        page.on("dialog", self._dialog)
        page.add_init_script(WATCH_SCRIPT)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def assert_clean(self) -> None:
        """No problem so far, and no CSP violation on the page as it is now."""
        violations = self.page.evaluate("window.__violations || []")
        assert violations == []
        assert self.problems == []


def open_page(browser: Browser, server: Running, path: str, viewport: dict[str, int]) -> Watched:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    watched = Watched(context.new_page())
    watched.page.set_default_timeout(WAIT_MS)
    watched.page.goto(server.url + path.lstrip("/"))
    watched.page.wait_for_selector("tr.result")
    return watched


def save(page: Page, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot in tmp_path, and in docs/ too when URLCHECK_SCREENSHOT=1."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("URLCHECK_SCREENSHOT") == "1":
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / name), full_page=True)
    assert shot.stat().st_size > 10_000
    return shot


def test_the_page_renders_filters_and_checks_again_in_chromium(
    browser: Browser, site: Served, tmp_path: Path
) -> None:
    path = url_file(
        tmp_path,
        "# The storefront, checked every minute",
        site.url("/"),
        site.url("/docs/"),
        site.url("/api/health"),
        site.url("/pricing"),
        site.url("/search"),
        site.url("/old-blog"),
        site.url("/careers"),
        site.url("/checkout"),
        refused_url(),
        "www.example.com",
    )
    args = ("--port", "0", "--retries", "0", "--cache-ttl", "1", "--interval", "60", path.name)
    with urlcheck_serve(*args, cwd=tmp_path) as server:
        watched = open_page(browser, server, "/", DESKTOP)
        page = watched.page
        rows = page.locator("tr.result")
        assert rows.count() == 10
        assert page.locator(".badge-ok").count() == 6
        assert page.locator("tr.result-fail").count() == 3
        assert page.locator("tr.result-invalid").count() == 1
        assert "4 of 10 URLs failing" in page.locator("h1").inner_text()
        # The stylesheet loaded under the CSP: badges have colour, bars are drawn.
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.badge-ok')).backgroundColor"
        )
        assert background not in ("", "rgba(0, 0, 0, 0)", "transparent")
        assert page.locator("svg.bar").count() == 9
        # The script loaded under the CSP: it wrote the age and the countdown.
        page.wait_for_function("document.querySelector('[data-countdown]').textContent !== ''")
        assert "ago" in page.locator("time[data-ago]").inner_text() or "just now" in (
            page.locator("time[data-ago]").inner_text()
        )
        save(page, tmp_path, "screenshot.png")
        watched.assert_clean()

        page.click("a.filter-failed")
        page.wait_for_url("**/?failed=1")
        assert rows.count() == 4
        assert page.locator("tr.result-ok").count() == 0
        watched.assert_clean()

        checked_before = len([p for _, p, _ in site.log if p == "/api/health"])
        time.sleep(1.2)  # past --cache-ttl, so "check now" does check
        page.click("form.check-now button")
        page.wait_for_url("**/?failed=1")
        page.wait_for_selector("tr.result")
        assert len([p for _, p, _ in site.log if p == "/api/health"]) > checked_before
        assert rows.count() == 4
        watched.assert_clean()

        phone = open_page(browser, server, "/", PHONE)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing sticks out sideways on a phone
        save(phone.page, tmp_path, "screenshot-phone.png")
        phone.assert_clean()


def test_hostile_text_stays_text_in_the_browser(
    browser: Browser, site: Served, tmp_path: Path
) -> None:
    path = url_file(
        tmp_path,
        site.url("/hostile"),
        site.url('/?q="><img/src=x/onerror=alert(2)>'),
        '"><img src=x onerror=alert(3)>',
    )
    with urlcheck_serve("--port", "0", "--retries", "0", str(path)) as server:
        watched = open_page(browser, server, "/", DESKTOP)
        page = watched.page
        assert page.locator("tr.result").count() == 3
        assert page.get_by_text("500 <script>alert(1)</script>").count() == 1
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("table script").count() == 0
        watched.assert_clean()  # no alert() dialog ran


def test_the_page_refreshes_itself_every_interval(
    browser: Browser, site: Served, tmp_path: Path
) -> None:
    path = url_file(tmp_path, site.url("/"))
    with urlcheck_serve("--port", "0", "--interval", "1", str(path)) as server:
        watched = open_page(browser, server, "/", DESKTOP)
        page = watched.page
        first = page.evaluate("performance.timeOrigin")
        page.wait_for_event("load", timeout=WAIT_MS)
        page.wait_for_selector("tr.result")
        assert page.evaluate("performance.timeOrigin") > first
        watched.assert_clean()


def test_an_incident_and_the_badges_in_chromium(
    browser: Browser, site: Served, tmp_path: Path
) -> None:
    """A cron run turned a URL down: the page shows it as down now, and the status badges
    are SVG that Chromium draws (as a document, and as an image on a page)."""
    import subprocess
    import sys

    path = url_file(tmp_path, site.url("/"), site.url("/docs/"), site.url("/checkout"))
    db = tmp_path / "h.db"
    cron = [sys.executable, "-m", "urlcheck", "--retries", "0", "--db", str(db), "--quiet"]
    subprocess.run([*cron, "--down-after", "1", str(path)], check=False, timeout=60)
    args = ("--port", "0", "--retries", "0", "--db", str(db), path.name)
    with urlcheck_serve(*args, cwd=tmp_path) as server:
        watched = open_page(browser, server, "/", DESKTOP)
        page = watched.page
        incident = page.locator("section.incidents li")
        assert incident.count() == 1
        assert site.url("/checkout") in incident.inner_text()
        assert page.locator(".state-down").count() == 1
        save(page, tmp_path, "screenshot-incident.png")
        watched.assert_clean()

        badge = page.goto(server.url + "badge.svg")
        assert badge is not None
        assert badge.headers["content-type"] == "image/svg+xml"
        assert page.evaluate("document.documentElement.namespaceURI") == (
            "http://www.w3.org/2000/svg"
        )
        assert "1 down" in page.evaluate("document.documentElement.textContent")
        # Drawn as an image, as a README shows it: it has a size, so it rendered.
        page.goto(server.url)
        size = page.evaluate(
            """() => new Promise((done) => {
                const img = new Image();
                img.onload = () => done([img.naturalWidth, img.naturalHeight]);
                img.onerror = () => done([0, 0]);
                img.src = '/badge.svg';
            })"""
        )
        assert size[0] > 40
        assert size[1] == 20
        # The SVG shown on its own has no icon link: Chromium asks for /favicon.ico, a 404.
        watched.problems = [p for p in watched.problems if "status of 404" not in p]
        watched.assert_clean()
