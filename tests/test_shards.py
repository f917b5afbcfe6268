"""A long list over worker processes (`urlcheck.shards`): the same results as one process,
every URL requested once, the limits kept as a whole, and a dead worker reported, not hidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from urlcheck import CheckOptions, CheckResult
from urlcheck.errors import ShardError
from urlcheck.shards import SHARD_MIN_LINES, check_urls_sharded, shard_count
from urlcheck.sources import open_sources

from .faults import run_urlcheck, urlcheck_command, urlcheck_env
from .servers import Served

COMPARED = ("url", "line", "ok", "status", "reason", "final_url", "redirects", "method")
COMPARED += ("attempts", "error_kind", "error", "file")


def a_mixed_list(server: Served, path: Path) -> Path:
    lines = []
    for i in range(300):
        for route in ("/ok", "/status/404", "/redirect/2", "/head405"):
            lines.append(server.url(f"{route}?n={i}"))
    lines += [server.url(f"/ok?n={i}") for i in range(0, 300, 3)]  # listed again, later
    lines += [server.url("/ok?n=1") + " status=200..299 max-ms=5000"]  # same URL, expectations
    lines += ["# a comment", "", "not a url", "ftp://example.org/", server.url("/ok") + " x=1"]
    lines.append(server.url("/auth").replace("://", "://user:s3cret@"))
    path.write_text("\n".join(lines) + "\n")
    return path


def run_json(*args: str) -> list[dict[str, Any]]:
    proc = run_urlcheck("--format", "json", "--retries", "0", *args)
    assert proc.returncode == 1, proc.stderr  # some URLs fail on purpose
    assert proc.stderr == ""
    return list(json.loads(proc.stdout))


@pytest.mark.parametrize("processes", ["2", "3"])
def test_workers_give_exactly_the_results_of_one_process(
    server: Served, tmp_path: Path, processes: str
) -> None:
    listing = a_mixed_list(server, tmp_path / "urls.txt")
    one = run_json("--processes", "1", "--per-host", "0", str(listing))
    requests_one = len(server.log)
    spread = run_json("--processes", processes, "--per-host", "0", str(listing))
    requests_spread = len(server.log) - requests_one

    assert len(spread) == len(one) == 1305
    assert max(Counter(r["line"] for r in spread).values()) == 1
    assert [{f: r[f] for f in COMPARED} for r in spread] == [
        {f: r[f] for f in COMPARED} for r in one
    ]
    assert "s3cret" not in json.dumps(spread)
    # A URL listed twice is requested once, though its lines went through several workers.
    assert requests_spread == requests_one


def test_the_per_host_limit_holds_for_the_run_as_a_whole(server: Served, tmp_path: Path) -> None:
    listing = tmp_path / "slow.txt"
    listing.write_text("".join(server.url(f"/slow?delay=0.2&n={n}") + "\n" for n in range(24)))
    proc = run_urlcheck("--processes", "2", "--per-host", "4", "--quiet", str(listing))
    assert proc.returncode == 0, proc.stderr
    assert server.state["peak"] == 4  # 2 workers x 2, never more


def test_a_url_listed_once_goes_to_the_worker_least_behind() -> None:
    """Routed by hash alone, a slower worker kept a backlog the run waited for at its end;
    only a URL that may come again must meet its hash's worker (which checks it once)."""
    from urlcheck.shards import _Workers

    once = {"http://a.test/1", "http://a.test/2"}
    pool = _Workers(CheckOptions(), 2, may_repeat=lambda target: target.url not in once)
    pool.unanswered[:] = [5, 2]
    assert pool._route(("http://a.test/1", "urls.txt", 1)) == (
        1,
        ("http://a.test/1", "urls.txt", 1, False),
    )
    pool.unanswered[:] = [0, 3]
    assert pool._route(("http://a.test/2", "urls.txt", 2))[0] == 0
    again = "http://a.test/again"
    for behind in ([9, 0], [0, 9]):
        pool.unanswered[:] = behind
        assert pool._route((again, "urls.txt", 3)) == (
            hash(again) % 2,
            (again, "urls.txt", 3, True),
        )


