"""The servers the contenders check, all on loopback: nginx (fast) and the latency server (slow).

Each is a context manager that starts the server, waits until it answers, exposes a request
counter, and stops it however the block ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NGINX_TEMPLATE = HERE / "nginx.conf.template"
NGINX_BINARY = Path("/usr/sbin/nginx")
MANY_HOSTS = tuple(f"127.0.0.{n}" for n in range(2, 52))
"""Scenario 3's hosts: 50 loopback addresses (Linux routes all of 127/8 to lo)."""
SLOW_HOSTS = tuple(f"127.0.0.{n}" for n in range(2, 102))
"""Scenario 6's hosts: 100 loopback addresses, the latency server on each."""
START_TIMEOUT_S = 20.0


class TargetError(RuntimeError):
    """A benchmark target could not be started."""


def free_port(hosts: tuple[str, ...] = ("127.0.0.1",)) -> int:
    """A TCP port that is free on every one of `hosts` right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for host in hosts[1:]:
                with socket.socket() as other:
                    other.bind((host, port))
        except OSError:
            continue
        return port
    raise TargetError("no port free on all the loopback addresses")


def _get(url: str, timeout: float = 2.0) -> bytes:
    # The harness's own requests never go through a proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as resp:
        body: bytes = resp.read()
        return body


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise TargetError(f"{url} did not start: {log.read_text(errors='replace')[-2000:]}")
        try:
            _get(url, timeout=1.0)
            return
        except OSError:
            time.sleep(0.05)
    raise TargetError(f"{url} did not answer within {START_TIMEOUT_S:g} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ensure_nginx() -> str | None:
    """Install nginx-light when /usr/sbin/nginx is missing; None, or why it cannot be had."""
    if NGINX_BINARY.exists():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "nginx is not installed and apt-get cannot run here (needs root on Debian)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"],
    ):
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            return f"'{' '.join(cmd)}' failed"
    return None if NGINX_BINARY.exists() else "nginx-light installed but /usr/sbin/nginx is missing"


@dataclass
class Nginx:
    """A running nginx: `return 200` on every path, on 127.0.0.1 and the scenario-3 hosts."""

    port: int
    proc: subprocess.Popen[bytes]
    _status_reads: int = 0

    def url(self, host: str, path: str) -> str:
        """An absolute URL on one of nginx's addresses."""
        return f"http://{host}:{self.port}{path}"

    def requests(self) -> int:
        """Requests served so far, this counter's own reads not counted."""
        text = _get(self.url("127.0.0.1", "/nginx_status")).decode()
        self._status_reads += 1
        # "server accepts handled requests\n <a> <h> <r>"
        total = int(text.splitlines()[2].split()[2])
        return total - self._status_reads


def render_nginx_conf(prefix: Path, port: int, workers: int, hosts: tuple[str, ...]) -> str:
    """The config from the template: one listen line per host, paths under `prefix`."""
    listen = "\n".join(f"        listen {host}:{port} backlog=4096;" for host in hosts)
    text = NGINX_TEMPLATE.read_text()
    for name, value in {"WORKERS": str(workers), "PREFIX": str(prefix), "LISTEN": listen}.items():
        text = text.replace(f"@{name}@", value)
    return text


@contextlib.contextmanager
def run_nginx(workdir: Path, workers: int) -> Iterator[Nginx]:
    """Start nginx with a config generated into `workdir`/nginx; stop it when the block ends."""
    prefix = workdir / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    hosts = ("127.0.0.1", *MANY_HOSTS)
    port = free_port(hosts)
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_conf(prefix, port, workers, hosts))
    log = prefix / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [
                str(NGINX_BINARY),
                "-p",
                str(prefix),
                "-c",
                str(conf),
                "-e",
                str(prefix / "error.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
        )
    try:
        server = Nginx(port=port, proc=proc)
        _wait_until_up(server.url("127.0.0.1", "/nginx_status"), proc, log)
        server._status_reads = 1
        for host in MANY_HOSTS:
            _get(server.url(host, "/ready"))
        yield server
    finally:
        _stop(proc)


@dataclass
class LatencyServer:
    """The running latency server: ``/d/<ms>/…`` answers after <ms> milliseconds."""

    port: int
    proc: subprocess.Popen[bytes]
    host: str = "127.0.0.1"
    """The first address it listens on (where its counter is read)."""

    def url(self, delay_ms: int, name: str, host: str | None = None) -> str:
        """A URL that answers after `delay_ms` (on `host`, one of the server's)."""
        return f"http://{host or self.host}:{self.port}/d/{delay_ms}/{name}"

    def requests(self) -> int:
        """Requests served so far."""
        data = json.loads(_get(f"http://{self.host}:{self.port}/_stats"))
        return int(data["requests"])


@contextlib.contextmanager
def run_latency_server(
    python: str, workdir: Path, hosts: tuple[str, ...] = ("127.0.0.1",)
) -> Iterator[LatencyServer]:
    """Start the latency server under `python` (which needs aiohttp) on `hosts`, one port;
    stop it at the end."""
    port = free_port(hosts)
    log = workdir / f"latency_server-{len(hosts)}.log"
    listen = [arg for host in hosts for arg in ("--host", host)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [python, str(HERE / "latency_server.py"), *listen, "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"http://{hosts[0]}:{port}/_stats", proc, log)
        yield LatencyServer(port=port, proc=proc, host=hosts[0])
    finally:
        _stop(proc)
