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
from urlcheck.record import record

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


@record
class _Three:
    a: int
    b: str = dataclasses.field(default="", repr=False)
    c: float = dataclasses.field(default=0.0, compare=False)


@dataclasses.dataclass(frozen=True)
class _ThreeAsDataclass:
    a: int
    b: str = dataclasses.field(default="", repr=False)
    c: float = dataclasses.field(default=0.0, compare=False)


@record
class _Hashed:
    a: int
    b: int = dataclasses.field(default=0, hash=False)


@dataclasses.dataclass(frozen=True)
class _HashedAsDataclass:
    a: int
    b: int = dataclasses.field(default=0, hash=False)


@record
class _One:
    a: int


@record
class _Empty:
    pass


def test_a_records_shared_methods_give_what_a_dataclasss_generated_ones_do() -> None:
    """Equality, hashing and repr are not generated per record, but mean the same: the
    compared fields, in order, of the same class; the shown fields in the repr."""
    pairs = [((1, "x", 0.5), (1, "x", 9.0)), ((1, "x", 0.5), (1, "y", 0.5)), ((1,), (2,))]
    for left, right in pairs:
        as_record = _Three(*left) == _Three(*right)
        assert as_record == (_ThreeAsDataclass(*left) == _ThreeAsDataclass(*right))
        if as_record:
            assert hash(_Three(*left)) == hash(_Three(*right))
    assert repr(_Three(1, "secret", 2.0)) == "_Three(a=1, c=2.0)"
    assert repr(_ThreeAsDataclass(1, "secret", 2.0)).endswith("_ThreeAsDataclass(a=1, c=2.0)")
    assert _One(1) == _One(1)
    assert _One(1) != _One(2)
    assert len({_One(1), _One(1), _One(2)}) == 2
    assert repr(_One(7)) == "_One(a=7)"
    assert _Empty() == _Empty()
    assert hash(_Empty()) == hash(_Empty())
    assert repr(_Empty()) == "_Empty()"
    assert _One(1) != _Three(1)  # another class is never equal, whatever its fields
    assert _One(1).__eq__(1) is NotImplemented
    # A field left out of the hash, not of equality: as a dataclass, hashed without it.
    assert hash(_Hashed(1, 2)) == hash(_Hashed(1, 3))
    assert _Hashed(1, 2) != _Hashed(1, 3)
    assert hash(_HashedAsDataclass(1, 2)) == hash(_HashedAsDataclass(1, 3))


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
