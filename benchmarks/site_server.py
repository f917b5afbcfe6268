"""A generated website (tests/site.py) on 127.0.0.1, for benchmarking a crawler against.

    python benchmarks/site_server.py                           # 2,000 pages, a free port
    python benchmarks/site_server.py --pages 20000 --port 8080 --list /tmp/pages.txt
    python benchmarks/site_server.py --server nginx --dir /tmp/site

The site is ``build_site(PAGES, seed=SEED)``: the same bytes on every run, so every contender
crawls the same graph (its counts: ``SITE {...}`` on stdout). Once it listens it prints
``PORT <n>`` (latency_server.py's first line), ``URL http://127.0.0.1:<n>/`` and ``SITE``,
and runs until SIGTERM or SIGINT. ``--list FILE`` writes every public page's URL (``/`` and
the PAGES pages under ``/p/``, the orphans too), one a line: the comparison run, "the same
pages as a URL list". Absolute links name the host and port served on: crawl ``--host``
as given, not ``localhost`` for 127.0.0.1.

Two servers, the same site:

- ``--server aiohttp`` (the default): tests/site.py's own `site_app`, every body rendered up
  front in memory. ``GET /_stats`` answers ``{"requests": n, "paths": {path: n}}`` (its own
  requests not counted): who fetched what, how often. One Python process, about 75 µs of
  CPU a page (10,000 GETs of 2,000 pages, 2 Xeon cores): a 20,000-page crawl costs
  it 1.5 s of a core the crawler may want. ``--delay 20-400`` makes each path answer after
  20 to 400 ms (drawn from the path: the same on every run), as real servers do.
- ``--server nginx``: the site written to ``--dir`` (run.py's nginx, /usr/sbin/nginx, with a
  config of its own: static files, the 301, ``return 404`` for `GONE`), ``/nginx_status`` for
  the total as run.py's `Nginx.requests` reads it, and every request in ``DIR/access.log``
  (method, path, status); `SiteServer.counts` reads it. About 17 µs of CPU a page.

How benchmarks/run.py would use it (not wired in: run.py is unchanged), as it uses
latency_server.py through targets.run_latency_server::

    from site_server import run_site_server

    with run_site_server(sys.executable, workdir, pages=2_000) as site:
        crawl = ["urlcheck", "--recursive", site.url("/"), "--max-depth", "99", ...]
        as_list = ["urlcheck", str(site.list_file), ...]
        for argv in interleaved(...):            # each measured as harness.measure does
            before = site.counts()
            measure(argv, ...)
            fetched = site.counts() - before     # every page once? nothing under /private/?

`SiteServer.facts` is the `Site` itself (depths, broken links …) for checking a contender's
output against; ``--server nginx`` in `run_site_server` for the 20,000-page case.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the generator lives in tests/site.py: one home for the site

from aiohttp import web  # noqa: E402

from tests.servers import SERVED, Served  # noqa: E402
from tests.site import GONE, HOME, MOVED, Site, build_site, site_app  # noqa: E402

DEFAULT_PAGES = 2_000
DEFAULT_SEED = 1
STATS = "/_stats"
NGINX_STATUS = "/nginx_status"
NGINX = Path("/usr/sbin/nginx")
START_TIMEOUT_S = 60.0
"""A 20,000-page site takes a few seconds to build before it listens."""
NGINX_CONF = """\
daemon off;
@USER@
master_process on;
worker_processes @WORKERS@;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
    types {
        text/html html; application/xml xml; application/gzip gz;
        text/plain txt; text/css css; image/png png;
    }
    charset utf-8;
    charset_types text/plain text/css application/xml;  # and text/html, always
    log_format site '$request_method $request_uri $status';
    access_log @DIR@/access.log site;
    server_tokens off;
    keepalive_requests 10000000;
    client_body_temp_path @DIR@/tmp; proxy_temp_path @DIR@/tmp; fastcgi_temp_path @DIR@/tmp;
    uwsgi_temp_path @DIR@/tmp; scgi_temp_path @DIR@/tmp;
    server {
        listen @HOST@:@PORT@ backlog=4096;
        root @DIR@/root;
        index index.html;
        location = @NGINX_STATUS@ { stub_status; access_log off; }
        location = @GONE@ { return 404; }
        location = @MOVED@ { return 301 @MOVED_TO@; }
    }
}
"""


def page_urls(site: Site, origin: str) -> list[str]:
    """Every public page's URL (``/`` and ``/p/…``, orphans included), in path order."""
    return [origin + path for path in sorted(site.pages) if not site.disallowed(path)]


