"""The code stays ruff- and mypy-clean: part of the suite so CI and the README command check it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for p in ("urlcheck", "tests", "benchmarks") if (ROOT / p).is_dir()]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it comes with the test extra)")
    return found


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("ruff", ["check", *SOURCES]),
        ("ruff", ["format", "--check", *SOURCES]),
        ("mypy", []),  # strict, on the package: configured in pyproject.toml
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_is_clean(name: str, args: list[str]) -> None:
    proc = subprocess.run(
        [tool(name), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