def test_how_many_workers() -> None:
    options = CheckOptions(concurrency=64, per_host=8)
    assert shard_count(SHARD_MIN_LINES - 1, options, 0) == 1
    assert 1 <= shard_count(SHARD_MIN_LINES, options, 0) <= 4
    assert shard_count(10, options, 3) == 3  # asked for: any list
    assert shard_count(10, CheckOptions(concurrency=64, per_host=2), 8) == 2
    assert shard_count(10, CheckOptions(concurrency=2, per_host=0), 8) == 2


def test_a_long_file_is_spread_without_asking(server: Served, tmp_path: Path) -> None:
    listing = tmp_path / "long.txt"
    listing.write_text("".join(server.url(f"/ok?n={n}") + "\n" for n in range(SHARD_MIN_LINES)))
    proc = run_urlcheck("--format", "jsonl", "--per-host", "0", str(listing), timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = sorted(json.loads(row)["line"] for row in proc.stdout.splitlines())
    assert lines == list(range(1, SHARD_MIN_LINES + 1))
    assert len(server.log) == SHARD_MIN_LINES


def _workers_of_this_process() -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(os.getpid()), "-f", "urlcheck.shards"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(pid) for pid in found.stdout.split()]


async def test_a_worker_that_dies_fails_the_run_with_one_clear_error(
    server: Served, tmp_path: Path
) -> None:
    listing = tmp_path / "slow.txt"
    listing.write_text("".join(server.url(f"/slow?delay=0.3&n={n}") + "\n" for n in range(40)))
    reader = open_sources([str(listing)])
    got: list[CheckResult] = []

    async def run_and_kill() -> None:
        options = CheckOptions(concurrency=4, per_host=0)
        async with contextlib.aclosing(check_urls_sharded(reader, options, shards=2)) as results:
            async for result in results:
                got.append(result)
                if len(got) == 1:
                    for pid in _workers_of_this_process():
                        os.kill(pid, signal.SIGKILL)

    with pytest.raises(ShardError, match="worker process"):
        await run_and_kill()
    reader.close()
    assert 1 <= len(got) < 40
    await asyncio.sleep(0.1)
    assert _workers_of_this_process() == []  # none left behind


async def test_closing_early_stops_the_workers(server: Served, tmp_path: Path) -> None:
    listing = tmp_path / "slow.txt"
    listing.write_text("".join(server.url(f"/slow?delay=5&n={n}") + "\n" for n in range(8)))
    reader = open_sources([str(listing)])
    results = check_urls_sharded(reader, CheckOptions(concurrency=8, per_host=0), shards=2)

    async def drain() -> None:
        async with asyncio.timeout(0.5), contextlib.aclosing(results):
            async for _ in results:
                pass

    with pytest.raises(TimeoutError):
        await drain()
    reader.close()
    assert _workers_of_this_process() == []


