"""Proxies come from the environment, read once, as curl and requests read them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from .servers import SERVED, Served, serve_app


def forward_proxy() -> web.Application:
    """A tiny forward proxy: it answers every proxied request itself and logs the target."""

    async def handle(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, str(request.url), dict(request.headers)))
        return web.Response(text="via proxy", headers={"X-Proxied-Url": str(request.url)})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def run(urls: Path, env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "urlcheck", "--retries", "0", "--format", "jsonl", str(urls)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    return dict(json.loads(proc.stdout))


def test_http_proxy_and_no_proxy_are_honoured(tmp_path: Path, server: Served) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(server.url("/status/404") + "\n")
    base = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with serve_app(forward_proxy()) as proxy:
        proxy_log = proxy.log
        via = run(urls, {**base, "HTTP_PROXY": proxy.url("/")})
        assert via["ok"] is True  # the proxy answered 200 where the server says 404
        assert [method for method, _, _ in proxy_log] == ["HEAD"]
        assert proxy_log[0][1] == server.url("/status/404")  # absolute-form: a proxied request
        bypassed = run(urls, {**base, "HTTP_PROXY": proxy.url("/"), "NO_PROXY": "127.0.0.1"})
        assert bypassed["status"] == 404
    direct = run(urls, base)
    assert direct["status"] == 404
