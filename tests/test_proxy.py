"""Proxies come from the environment, read once, as curl and requests read them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import trustme
from aiohttp import web

from .faults import slow_trust_store
from .servers import SERVED, Served, serve_app


def forward_proxy() -> web.Application:
    """A tiny forward proxy: it answers every proxied request itself and logs the target."""

    async def handle(request: web.Request) -> web.Response:
        request.app[SERVED].log.append((request.method, str(request.url), dict(request.headers)))
        return web.Response(text="via proxy", headers={"X-Proxied-Url": str(request.url)})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def run(urls: Path, env: dict[str, str], *options: str) -> dict[str, object]:
    argv = ["-m", "urlcheck", "--retries", "0", "--format", "jsonl", *options, str(urls)]
    proc = subprocess.run(
        [sys.executable, *argv],
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


def test_a_proxied_checks_tls_settings_are_not_the_servers_time(
    tmp_path: Path, server: Served
) -> None:
    """The proxied session's ``--ca-bundle`` loads before the first check's clock starts (in
    a thread, not on the loop): a bundle that takes hundreds of ms to load leaves the check
    only the proxy's few."""
    bundle = tmp_path / "big-ca.pem"
    load_ms = slow_trust_store(trustme.CA(), bundle)
    urls = tmp_path / "urls.txt"
    urls.write_text(server.url("/ok") + "\n")
    base = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with serve_app(forward_proxy()) as proxy:
        via = run(urls, {**base, "HTTP_PROXY": proxy.url("/")}, "--ca-bundle", str(bundle))
        assert via["ok"] is True, via
        assert [method for method, _, _ in proxy.log] == ["HEAD"]  # it went through the proxy
    assert float(str(via["elapsed_ms"])) < load_ms / 2, (via["elapsed_ms"], load_ms)
