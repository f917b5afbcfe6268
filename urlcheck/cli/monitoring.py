"""The command line's side of monitoring from cron: its options checked before anything is,
the ``--connectivity`` URL checked first, a run's results turned into state and alerts once
the run completed, ``--changes`` printed in place of the results, the ``--heartbeat`` pinged.

The state and the alerts are the monitor's (`urlcheck.monitor`); Apprise is imported only
when ``--notify`` is given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

import click

from ..loops import chosen_policy
from ..models import CheckResult
from ..options import CheckOptions, HistoryOptions, MonitorOptions
from ..urls import mask_url
from .params import UsageFailure

if TYPE_CHECKING:
    from ..monitor import Change, NotifyTarget, Observation, RunOutcome, Thresholds


class ConnectivityFailure(click.ClickException):
    """``--connectivity`` failed: this machine's network, not the sites; exit 3."""

    exit_code = 3

    def show(self, file: IO[str] | None = None) -> None:
        click.echo(f"urlcheck: error: {self.format_message()}", err=True, file=file)


@dataclass
class Monitoring:
    """A run's monitoring with ``--db``: the thresholds, the notify targets, and the
    observations the run gathers for the state."""

    db_path: str
    thresholds: Thresholds
    targets: list[NotifyTarget]
    changes: bool
    observations: list[Observation] = field(default_factory=list)

    def observe(self, result: CheckResult) -> None:
        """Keep what the state needs of one result."""
        from ..monitor import Observation

        self.observations.append(Observation.of(result))

    def apply(self, started_at: float, run_id: int | None) -> RunOutcome | None:
        """Decide the run's transitions, queue and deliver their alerts; None if the state
        could not be written (one line on stderr says why)."""
        from ..errors import HistoryError
        from ..monitor import Monitor

        try:
            with Monitor(self.db_path, thresholds=self.thresholds) as monitor:
                outcome = monitor.apply_run(
                    self.observations, now=started_at, run_id=run_id, targets=self.targets
                )
                report = monitor.deliver(self.targets) if self.targets else None
        except HistoryError as exc:
            click.echo(f"urlcheck: error: {exc}", err=True)
            return None
        for line in report.failures if report is not None else ():
            click.echo(f"urlcheck: error: {line}", err=True)
        return outcome


def prepare(monitor: MonitorOptions, history: HistoryOptions, fmt: str) -> Monitoring | None:
    """Check the monitoring options before anything is checked; the run's `Monitoring`
    with ``--db``, else None. Exit 2 with one line for options that cannot work."""
    needing = monitor.needs_db()
    if needing and history.db_path is None:
        names = ", ".join(needing)
        raise UsageFailure(f"{names} keep{'s' if len(needing) == 1 else ''} state: it needs --db")
    if monitor.remind is not None and not (monitor.notify or monitor.changes):
        raise UsageFailure("--remind reminds through --notify (or prints with --changes)")
    if monitor.changes and fmt not in CHANGES_FORMATS:
        raise UsageFailure(f"--changes prints as {', '.join(CHANGES_FORMATS)}, not {fmt}")
    if history.db_path is None:
        return None
    from ..monitor import DEFAULT_DOWN_AFTER, DEFAULT_UP_AFTER, Thresholds

    targets: list[NotifyTarget] = []
    if monitor.notify:
        from ..errors import NotifyError
        from ..monitor import load_targets

        try:
            targets = load_targets(monitor.notify)
        except NotifyError as exc:
            raise UsageFailure(f"--notify: {exc}") from None
    thresholds = Thresholds(
        down_after=monitor.down_after or DEFAULT_DOWN_AFTER,
        up_after=monitor.up_after or DEFAULT_UP_AFTER,
        remind_s=monitor.remind,
    )
    return Monitoring(history.db_path, thresholds, targets, monitor.changes)


def check_connectivity(url: str, options: CheckOptions) -> None:
    """Check `url` first; ConnectivityFailure (exit 3) when it fails: nothing else is
    checked, no state changes, no alert goes out."""
    result = check_one(url, options)
    if not result.ok:
        raise ConnectivityFailure(
            f"--connectivity {mask_url(url)} failed ({result.error_kind}: {result.error}); "
            "nothing was checked: the problem is this machine's network, not the sites"
        )


def ping_heartbeat(url: str, options: CheckOptions) -> None:
    """One GET to `url` after a run that completed its checks; a failure is one line on
    stderr and changes nothing else."""
    ping = dataclasses.replace(options, method="get", retries=0, max_ms=None, cert_days=None)
    result = check_one(url, ping)
    if not result.ok:
        click.echo(
            f"urlcheck: warning: --heartbeat {mask_url(url)} failed "
            f"({result.error_kind}: {result.error})",
            err=True,
        )


def check_one(url: str, options: CheckOptions) -> CheckResult:
    """One URL checked on its own loop (the ``--connectivity`` and ``--heartbeat`` URLs)."""
    from asgiref.sync import async_to_sync

    from ..checker import check_urls

    async def check() -> CheckResult:
        async with contextlib.aclosing(check_urls([url], options)) as results:
            (result,) = [each async for each in results]
            return result

    with chosen_policy():
        return async_to_sync(check)()


def changes_of(outcome: RunOutcome) -> list[Change]:
    """What ``--changes`` shows: the run's transitions, then its reminders."""
    return [*outcome.changes, *outcome.reminded]


def print_changes(changes: list[Change], fmt: str, stdout: IO[str]) -> None:
    """``--changes``: one line per change (silence when there is none), or JSON records."""
    from ..durations import iso_utc

    records = [
        {
            "event": "reminder" if change.reminder else str(change.state),
            "id": change.id,
            "url": change.url,
            "file": change.file,
            "at": iso_utc(change.at),
            "since": iso_utc(change.since),
            "runs": change.runs,
            "failure": change.failure,
        }
        for change in changes
    ]
    if fmt == "jsonl":
        stdout.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    elif fmt == "json":
        stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    else:
        stdout.writelines(change_line(change) + "\n" for change in changes)
    stdout.flush()


def change_line(change: Change) -> str:
    """One change as one line: its message's title, since when, and why."""
    from ..durations import human_duration, iso_utc
    from ..monitor import State

    runs = f"{change.runs} {'good' if change.state is State.UP else 'failed'} run"
    runs += "" if change.runs == 1 else "s"
    if change.state is State.UP:
        how = f"up again after {human_duration(change.at - change.since)} down"
    elif change.reminder:
        how = f"down for {human_duration(change.at - change.since)}"
    else:
        how = "down"
    line = f"{change.message.title}: {how} since {iso_utc(change.since)} ({runs} in a row)"
    return f"{line}: {change.failure}" if change.failure else line


CHANGES_FORMATS = ("table", "json", "jsonl")
"""What ``--changes`` prints in: lines of text (for the table, and cron's mail), or JSON."""
