"""Whole-process measurement: wall time, peak RSS via `wait4`, peak PSS of the process tree.

PSS (proportional set size) counts a page shared by N processes as 1/N in each, so the PSS of
all the processes of a run, summed, is the memory that run really takes, shared pages counted
once. It is read from ``/proc/<pid>/smaps_rollup`` by a sampling thread while the run goes on;
the peak is the largest sum seen.

Peak RSS comes from the kernel's rusage of the waited-for process. Linux keeps that high-water
mark across exec, and a child spawned by Python (vfork or fork) starts out with its parent's
RSS: a 50 MB harness would make every contender look at least 50 MB big. So each command is
started by GNU time (``/usr/bin/time``, a C program of ~1 MB), which forks, execs and `wait4`s
the contender and writes its ``ru_maxrss``; without /usr/bin/time the harness's own `os.wait4`
is used and the figure is only an upper bound.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIME = "/usr/bin/time"
SAMPLE_INTERVAL_S = 0.025
"""Between two PSS samples: short enough for a 1-second run, cheap enough not to compete."""
DEFAULT_RUN_TIMEOUT_S = 900.0


@dataclass
class Measurement:
    """One run of one command."""

    wall_s: float
    maxrss_kb: int
    """Peak RSS in KiB from `wait4` (by /usr/bin/time when present; see the module's doc)."""
    peak_pss_kb: int
    """Largest sum of PSS over the process tree among the samples."""
    samples: int
    exit_code: int
    cpu_s: float = 0.0
    """User + system CPU time of the command and its waited-for children."""
    timed_out: bool = False
    requests: int | None = None
    """Requests the target server saw during the run, when the caller counted them."""
    note: str = ""

    @property
    def ok(self) -> bool:
        """The run finished in time with exit code 0."""
        return self.exit_code == 0 and not self.timed_out


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or parentheses.
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 else None


def _cmdline(pid: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return None


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, found by scanning /proc (children files are optional)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            pid = int(entry.name)
            parent = _ppid(pid)
            if parent is not None:
                children.setdefault(parent, []).append(pid)
    tree = [root]
    index = 0
    while index < len(tree):
        tree.extend(children.get(tree[index], ()))
        index += 1
    return tree


def pss_kb(pid: int) -> int:
    """The PSS of one process in KiB, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_kb(root: int) -> int:
    """PSS summed over `root` and its descendants, in KiB."""
    return sum(pss_kb(pid) for pid in process_tree(root))


@dataclass
class PssSampler:
    """Samples the PSS of a process tree in a thread until stopped; keeps the peak."""

    root: int
    interval: float = SAMPLE_INTERVAL_S
    skip_root: bool = False
    """Count only the descendants (the root is a launcher such as /usr/bin/time)."""
    peak_kb: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> PssSampler:
        """Take the first sample now and the rest in the background."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        # Until the child has exec'd it is a copy of this harness: not the contender's memory.
        own = _cmdline(os.getpid())
        while not self._stop.is_set() and _cmdline(self.root) == own:
            self._stop.wait(0.001)
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> int:
        """One sample; returns it."""
        pids = process_tree(self.root)
        value = sum(pss_kb(pid) for pid in (pids[1:] if self.skip_root else pids))
        if value:
            self.samples += 1
            self.peak_kb = max(self.peak_kb, value)
        return value

    def stop(self) -> int:
        """Stop sampling and return the peak in KiB."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.peak_kb


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def measure(
    cmd: Sequence[str],
    *,
    stdout: Path,
    stderr: Path,
    cwd: Path,
    env: dict[str, str],
    timeout: float = DEFAULT_RUN_TIMEOUT_S,
) -> Measurement:
    """Run `cmd` to its end and measure it as a whole: spawn to exit, memory sampled meanwhile."""
    launcher = Path(TIME).exists()
    rusage_file = stderr.with_suffix(".rusage")
    argv = (
        [TIME, "-f", "%M %U %S %x", "-o", str(rusage_file), "--", *cmd] if launcher else list(cmd)
    )
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group, so a timeout can end all of it
        )
        sampler = PssSampler(proc.pid, skip_root=launcher).start()
        timer = threading.Timer(timeout, _kill_group, args=(proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            wall = time.perf_counter() - started
            timer.cancel()
            peak = sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    timed_out = wall >= timeout
    if not timed_out:  # stray grandchildren never outlive a measurement
        _kill_group(proc.pid)
    maxrss_kb = int(usage.ru_maxrss)
    cpu_s = usage.ru_utime + usage.ru_stime
    if launcher:
        # "<maxrss> <user> <sys> <exit>" last, after "Command exited with non-zero status N".
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = rusage_file.read_text().split()[-4:]
            maxrss_kb = int(fields[0])
            cpu_s = float(fields[1]) + float(fields[2])
    return Measurement(
        wall_s=wall,
        maxrss_kb=maxrss_kb,
        cpu_s=cpu_s,
        peak_pss_kb=peak,
        samples=sampler.samples,
        exit_code=proc.returncode,
        timed_out=timed_out,
    )


def median(values: Iterable[float]) -> float | None:
    """The median, or None for no values."""
    data = list(values)
    return statistics.median(data) if data else None


def median_of(runs: Iterable[dict[str, Any]], key: str) -> float:
    """The median of one figure over a contender's runs (the JSON the scripts keep)."""
    return statistics.median(run[key] for run in runs)


def interleaved(names: Sequence[str], round_number: int) -> list[str]:
    """The contenders' order in one round: rotated every round, so no one always goes first."""
    if not names:
        return []
    shift = round_number % len(names)
    return list(names[shift:]) + list(names[:shift])


def run_meta(**more: Any) -> dict[str, Any]:
    """When and where a benchmark ran, for its JSON and its section (and `more` of its own)."""
    return {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
        **more,
    }


def publish(name: str, data: dict[str, Any], text: str, start: str, end: str) -> None:
    """A benchmark's figures to benchmarks/NAME.json, its section to benchmarks/NAME.md and
    into BENCHMARKS.md between its markers."""
    here = Path(__file__).resolve().parent
    (here / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    (here / f"{name}.md").write_text(text, encoding="utf-8")
    write_section(text, here.parent / "BENCHMARKS.md", start, end)


def write_section(text: str, path: Path, start: str, end: str) -> None:
    """Put `text` (which begins with `start` and ends with `end`, a section another script
    owns) into `path` between those markers, leaving the rest alone; at the end if absent."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in current and end in current:
        head, _, rest = current.partition(start)
        _, _, tail = rest.partition(end)
        new = head + text.rstrip("\n") + tail
    else:
        new = (current.rstrip("\n") + "\n\n" if current else "") + text
    path.write_text(new, encoding="utf-8")
