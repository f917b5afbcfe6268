"""`record`: the per-URL values are frozen to mypy and plain slotted dataclasses at run time,
with a frozen dataclass's equality, hashing and `dataclasses.replace`; and `collector.tune`
sets the youngest generation's threshold, nothing else."""

from __future__ import annotations

import dataclasses
import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from yarl import URL

from urlcheck import collector
from urlcheck.models import CheckResult, Target

ROOT = Path(__file__).resolve().parent.parent


def test_a_record_compares_and_hashes_as_a_frozen_dataclass() -> None:
    one = CheckResult(url="https://a.test/", line=3, ok=True, status=200, file="urls.txt")
    same = CheckResult(url="https://a.test/", line=3, ok=True, status=200, file="urls.txt")
    other = dataclasses.replace(one, status=404, ok=False)
    assert one == same
    assert hash(one) == hash(same)
    assert other != one
    assert (other.status, other.ok, other.line) == (404, False, 3)
    assert len({one, same, other}) == 2
    assert not hasattr(one, "__dict__")  # slotted: no per-instance dict
    # A field left out of comparison stays out of the hash too, as in a frozen dataclass.
    a = Target(url="https://a.test/", display="https://a.test/")
    b = a.with_parsed(URL("https://a.test/"))
    assert b.parsed is not None
    assert a.parsed is None
    assert a == b
    assert hash(a) == hash(b)
    assert dataclasses.replace(a, column=3) != a  # a compared field is compared


def test_mypy_rejects_an_assignment_to_a_record(tmp_path: Path) -> None:
    mypy = pytest.importorskip("mypy.api")
    snippet = tmp_path / "assigns.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from urlcheck.models import CheckResult

            result = CheckResult(url="https://a.test/", line=1, ok=True)
            result.ok = False
            """
        )
    )
    out, _, status = mypy.run(
        ["--strict", "--no-incremental", "--cache-dir=/dev/null", str(snippet)]
    )
    assert status == 1, out
    assert 'Property "ok" defined in "CheckResult" is read-only' in out


def test_tune_sets_the_youngest_generation_only() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 7, 9)
        collector.tune()
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 7, 9)
    finally:
        gc.set_threshold(*before)


def test_importing_urlcheck_leaves_the_collector_alone() -> None:
    def youngest(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        return done.stdout.strip()

    default = youngest("import gc; print(gc.get_threshold()[0])")
    imported = "import gc, urlcheck.cli, urlcheck.checker; print(gc.get_threshold()[0])"
    assert youngest(imported) == default  # Python's own, whatever this Python's is