def write_site(site: Site, origin: str, directory: Path) -> Path:
    """Render every file of `site` (as served from `origin`) under `directory`/root."""
    root = directory / "root"
    for path, resource in site.resources.items():
        if resource.status != 200:
            continue  # the 404 and the 301 are nginx's `location`s
        target = root / (path.lstrip("/") or "index.html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(resource.render(origin))
    return root


def nginx_conf(site: Site, directory: Path, host: str, port: int, workers: int) -> str:
    """nginx's config for the site written by `write_site` into `directory`."""
    # Started as root, nginx's workers would read the files as nobody, who may not enter
    # --dir (a home, pytest's tmp_path): they stay the user who wrote them.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    fields = {
        "USER": user,
        "WORKERS": str(workers),
        "DIR": str(directory),
        "HOST": host,
        "PORT": str(port),
        "NGINX_STATUS": NGINX_STATUS,
        "GONE": GONE,
        "MOVED": MOVED,
        "MOVED_TO": site.redirects[MOVED],
    }
    text = NGINX_CONF
    for name, value in fields.items():
        text = text.replace(f"@{name}@", value)
    return text


def nginx_counts(directory: Path) -> collections.Counter[str]:
    """Requests per path so far, from nginx's access log in `directory`."""
    log = directory / "access.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return collections.Counter(line.split(" ")[1].partition("?")[0] for line in lines if line)


def announce(site: Site, host: str, port: int) -> None:
    """The lines a harness waits for: the port, the start URL, the site's counts."""
    print(f"PORT {port}", flush=True)
    print(f"URL http://{host}:{port}{HOME}", flush=True)
    print("SITE " + json.dumps(site.counts()), flush=True)


def delay_of(path: str, delay: tuple[int, int]) -> float:
    """The seconds `path` takes to answer under ``--delay LO-HI``: drawn from the path
    itself (CRC-32), so every run and every contender meets the same ones."""
    low, high = delay
    return (low + zlib.crc32(path.encode()) % (high - low + 1)) / 1000


async def serve_aiohttp(
    site: Site, sock: socket.socket, delay: tuple[int, int] | None = None
) -> None:
    """Serve `site` on the bound `sock` until SIGTERM or SIGINT, each path after its
    `delay_of` when a `delay` is given."""
    host, port = sock.getsockname()[:2]
    app = site_app(site, origin=f"http://{host}:{port}", stats_path=STATS)
    if delay is not None:

        @web.middleware
        async def late(
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            if request.path != STATS:
                await asyncio.sleep(delay_of(request.path, delay))
            return await handler(request)

        app.middlewares.insert(0, late)
    app[SERVED] = Served(host=host, port=port)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=4096).start()
    announce(site, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def serve_nginx(site: Site, directory: Path, host: str, port: int, workers: int) -> int:
    """Write `site` into `directory` and run nginx on it until SIGTERM or SIGINT."""
    directory = directory.resolve()
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    (directory / "access.log").unlink(missing_ok=True)
    write_site(site, f"http://{host}:{port}", directory)
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(site, directory, host, port, workers))
    argv = [str(NGINX), "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    stopping: list[int] = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(signum)
        proc.terminate()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    try:
        _wait_until_up(f"http://{host}:{port}{NGINX_STATUS}", proc)
        announce(site, host, port)
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
    return 0 if stopping else code


def _get(url: str, timeout: float = 2.0) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as resp:
        body: bytes = resp.read()
        return body


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            _get(url, timeout=1.0)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S:g} s")


