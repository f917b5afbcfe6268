"""Scenario for issue 7: one machine against a Celery cluster of 1, 2 and 4 workers.

    python benchmarks/distributed.py --rounds 3            # 100,000 URLs: ~6 minutes on 2 cores
    python benchmarks/distributed.py --urls 5000 --workers 1,2 --no-write
    python benchmarks/distributed.py --from-json benchmarks/distributed.json  # rewrite only

Starts its own redis-server and nginx on 127.0.0.1 (nothing else is contacted) and runs
``urlcheck`` as whole processes: locally, then with ``--broker`` through N ``urlcheck worker``
processes (``--concurrency 1`` each, so N worker processes in all). Every run must give one
result per URL line and nginx must have seen every request, or the script stops. Then it
measures what one chunk costs: the same URLs sent as one-URL chunks and as a single chunk.

It writes the section "Distributed checks (issue 7)" into BENCHMARKS.md, between markers,
leaving the rest of that file (written by benchmarks/run.py) alone, the same section to
benchmarks/distributed.md and the measurements to benchmarks/distributed.json. When run.py
has rewritten BENCHMARKS.md, ``--from-json`` puts the section back without measuring again.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from harness import publish, run_meta  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"
NGINX = "/usr/sbin/nginx"
START = "<!-- distributed-benchmark:start -->"
END = "<!-- distributed-benchmark:end -->"
NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /nginx_status {{ stub_status; }}
        location / {{ return 200; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes], *, group: bool = False) -> None:
    """SIGTERM (the process group, for workers and their pools), SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL) if group else proc.kill()
        proc.wait()


@dataclass
class Nginx:
    """nginx answering 200 on every path; `requests()` reads its counter."""

    port: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self) -> int:
        with urllib.request.urlopen(self.url("/nginx_status"), timeout=5) as resp:
            lines = resp.read().decode().splitlines()
        return int(lines[2].split()[2]) - 1  # "accepts handled requests"; this one excluded


@contextlib.contextmanager
def nginx(workdir: Path) -> Iterator[Nginx]:
    port = free_port()
    prefix = workdir / "nginx"
    prefix.mkdir()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port))
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, "nginx")
        yield Nginx(port)
    finally:
        stop(proc)


