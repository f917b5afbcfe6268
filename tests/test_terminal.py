"""What a real terminal shows: the table in tmux at 80 and 200 columns, read back with
capture-pane. The times line up on the right and their bars start in one column, whatever
the figures' widths; the summary counts in the singular for one URL."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .faults import urlcheck_command
from .servers import Served

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
DONE = "__urlcheck_done__"
TIME_CELL = re.compile(r"(\d[\d,]*) ms(?= )")
BAR = re.compile("[█▏▎▍▌▋▊▉]")


def in_tmux(tmp_path: Path, args: list[str], width: int, height: int = 60) -> list[str]:
    """Run urlcheck in a detached tmux pane `width` columns wide; the lines it shows."""
    assert TMUX is not None
    sock = str(tmp_path / f"tmux-{width}.sock")
    command = " ".join(shlex.quote(part) for part in urlcheck_command(*args))
    script = f"{command}; echo {DONE}; sleep 60"
    base = [TMUX, "-S", sock, "-f", "/dev/null"]
    subprocess.run(
        [*base, "new-session", "-d", "-x", str(width), "-y", str(height), "sh", "-c", script],
        check=True,
        env={"TERM": "xterm-256color", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            shown = subprocess.run(
                [*base, "capture-pane", "-p", "-J"], capture_output=True, text=True, check=True
            ).stdout
            if DONE in shown or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        subprocess.run([*base, "kill-server"], check=False, capture_output=True)
    assert DONE in shown, shown
    return shown.splitlines()


def time_columns(lines: list[str]) -> tuple[set[int], set[int]]:
    """Where each row's time ends, and where the text after it (its bar) starts."""
    ends, bars = set(), set()
    for line in lines:
        match = TIME_CELL.search(line)
        if match and "slowest" not in line:
            ends.add(match.end())
            bar = BAR.search(line, match.end())
            if bar is not None:  # the fastest rows have no bar to speak of
                bars.add(bar.start())
    return ends, bars


@pytest.mark.parametrize("width", [80, 200])
def test_times_line_up_and_bars_start_in_one_column(
    server: Served, tmp_path: Path, width: int
) -> None:
    listing = tmp_path / "urls.txt"
    delays = (0, 0.05, 0.3, 1.05)  # times of 1, 2, 3 and 4 digits (1,0xx ms)
    listing.write_text(
        "\n".join(
            [server.url(f"/slow?delay={d}") for d in delays]
            + [server.url("/status/404"), server.url("/redirect/2")]
        )
        + "\n"
    )
    lines = in_tmux(tmp_path, ["--retries", "0", "--all", str(listing)], width)
    ends, bars = time_columns(lines)
    rows = sum(1 for line in lines if TIME_CELL.search(line) and "slowest" not in line)
    assert rows == 6, "\n".join(lines)
    assert len(ends) == 1, "the times end in one column\n" + "\n".join(lines)
    assert len(bars) == 1, "the bars start in one column\n" + "\n".join(lines)
    assert max(ends) < min(bars), "each bar comes after its time"
    assert all(len(line) <= width for line in lines)
    summary = next(line for line in lines if " URLs in " in line)
    assert "5 ok · 1 failed · 6 URLs in" in summary


def test_one_url_is_counted_in_the_singular(server: Served, tmp_path: Path) -> None:
    listing = tmp_path / "one.txt"
    listing.write_text(server.url("/ok") + "\n")
    lines = in_tmux(tmp_path, ["--retries", "0", str(listing)], 80)
    assert any("1 ok · 0 failed · 1 URL in " in line for line in lines), "\n".join(lines)