@dataclass
class SiteServer:
    """A running site_server.py: where it is, its page list, who fetched what."""

    port: int
    proc: subprocess.Popen[bytes]
    server: str
    directory: Path
    list_file: Path
    facts: Site

    def url(self, path: str = HOME) -> str:
        """An absolute URL on the site."""
        return f"http://127.0.0.1:{self.port}{path}"

    def counts(self) -> collections.Counter[str]:
        """Requests per path served so far (the harness's own not counted)."""
        if self.server == "nginx":
            return nginx_counts(self.directory)
        data = json.loads(_get(self.url(STATS)))
        return collections.Counter({str(k): int(v) for k, v in data["paths"].items()})


@contextlib.contextmanager
def run_site_server(
    python: str,
    workdir: Path,
    pages: int = DEFAULT_PAGES,
    *,
    seed: int = DEFAULT_SEED,
    server: str = "aiohttp",
    delay: tuple[int, int] | None = None,
) -> Iterator[SiteServer]:
    """Start site_server.py under `python` (which needs aiohttp), with aiohttp's `delay`
    (see `delay_of`) if given; stop it when the block ends."""
    directory = workdir / f"site-{pages}-{seed}"
    directory.mkdir(parents=True, exist_ok=True)
    list_file = directory / "pages.txt"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    argv = [python, str(Path(__file__).resolve()), "--pages", str(pages), "--seed", str(seed)]
    argv += ["--port", str(port), "--server", server, "--dir", str(directory)]
    argv += ["--list", str(list_file)]
    if delay is not None:
        argv += ["--delay", f"{delay[0]}-{delay[1]}"]
    with (directory / "server.log").open("wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        status = NGINX_STATUS if server == "nginx" else STATS
        _wait_until_up(f"http://127.0.0.1:{port}{status}", proc)
        facts = build_site(pages, seed=seed)
        yield SiteServer(port, proc, server, directory, list_file, facts)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main(argv: list[str] | None = None) -> int:
    """Parse the options, build the site, write the list, serve."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/site_server.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES, help="default 2,000")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--server", choices=("aiohttp", "nginx"), default="aiohttp")
    parser.add_argument(
        "--dir", type=Path, help="where nginx's site goes (default benchmarks/.work/site-N-S)"
    )
    parser.add_argument("--workers", type=int, default=1, help="nginx worker processes")
    parser.add_argument("--list", type=Path, help="write every public page's URL to this file")
    parser.add_argument(
        "--delay",
        type=_delay,
        metavar="LO-HI",
        help="aiohttp only: each path answers after LO to HI ms, the same each time",
    )
    args = parser.parse_args(argv)
    if args.delay is not None and args.server != "aiohttp":
        parser.error("--delay is for --server aiohttp")
    site = build_site(args.pages, seed=args.seed)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host, port = sock.getsockname()[:2]
    if args.list is not None:
        args.list.parent.mkdir(parents=True, exist_ok=True)
        urls = page_urls(site, f"http://{host}:{port}")
        args.list.write_text("".join(url + "\n" for url in urls), encoding="utf-8")
    if args.server == "nginx":
        sock.close()  # nginx binds it itself; the port was only reserved to be known
        directory = args.dir or HERE / ".work" / f"site-{args.pages}-{args.seed}"
        return serve_nginx(site, directory, host, port, args.workers)
    asyncio.run(serve_aiohttp(site, sock, args.delay))
    return 0


def _delay(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        bounds = int(low), int(high)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LO-HI in ms (20-400)") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: want 0 <= LO <= HI")
    return bounds


if __name__ == "__main__":
    sys.exit(main())