@contextlib.contextmanager
def redis() -> Iterator[str]:
    """A throwaway redis-server; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            *(REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--databases", "64"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextlib.contextmanager
def workers(broker: str, count: int, workdir: Path) -> Iterator[None]:
    """`count` workers of one process each, ready before the block runs."""
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for n in range(count):
            log = workdir / f"worker-{count}-{n}.log"
            with log.open("wb") as out:
                command = [sys.executable, "-m", "urlcheck", "worker", "--broker", broker]
                command += ["--concurrency", "1"]
                command += ["--name", f"bench{n}-{os.getpid()}@%h"]
                proc = subprocess.Popen(
                    command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            procs.append((proc, log))
        for proc, log in procs:
            deadline = time.monotonic() + 30
            while " ready." not in log.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"a worker did not start:\n{log.read_text()}")
                time.sleep(0.05)
        yield
    finally:
        for proc, _ in procs:
            stop(proc, group=True)


@dataclass
class Run:
    """Whole `urlcheck` processes of one kind, one per round."""

    label: str
    urls: int
    chunks: int
    walls_s: list[float]

    @property
    def wall_s(self) -> float:
        """The median wall time."""
        return statistics.median(self.walls_s)


def run_urlcheck(label: str, urls: Path, count: int, web: Nginx, *args: str) -> float:
    """Run urlcheck to completion; check one result per line and every request seen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("URLCHECK_")}
    out = urls.with_suffix(".out")
    command = [sys.executable, "-m", "urlcheck", "--format", "jsonl", "--per-host", "0"]
    before = web.requests()
    with out.open("wb") as stdout:
        started = time.perf_counter()
        proc = subprocess.run(
            [*command, *args, str(urls)],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        wall = time.perf_counter() - started
    results = sum(1 for _ in out.open("rb"))
    seen = web.requests() - before
    if proc.returncode != 0 or results != count or seen < count:
        raise SystemExit(
            f"{label}: exit {proc.returncode}, {results:,} results and {seen:,} requests "
            f"for {count:,} URLs\n{proc.stderr.decode(errors='replace')}"
        )
    print(f"  {label}: {wall:.2f} s ({count / wall:,.0f} URLs/s)", flush=True)
    return wall


def write_list(path: Path, web: Nginx, prefix: str, count: int) -> Path:
    path.write_text("".join(f"{web.url(f'/{prefix}/{i}')}\n" for i in range(count)))
    return path


def measure(args: argparse.Namespace, workdir: Path) -> tuple[list[Run], dict[str, float]]:
    chunks = -(-args.urls // args.chunk_size)
    with nginx(workdir) as web, redis() as broker_root:
        big = write_list(workdir / "big.txt", web, "big", args.urls)
        print(f"{args.urls:,} URLs, chunks of {args.chunk_size:,}, {args.rounds} round(s)")
        runs = [Run("local (no --broker)", args.urls, 0, [])]
        for count in args.workers:
            label = f"--broker, {count} worker process{'es' if count > 1 else ''}"
            runs.append(Run(label, args.urls, chunks, []))
        for round_ in range(1, args.rounds + 1):  # interleaved: each round measures every kind
            print(f"round {round_}")
            runs[0].walls_s.append(run_urlcheck("local", big, args.urls, web))
            for run, count in zip(runs[1:], args.workers, strict=True):
                broker = f"{broker_root}/{count}"
                with workers(broker, count, workdir):
                    run.walls_s.append(
                        run_urlcheck(
                            f"{count} worker(s)", big, args.urls, web,
                            "--broker", broker, "--chunk-size", str(args.chunk_size),
                        )
                    )  # fmt: skip

        small = write_list(workdir / "small.txt", web, "small", args.small)
        single = write_list(workdir / "single.txt", web, "single", 1)
        broker = f"{broker_root}/{max(args.workers) + 1}"
        print(f"costs: 1 URL; {args.small} URLs as {args.small} chunks and as one; 1 worker")
        with workers(broker, 1, workdir):
            alone = statistics.median(run_urlcheck("1 URL", single, 1, web) for _ in range(3))
            remote = statistics.median(
                run_urlcheck("1 URL, --broker", single, 1, web, "--broker", broker)
                for _ in range(3)
            )
            common = (small, args.small, web, "--broker", broker, "--chunk-size")
            one = run_urlcheck("one chunk", *common, str(args.small))
            many = run_urlcheck("one-URL chunks", *common, "1")
        costs = {
            "small": args.small,
            "one_chunk_s": one,
            "many_chunks_s": many,
            "start_local_s": alone,
            "start_remote_s": remote,
        }
    return runs, costs


def section(data: dict[str, Any]) -> str:
    """The Markdown section from the measurements (as saved in benchmarks/distributed.json)."""
    meta, costs = data["meta"], data["costs"]
    runs = [Run(**run) for run in data["runs"]]
    local = runs[0].wall_s
    rows = [
        "| run | wall median (s) | min-max (s) | URLs/s | x local wall | chunks |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        rows.append(
            f"| {run.label} | {run.wall_s:.2f} | {min(run.walls_s):.2f}-{max(run.walls_s):.2f} "
            f"| {run.urls / run.wall_s:,.0f} | {run.wall_s / local:.2f} | {run.chunks or ''} |"
        )
    small = int(costs["small"])
    per_run = costs["start_remote_s"] - costs["start_local_s"]
    per_chunk = (costs["many_chunks_s"] - costs["one_chunk_s"]) / (small - 1) * 1000
    checking = meta["chunk_size"] / (runs[0].urls / local) * 1000
    best = min(runs[1:], key=lambda run: run.wall_s)
    cores = meta["cores"]
    return f"""{START}
## Distributed checks (issue 7)

Generated by `python benchmarks/distributed.py` on {meta["when"]} ({cores} cores, Python
{meta["python"]}, load average {meta["load"]} at the end). {runs[0].urls:,} URLs on nginx
(`return 200`, 127.0.0.1), `--per-host 0 --format jsonl`, each run a whole `urlcheck` process
from start to exit, median of {meta["rounds"]} interleaved rounds. With `--broker`, chunks of
{meta["chunk_size"]:,} go through a local redis-server to N `urlcheck worker --concurrency 1`
processes, started and ready before the clock starts. Every run gave one result per URL line
and nginx saw every request.

{chr(10).join(rows)}

What the cluster costs:

- **per run: {per_run:.2f} s**. One URL takes {costs["start_remote_s"]:.2f} s with `--broker`
  (1 worker) against {costs["start_local_s"]:.2f} s locally, medians of 3: importing Celery,
  reaching Redis, asking the workers how many processes they run (a {meta["discovery_s"]:g} s
  broadcast) and one chunk's round trip.
- **per chunk, fixed: {per_chunk:.1f} ms**. {small} URLs through 1 worker as {small} one-URL
  chunks took {costs["many_chunks_s"]:.2f} s, as a single chunk {costs["one_chunk_s"]:.2f} s:
  publishing, Redis, the worker's event loop and connection pool, storing and collecting
  the results. Chunks are pipelined (two per worker process in flight). Checking a chunk of
  {meta["chunk_size"]:,} URLs took about {checking:.0f} ms here (at the local rate), so the
  fixed cost is {per_chunk / checking:.1%} of it; moving {meta["chunk_size"]:,} targets and
  results as JSON through Redis comes on top, and is in the walls above.

The fastest cluster run ({best.label}) took {best.wall_s / local:.2f} x the local wall time.
This machine has {cores} cores, shared by the client, Redis, nginx and every worker process,
and other work ran beside the benchmark. One local `urlcheck` keeps about a core busy,
checking and printing; with `--broker` the printing stays in the client and the checking
moves to the workers, which spreads one run over several processes. Past {cores} worker
processes there is nothing left to gain: these figures show what the cluster costs on one
machine, not how far it reaches. It pays off when the workers have cores, machines, of their
own and a run takes minutes: N workers then check up to N times as fast as one process, less
the costs above.
{END}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=100_000, help="URLs in the big list")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--small", type=int, default=500, help="URLs for the chunk cost")
    parser.add_argument("--no-write", action="store_true", help="print, write no file")
    parser.add_argument(
        "--from-json", type=Path, help="write the section from saved measurements, measure nothing"
    )
    args = parser.parse_args()
    if args.from_json:
        data = json.loads(args.from_json.read_text())
    else:
        for tool in (REDIS_SERVER, NGINX):
            if not shutil.which(tool):
                raise SystemExit(f"{tool} is missing (apt-get install redis-server nginx-light)")
        args.workers = [int(n) for n in args.workers.split(",")]
        with tempfile.TemporaryDirectory(prefix="urlcheck-distributed-") as tmp:
            runs, costs = measure(args, Path(tmp))
        from urlcheck.distributed.cluster import DISCOVERY_TIMEOUT

        data = {
            "meta": run_meta(
                rounds=args.rounds,
                chunk_size=args.chunk_size,
                discovery_s=DISCOVERY_TIMEOUT,
            ),
            "runs": [dataclasses.asdict(run) for run in runs],
            "costs": costs,
        }
    text = section(data)
    print(text)
    if not args.no_write:
        publish("distributed", data, text, START, END)


if __name__ == "__main__":
    main()
