"""A slow server for scenarios 1 and 4: ``/d/<ms>/<anything>`` answers 200 after <ms> ms.

The harness puts each URL's latency into its path (drawn from a fixed random seed), so every
contender sees exactly the same delays. ``/_stats`` answers the number of requests served so
far (itself not counted), which is how the harness checks who really sent what.

Run as ``python latency_server.py --host 127.0.0.1 --port 0``; it prints ``PORT <n>`` once it
listens and runs until it gets SIGTERM or SIGINT. ``--host`` again and again listens on each
address at the same port (the slow-hosts scenario: 127.0.0.2 … 127.0.0.101, every one a
host of its own to a client's per-host limit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from dataclasses import asdict, dataclass, field

from aiohttp import web

MAX_DELAY_MS = 30_000
"""No request is held longer than this, whatever its path says."""


@dataclass
class Counter:
    """Requests served so far, in all and by method."""

    requests: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


def make_app() -> web.Application:
    """The app: delayed answers on ``/d/<ms>/…``, the request counter on ``/_stats``."""
    counter = Counter()

    async def delayed(request: web.Request) -> web.Response:
        counter.requests += 1
        counter.by_method[request.method] = counter.by_method.get(request.method, 0) + 1
        try:
            delay_ms = min(int(request.match_info["ms"]), MAX_DELAY_MS)
        except ValueError:
            return web.Response(status=404, text="bad delay\n")
        await asyncio.sleep(delay_ms / 1000)
        return web.Response(text="ok\n")

    async def stats(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(asdict(counter)), content_type="application/json")

    app = web.Application()
    app.router.add_get("/_stats", stats, allow_head=False)
    app.router.add_route("*", "/d/{ms}/{rest:.*}", delayed)
    return app


async def serve(hosts: list[str], port: int) -> None:
    """Listen on every one of `hosts` until SIGTERM/SIGINT, announcing the port on stdout."""
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, hosts[0], port, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1]
    for host in hosts[1:]:
        await web.TCPSite(runner, host, bound, backlog=1024).start()
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", action="append", help="repeatable (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host or ["127.0.0.1"], args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
