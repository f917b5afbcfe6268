"""benchmarks/site_server.py serves the site tests/site.py generates, byte for byte, with
aiohttp and with nginx, writes its page list, and counts who fetched what."""

from __future__ import annotations

import collections
import importlib.util
import sys
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest

from .site import GONE, HOME, MIN_PAGES, MOVED

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "site_server.py"


def load_script() -> ModuleType:
    """benchmarks/site_server.py as a module (it is a script, not in a package)."""
    if (loaded := sys.modules.get("site_server")) is not None:
        return loaded
    spec = importlib.util.spec_from_file_location("site_server", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Let a 301 be the answer."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        """Follow nothing."""


def get(url: str) -> tuple[int, str, dict[str, str], bytes]:
    """Status, content type, headers and body of `url`, redirects not followed."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        with opener.open(url, timeout=10) as resp:
            return resp.status, resp.headers.get_content_type(), dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get_content_type(), dict(exc.headers), exc.read()


SERVERS = [
    "aiohttp",
    pytest.param(
        "nginx",
        marks=pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="no nginx"),
    ),
]


@pytest.mark.parametrize("server", SERVERS)
def test_the_benchmark_server_serves_the_site(server: str, tmp_path: Path) -> None:
    script = load_script()
    with script.run_site_server(sys.executable, tmp_path, MIN_PAGES, server=server) as running:
        site = running.facts
        origin = running.url("")
        assert running.list_file.read_text().splitlines() == [
            origin + path for path in sorted(site.pages) if not site.disallowed(path)
        ]
        assert running.counts() == collections.Counter()
        for path, resource in site.resources.items():
            status, content_type, headers, body = get(running.url(path))
            assert status == resource.status, path
            if status == 200:
                assert content_type == resource.content_type, path
                assert body == resource.render(origin), path
        status, _, headers, _ = get(running.url(MOVED))
        assert headers["Location"].removeprefix(origin) == site.redirects[MOVED]
        assert get(running.url("/p/p/00001.html"))[0] == 404
        counts = running.counts()
        assert counts == collections.Counter(
            {**dict.fromkeys(site.resources, 1), MOVED: 2, "/p/p/00001.html": 1}
        )
        assert counts[GONE] == counts[HOME] == 1
