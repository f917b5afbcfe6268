"""The monitor's state per URL line: the pure decision, its thresholds, and the one
transaction per run that records transitions and incidents in a real SQLite file."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from urlcheck.durations import human_duration, iso_utc
from urlcheck.inputs import read_targets, to_target
from urlcheck.models import CheckResult, ErrorKind
from urlcheck.monitor import (
    LineState,
    Monitor,
    Observation,
    State,
    Thresholds,
    Transition,
    decide,
)
from urlcheck.urls import line_id

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
URL = "https://example.test/health"


def failed(url: str = URL, file: str = "urls.txt") -> Observation:
    return Observation(
        url=url, file=file, ok=False, display=url, error_kind="status", status=503,
        error="status 503 is not accepted",
    )  # fmt: skip


def good(url: str = URL, file: str = "urls.txt") -> Observation:
    return Observation(url=url, file=file, ok=True, display=url)


# --- the pure decision -------------------------------------------------------------------


def test_a_new_line_starts_up_and_one_failure_keeps_it_up() -> None:
    thresholds = Thresholds(down_after=2)
    state, transition = decide(None, True, T0, thresholds)
    assert state == LineState(State.UP, T0, fails=0, oks=1)
    assert transition is None
    state, transition = decide(None, False, T0, thresholds)
    assert (state.state, state.fails, state.fail_since, transition) == (State.UP, 1, T0, None)


def test_down_after_n_failures_in_a_row_dated_from_the_first() -> None:
    thresholds = Thresholds(down_after=3)
    state, _ = decide(None, False, T0, thresholds)
    state, transition = decide(state, False, T0 + 60, thresholds)
    assert transition is None
    state, transition = decide(state, False, T0 + 120, thresholds)
    assert transition == Transition(State.DOWN, T0 + 120, T0, 3)
    assert (state.state, state.since) == (State.DOWN, T0)
    state, transition = decide(state, False, T0 + 180, thresholds)
    assert transition is None  # once
    assert state.fails == 4


def test_a_good_run_breaks_the_streak() -> None:
    thresholds = Thresholds(down_after=2)
    state, _ = decide(None, False, T0, thresholds)
    state, _ = decide(state, True, T0 + 60, thresholds)
    state, transition = decide(state, False, T0 + 120, thresholds)
    assert transition is None
    assert (state.state, state.fail_since) == (State.UP, T0 + 120)


def test_up_after_n_good_runs_in_a_row() -> None:
    thresholds = Thresholds(down_after=1, up_after=2)
    state, transition = decide(None, False, T0, thresholds)
    assert transition == Transition(State.DOWN, T0, T0, 1)
    state, transition = decide(state, True, T0 + 60, thresholds)
    assert (state.state, transition) == (State.DOWN, None)
    state, transition = decide(state, False, T0 + 120, thresholds)  # the good streak restarts
    state, transition = decide(state, True, T0 + 180, thresholds)
    assert (state.state, transition) == (State.DOWN, None)
    state, transition = decide(state, True, T0 + 240, thresholds)
    assert transition == Transition(State.UP, T0 + 240, T0, 2)
    assert (state.state, state.since, state.fails) == (State.UP, T0 + 240, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"down_after": 0}, "down_after"),
        ({"down_after": -1}, "down_after"),
        ({"up_after": 0}, "up_after"),
        ({"remind_s": 0}, "remind_s"),
        ({"remind_s": -5.0}, "remind_s"),
    ],
)
def test_thresholds_refuse_nonsense(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Thresholds(**kwargs)  # type: ignore[arg-type]


# --- keys ---------------------------------------------------------------------------------


def test_the_key_is_the_absolute_file_and_the_unmasked_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    key = line_id("urls.txt", "https://u:one@example.test/")
    assert key == line_id(str(tmp_path / "urls.txt"), "https://u:one@example.test/")
    expected = f"{tmp_path / 'urls.txt'}\0https://u:one@example.test/"
    assert key == hashlib.sha256(expected.encode()).hexdigest()[:16]
    assert key != line_id("urls.txt", "https://u:two@example.test/")  # passwords tell apart
    assert key != line_id("other.txt", "https://u:one@example.test/")
    assert line_id("-", URL) != line_id("urls.txt", URL)


def test_an_observation_from_a_result() -> None:
    target = to_target("https://u:pa55@example.test/", source="urls.txt", line=3)
    result = CheckResult(
        url=target.display, line=3, ok=False, status=None, error_kind=ErrorKind.TIMEOUT,
        error="no complete answer within 10 s", file="urls.txt",
        id=line_id("urls.txt", target.url),
    )  # fmt: skip
    seen = Observation.of(result)
    assert seen.key == line_id("urls.txt", "https://u:pa55@example.test/")
    assert seen.display == "https://u:***@example.test/"
    assert (seen.error_kind, seen.failure) == ("timeout", "timeout: no complete answer within 10 s")
    assert "pa55" not in repr(seen)


# --- the database -------------------------------------------------------------------------


def test_one_failure_keeps_it_up_two_turn_it_down_once(tmp_path: Path) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=2)) as monitor:
        first = monitor.apply_run([failed()], now=T0)
        assert (first.changes, first.down) == ([], 0)
        second = monitor.apply_run([failed()], now=T0 + 300)
        assert [(c.state, c.at, c.since, c.runs) for c in second.changes] == [
            (State.DOWN, T0 + 300, T0, 2)
        ]
        change = second.changes[0]
        assert change.failure == "status (HTTP 503): status 503 is not accepted"
        assert (change.url, change.id) == (URL, line_id("urls.txt", URL))
        assert second.down == 1
        third = monitor.apply_run([failed()], now=T0 + 600)
        assert third.changes == []
        status = monitor.states()[(URL, os.path.abspath("urls.txt"))]
        assert (status.state, status.since, status.fails) == (State.DOWN, T0, 3)
        assert monitor.status(change.id) == status
        assert monitor.status("0" * 12) is None
        assert monitor.status("not-an-id") is None


def test_incident_from_first_failure_to_recovery(tmp_path: Path) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=2)) as monitor:
        monitor.apply_run([good()], now=T0 - 300)
        monitor.apply_run([failed()], now=T0)
        monitor.apply_run([failed()], now=T0 + 300)
        [ongoing] = monitor.incidents(T0 - 3600, now=T0 + 400)
        assert ongoing.to_dict() == {
            "id": line_id("urls.txt", URL), "url": URL, "file": os.path.abspath("urls.txt"),
            "start": T0, "end": None, "duration_s": 400.0, "error_kind": "status",
            "status": 503, "error": "status 503 is not accepted",
        }  # fmt: skip
        up = monitor.apply_run([good()], now=T0 + 900)
        assert [(c.state, c.since, c.runs) for c in up.changes] == [(State.UP, T0, 1)]
        [ended] = monitor.incidents(T0 - 3600)
        assert (ended.start, ended.end, ended.duration_s) == (T0, T0 + 900, 900.0)
        assert monitor.incidents(T0 + 901) == []  # ended before the period asked for
        status = monitor.states()[(URL, os.path.abspath("urls.txt"))]
        assert (status.state, status.since) == (State.UP, T0 + 900)


def test_incidents_newest_first(tmp_path: Path) -> None:
    other = "https://other.test/"
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        monitor.apply_run([failed(), good(other)], now=T0)
        monitor.apply_run([good(), failed(other)], now=T0 + 60)
        monitor.apply_run([failed(), failed(other)], now=T0 + 120)
        found = [(i.url, i.start, i.end) for i in monitor.incidents(0, now=T0 + 200)]
    assert found == [(URL, T0 + 120, None), (other, T0 + 60, None), (URL, T0, T0 + 60)]


def test_moving_lines_keeps_their_state(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"

    def run(text: str, now: float) -> list[tuple[str, State]]:
        urls.write_text(text)
        targets = list(read_targets(text.splitlines(), source=str(urls)))
        results = [CheckResult(url=t.display, line=t.line, ok=False, file=t.source,
                               error_kind=ErrorKind.REFUSED, id=line_id(t.source, t.url))
                   for t in targets]  # fmt: skip
        outcome = monitor.apply_run(map(Observation.of, results), now=now)
        return [(c.url, c.state) for c in outcome.changes]

    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=2)) as monitor:
        assert run(f"{URL}\nhttps://b.test/\n", T0) == []
        # Lines moved and one inserted: the two old lines go on with their failure streaks.
        text = f"# moved\nhttps://new.test/\nhttps://b.test/\n\n{URL}\n"
        assert sorted(run(text, T0 + 60)) == [("https://b.test/", State.DOWN), (URL, State.DOWN)]


def test_a_url_listed_twice_counts_once_and_fails_if_either_fails(tmp_path: Path) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        outcome = monitor.apply_run([good(), failed()], now=T0)
        assert [c.state for c in outcome.changes] == [State.DOWN]
        assert len(monitor.states()) == 1


def test_an_older_result_does_not_undo_a_newer_decision(tmp_path: Path) -> None:
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        monitor.apply_run([failed()], now=T0 + 60)  # a run that checked later came first
        late = monitor.apply_run([good()], now=T0)
        assert (late.changes, late.stale, late.down) == ([], 1, 1)
        assert monitor.states()[(URL, os.path.abspath("urls.txt"))].state is State.DOWN


def test_each_run_records_its_transitions(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with Monitor(path, thresholds=Thresholds(down_after=1)) as monitor:
        monitor.apply_run([failed()], now=T0, run_id=7)
        monitor.apply_run([good()], now=T0 + 60, run_id=8)
        monitor.apply_run([good()], now=T0 + 120, run_id=9)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT run_id, at, state FROM monitor_transitions ORDER BY id")
        assert rows.fetchall() == [(7, T0, "down"), (8, T0 + 60, "up")]
        # No secret is stored: the key is a hash and the URL masked.
        assert db.execute("SELECT count(*) FROM monitor_lines WHERE key = ?",
                          (line_id("urls.txt", URL),)).fetchone() == (1,)  # fmt: skip


def test_a_password_is_neither_stored_nor_in_the_error(tmp_path: Path) -> None:
    secret_url = "https://user:hunter2@example.test/"
    seen = Observation(
        url=secret_url, file="urls.txt", ok=False, display="https://user:***@example.test/",
        error_kind="other", error="auth for user:hunter2 refused",
    )  # fmt: skip
    path = tmp_path / "h.db"
    with Monitor(path, thresholds=Thresholds(down_after=1)) as monitor:
        [change] = monitor.apply_run([seen], now=T0).changes
        assert change.failure == "other: auth for user:*** refused"
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    assert "hunter2" not in dump
    assert "https://user:***@example.test/" in dump


def test_prune_keeps_state_and_ongoing_incidents(tmp_path: Path) -> None:
    other = "https://other.test/"
    with Monitor(tmp_path / "h.db", thresholds=Thresholds(down_after=1)) as monitor:
        monitor.apply_run([failed(), failed(other)], now=T0)
        monitor.apply_run([good(), failed(other)], now=T0 + 60)
        monitor.prune(3600, now=T0 + 7200)
        assert [i.url for i in monitor.incidents(0)] == [other]  # the ended one is gone
        assert len(monitor.states()) == 2


def test_durations_and_times_in_messages() -> None:
    assert iso_utc(T0) == "2023-11-14T22:13:20Z"
    assert [human_duration(s) for s in (0, 45, 303, 7800, 3 * 86400 + 4 * 3600 + 5)] == [
        "0s", "45s", "5m 3s", "2h 10m", "3d 4h",
    ]  # fmt: skip
