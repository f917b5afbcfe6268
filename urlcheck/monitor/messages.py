"""What a notification says: one message per transition, and the reminders while down."""

from __future__ import annotations

from dataclasses import dataclass

from ..durations import human_duration, iso_utc

FAILURE = "failure"
SUCCESS = "success"
WARNING = "warning"
"""Apprise's notification types (``apprise.NotifyType`` values), kept here as plain strings
so that queueing a message never imports Apprise."""


@dataclass(frozen=True, slots=True)
class Message:
    """One notification about one URL line, as queued in the outbox."""

    kind: str
    """``down``, ``up`` or ``reminder``."""
    notify_type: str
    title: str
    body: str


def _runs(count: int, word: str) -> str:
    return f"{count} {word} run{'' if count == 1 else 's'} in a row"


def failure_detail(error_kind: str | None, status: int | None, error: str | None) -> str:
    """A failure in one line: kind, HTTP status and message, as far as they are known."""
    detail = error_kind or "failed"
    if status is not None:
        detail += f" (HTTP {status})"
    if error:
        detail += f": {error}"
    return detail


def down_message(url: str, file: str, *, since: float, runs: int, failure: str) -> Message:
    """The message for a URL line that turned down after `runs` failed runs since `since`."""
    body = (
        f"{url} is down since {iso_utc(since)}, after {_runs(runs, 'failed')}.\n"
        f"error: {failure}\n"
        f"file: {file}"
    )
    return Message("down", FAILURE, f"DOWN {url}", body)


def up_message(url: str, file: str, *, down_since: float, at: float, runs: int) -> Message:
    """The message for a URL line that turned up at `at`, down since `down_since`."""
    body = (
        f"{url} is up again after {human_duration(at - down_since)} down"
        f" (since {iso_utc(down_since)}), {_runs(runs, 'good')}.\n"
        f"file: {file}"
    )
    return Message("up", SUCCESS, f"UP {url}", body)


def reminder_message(
    url: str, file: str, *, down_since: float, at: float, runs: int, failure: str
) -> Message:
    """The reminder for a URL line still down at `at`."""
    body = (
        f"{url} is still down, for {human_duration(at - down_since)}"
        f" (since {iso_utc(down_since)}), {_runs(runs, 'failed')}.\n"
        f"latest error: {failure}\n"
        f"file: {file}"
    )
    return Message("reminder", WARNING, f"STILL DOWN {url}", body)
