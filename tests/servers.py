"""Real servers on 127.0.0.1 for the tests: an aiohttp app or a raw socket handler, each
running in a thread of its own so both async tests and CliRunner (sync) tests can use them;
and `urlcheck --serve` itself, in a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from aiohttp import web

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Served:
    """A server running in a background thread; `url(path)` builds addresses on it."""

    host: str
    port: int
    scheme: str = "http"
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    """(method, path with query, headers) of every request the app saw."""
    state: dict[str, object] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        """An absolute URL on this server."""
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[str]:
        """The methods of the requests made to `path`."""
        return [method for method, seen, _ in self.log if seen == path]


SERVED: web.AppKey[Served] = web.AppKey("served", Served)
"""Where an app run by `serve_app` finds its `Served` (log and state)."""


class _LoopThread:
    """An event loop in a daemon thread, for servers that outlive one test's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[object]) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Cancel what still runs there (a handler that never answers outlives aiohttp's
        shutdown timeout), as `asyncio.run` does, then stop and close the loop: a task left
        pending on a closed loop is "destroyed but pending" at the end of the test run."""
        try:
            self.run(_cancel_the_rest())
        finally:  # (a task that will not end: the loop is stopped all the same)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            if not self.thread.is_alive():
                self.loop.close()


async def _cancel_the_rest() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.contextmanager
def serve_app(
    app: web.Application, *, ssl_context: object = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[Served]:
    """Run an aiohttp app on `port` (a free one by default) in a background thread."""
    runner_thread = _LoopThread()
    served = Served(host=host, port=0, scheme="https" if ssl_context else "http")
    app[SERVED] = served
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)  # type: ignore[arg-type]
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        return int(sockets[0].getsockname()[1])

    served.port = int(runner_thread.run(start()))  # type: ignore[arg-type]
    try:
        yield served
    finally:
        runner_thread.run(runner.cleanup())
        runner_thread.stop()


@contextlib.contextmanager
def serve_raw(handler: RawHandler, *, host: str = "127.0.0.1") -> Iterator[Served]:
    """Run a raw asyncio socket handler (for servers that misbehave) in a background thread."""
    runner_thread = _LoopThread()
    served = Served(host=host, port=0)
    connections: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)  # type: ignore[arg-type]
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            connections.discard(task)  # type: ignore[arg-type]
            writer.transport.abort()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(tracked, host, 0)

    server: asyncio.Server = runner_thread.run(start())  # type: ignore[assignment]
    served.port = server.sockets[0].getsockname()[1]

    async def stop() -> None:
        server.close()
        for task in list(connections):
            task.cancel()
        await asyncio.sleep(0)

    try:
        yield served
    finally:
        runner_thread.run(stop())
        runner_thread.stop()


def demo_app() -> web.Application:
    """The routes the core and CLI tests rely on: statuses, redirects, slowness, refusals."""
    routes = web.RouteTableDef()

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[..., Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        served = request.app[SERVED]
        served.log.append((request.method, request.path_qs, dict(request.headers)))
        active = int(served.state.get("active", 0)) + 1  # type: ignore[call-overload]
        served.state["active"] = active
        served.state["peak"] = max(active, int(served.state.get("peak", 0)))  # type: ignore[call-overload]
        try:
            return await handler(request)
        finally:
            served.state["active"] = int(served.state["active"]) - 1  # type: ignore[call-overload]

    @routes.route("*", "/ok")
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    @routes.route("*", "/status/{code}")
    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status")

    @routes.route("*", "/redirect/{n}")
    async def redirect(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n <= 0:
            return web.Response(text="arrived")
        raise web.HTTPFound(f"/redirect/{n - 1}")

    @routes.route("*", "/loop")
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    @routes.route("*", "/slow")
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("delay", "1")))
        return web.Response(text="slow")

    @routes.route("*", "/head405")
    async def head405(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=405)
        return web.Response(text="get works")

    @routes.route("*", "/flaky/{key}")
    async def flaky(request: web.Request) -> web.Response:
        served = request.app[SERVED]
        key = "flaky:" + request.match_info["key"]
        count = int(served.state.get(key, 0)) + 1  # type: ignore[call-overload]
        served.state[key] = count
        if count <= int(request.query.get("fail", "1")):
            headers = {}
            if "retry_after" in request.query:
                headers["Retry-After"] = request.query["retry_after"]
            return web.Response(status=int(request.query.get("code", "503")), headers=headers)
        return web.Response(text="recovered")

    @routes.route("*", "/auth")
    async def auth(request: web.Request) -> web.Response:
        import base64

        expected = "Basic " + base64.b64encode(b"user:s3cret").decode()
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, reason="Who Are You")
        return web.Response(text="welcome")

    @routes.route("*", "/big")
    async def big(request: web.Request) -> web.Response:
        return web.Response(text="early-marker " + "x" * 100_000 + " late-marker")

    @routes.route("*", "/drop")
    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.abort()
        await asyncio.sleep(0.5)
        return web.Response(text="never sent")

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    return app


SERVE_START_TIMEOUT = 30.0
"""Seconds `urlcheck --serve` may take to say where it listens."""


@dataclass
class Running:
    """A `urlcheck --serve` process and what it printed on stderr so far."""

    proc: subprocess.Popen[str]
    url: str
    stderr: list[str] = field(default_factory=list)

    def get(self, path: str, timeout: float = 30.0) -> tuple[int, dict[str, str], str]:
        """GET a path on the server: status, headers, body."""
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, dict(exc.headers), exc.read().decode()


@contextlib.contextmanager
def urlcheck_serve(
    *args: str, env: dict[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
) -> Iterator[Running]:
    """Start ``python -m urlcheck --serve ARGS`` and wait until it listens; Ctrl-C it after."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "urlcheck", "--serve", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def drain() -> None:  # keep reading, so a chatty server never blocks on a full pipe
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    deadline = time.monotonic() + SERVE_START_TIMEOUT
    url = None
    try:
        while url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the server did not start: {seen}") from None
            seen.append(line)
            found = re.search(r" on (http://\S+/) \(Ctrl-C stops\)", line)
            url = found.group(1) if found else None
        running = Running(proc, url, seen)
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        while not lines.empty():
            seen.append(lines.get())
        assert proc.stdout is not None
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()
