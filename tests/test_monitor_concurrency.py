"""Two cron runs at once on one database, as separate processes: each transition is
decided once, each message queued once and delivered once."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from urlcheck.monitor import CLAIM_LEASE_S, Monitor, Observation, Thresholds, load_targets

from .notify_servers import Receiver, serve_receiver

LINES = 20
T0 = 1_700_000_000.0

RUN = textwrap.dedent(
    """
    import json, sys, time
    from urlcheck.monitor import Monitor, Observation, Thresholds, load_targets
    path, notify = sys.argv[1], sys.argv[2]
    start, now, lines = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    targets = load_targets([notify])
    seen = [Observation(url=f"https://s{n}.test/", file="urls.txt", ok=False,
                        display=f"https://s{n}.test/", error_kind="refused") for n in range(lines)]
    with Monitor(path, thresholds=Thresholds(down_after=2)) as monitor:
        while time.time() < start:
            time.sleep(0.001)
        outcome = monitor.apply_run(seen, now=now, targets=targets)
        report = monitor.deliver(targets)
    print(json.dumps({"changes": len(outcome.changes), "sent": report.sent,
                      "failures": report.failures}))
    """
)


def observations(ok: bool) -> list[Observation]:
    urls = [f"https://s{n}.test/" for n in range(LINES)]
    return [Observation(url=url, file="urls.txt", ok=ok, display=url) for url in urls]


def overlapping_runs(path: Path, receiver: Receiver, now: float) -> list[dict[str, Any]]:
    start = time.time() + 1.5  # both processes are up and waiting by then
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                RUN,
                str(path),
                receiver.url(),
                str(start),
                str(now),
                str(LINES),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    return [json.loads(output) for output in outputs]


def test_two_overlapping_runs_make_each_transition_and_message_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with serve_receiver() as receiver:
        # Every line has failed once: the next failed run turns each down. Both runs are
        # that next run, at the same moment; only one of them may say so.
        with Monitor(path, thresholds=Thresholds(down_after=2)) as monitor:
            monitor.apply_run(observations(ok=True), now=T0 - 60)
            assert monitor.apply_run(observations(ok=False), now=T0 - 30).changes == []
        # While one run's send is in flight, the other one looks at the queue.
        receiver.delay_s = 0.05
        results = overlapping_runs(path, receiver, T0)
    assert sorted(r["changes"] for r in results) == [0, LINES]
    assert sum(r["sent"] for r in results) == LINES
    assert [r["failures"] for r in results] == [[], []]
    assert sorted(receiver.titles) == sorted(f"DOWN https://s{n}.test/" for n in range(LINES))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM monitor_transitions").fetchone() == (LINES,)
        assert db.execute("SELECT count(*) FROM monitor_incidents").fetchone() == (LINES,)
        assert db.execute("SELECT count(*), sum(attempts) FROM monitor_deliveries").fetchone() == (
            LINES,
            LINES,
        )


def test_a_lapsed_claim_is_sent_again_by_a_later_run(tmp_path: Path) -> None:
    # The one case that can send twice: a run claimed a message and died before it could
    # mark it sent (it may or may not have reached the target).
    path = tmp_path / "h.db"
    with (
        serve_receiver() as receiver,
        Monitor(path, thresholds=Thresholds(down_after=1)) as monitor,
    ):
        targets = load_targets([receiver.url()])
        monitor.apply_run([observations(ok=False)[0]], now=T0, targets=targets)
        with sqlite3.connect(path) as db:
            db.execute(
                "UPDATE monitor_deliveries SET state = 'sending', claimed_by = 'dead',"
                " claimed_at = ?",
                (T0,),
            )
        assert monitor.deliver(targets, now=T0 + CLAIM_LEASE_S - 1).sent == 0  # still its own
        report = monitor.deliver(targets, now=T0 + CLAIM_LEASE_S + 1)
        assert (report.sent, receiver.titles) == (1, ["DOWN https://s0.test/"])