def _children(pid: int) -> list[int]:
    try:
        return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _command_line(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_the_commands_workers_are_forked_and_a_dead_one_fails_the_run(
    server: Served, tmp_path: Path
) -> None:
    """The command line's workers are forks of it (no second Python started, no imports
    again: they check at once), and one that dies still fails the run with one clear line."""
    listing = tmp_path / "slow.txt"
    listing.write_text("".join(server.url(f"/slow?delay=0.4&n={n}") + "\n" for n in range(60)))
    argv = [*urlcheck_command("--processes", "2", "--concurrency", "4", "--per-host", "0")]
    argv += ["--format", "jsonl", str(listing)]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=urlcheck_env()
    )
    try:
        deadline = time.monotonic() + 20
        while len(workers := _children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(workers) == 2
        assert all(_command_line(pid) == _command_line(proc.pid) for pid in workers)
        while len(server.log) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)  # the first checks are over, their results sent on
        time.sleep(0.2)
        os.kill(workers[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2
    assert err == "urlcheck: error: a worker process ended with status -9\n"
    assert 0 < len(out.splitlines()) < 60  # what the other worker checked is still printed
    assert not any(_alive(pid) for pid in workers)


def test_workers_forked_but_never_used_end_silently(tmp_path: Path) -> None:
    """Forked before the run starts, a worker waits for its options; if the run ends first
    (an error, Ctrl-C), the worker ends with it, printing nothing."""
    script = "from urlcheck.shards import prefork; print(*[w.pid for w in prefork(2) or []])"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == (2 if sys.platform.startswith("linux") else 0)
    assert done.stderr == ""
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(_alive(pid) for pid in pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_what_the_parent_made_is_frozen_before_the_workers_fork() -> None:
    """A worker's collector never walks the objects it shares with the parent (walking one
    writes to it, and the worker gets its own copy of the page): they are frozen first."""
    script = """if True:
        import gc, os
        from urlcheck.shards import prefork
        gc.unfreeze()
        frozen_at_fork = []
        fork = os.fork
        def counted_fork():
            frozen_at_fork.append(gc.get_freeze_count())
            return fork()
        os.fork = counted_fork
        workers = prefork(2)
        print(workers is not None, len(frozen_at_fork) == 2 and min(frozen_at_fork) > 0)
    """
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert (done.stdout, done.stderr) == ("True True\n", "")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_a_fork_that_cannot_be_finished_leaves_nothing_behind() -> None:
    """Out of files for the second worker's pipes: no workers (the run starts its own
    then), the first one forked ended and waited for, and no pipe left open."""
    script = """if True:
        import os, resource
        from urlcheck.shards import prefork
        fds = lambda: sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
        before = fds()
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        # The first worker's two pipes fit, and the second's first pipe; its second does not.
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(before) + 5, hard))
        workers = prefork(2)
        children = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read()
        print(workers, fds() == before, children == "")
    """
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert (done.stdout, done.stderr) == ("None True True\n", "")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers fork on Linux only")
def test_forks_the_run_never_took_are_ended_and_their_pipes_closed() -> None:
    script = """if True:
        import os
        from urlcheck.shards import prefork
        fds = lambda: sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
        before = fds()
        workers = prefork(2)
        assert workers is not None and fds() != before
        for worker in workers:
            worker.discard()
        children = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read()
        print(fds() == before, children == "", [w.returncode for w in workers])
    """
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stderr == ""
    fds_back, no_children, codes = done.stdout.split(" ", 2)
    assert (fds_back, no_children) == ("True", "True")
    assert codes.strip() in ("[0, 0]", "[-9, -9]", "[0, -9]", "[-9, 0]")  # ended either way


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended: only its parent's wait is missing


def test_no_fork_once_a_thread_runs() -> None:
    import threading

    from urlcheck.shards import prefork

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert prefork(2) is None  # a lock that thread held would stay held in the child
    finally:
        stop.set()
        thread.join()


def test_a_line_of_unicode_white_space_is_blank_there_too(server: Served, tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(server.url("/ok") + "\n\u00a0\u2003\n" + server.url("/status/404") + "\n")
    proc = run_urlcheck("--processes", "2", "--format", "jsonl", str(listing))
    assert (proc.returncode, proc.stderr) == (1, "")
    assert sorted(json.loads(row)["line"] for row in proc.stdout.splitlines()) == [1, 3]


def test_a_result_crosses_the_pipe_whole() -> None:
    import pickle

    from urlcheck import ErrorKind

    values = dict(zip(CheckResult.FIELDS, range(100), strict=False))
    values.update(url="http://h/", ok=False, error_kind=ErrorKind.STATUS, file="f.txt")
    result = CheckResult(**values)  # type: ignore[arg-type]
    assert pickle.loads(pickle.dumps(result)) == result


def test_a_frame_cut_short_or_garbled_is_an_eof_error() -> None:
    """What a worker sends is read whole or not at all: a stream cut mid-message, or one that
    something else wrote into, is an EOFError for the caller to report, never a pickle's."""
    import io

    from urlcheck.frames import LENGTH, frame, read_frame

    message = frame(["a", 1])
    assert read_frame(io.BytesIO(message)) == ["a", 1]
    assert read_frame(io.BytesIO(b"")) is None
    with pytest.raises(EOFError, match="cut short"):
        read_frame(io.BytesIO(message[:-1]))
    garbled = LENGTH.pack(5) + b"\x00oops"
    with pytest.raises(EOFError, match="garbled"):
        read_frame(io.BytesIO(garbled))


async def test_a_garbled_answer_from_a_shard_is_a_shard_error() -> None:
    from urlcheck.frames import LENGTH, frame
    from urlcheck.shards import _receive

    stream = asyncio.StreamReader()
    stream.feed_data(frame({"n": 1}) + LENGTH.pack(5) + b"\x00oops")
    stream.feed_eof()
    assert await _receive(stream) == {"n": 1}
    with pytest.raises(ShardError, match="cannot be read: a message was garbled"):
        await _receive(stream)
