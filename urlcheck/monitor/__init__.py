"""Monitoring from cron: state per URL line, transitions decided once, incidents, and
notifications through Apprise, kept in the ``--db`` history database.

The names a caller needs::

    from urlcheck.monitor import Monitor, Observation, Thresholds, load_targets

    targets = load_targets(notify_urls)            # before any check: NotifyError if bad
    with Monitor(db_path, thresholds=Thresholds(down_after=2, remind_s=3600)) as monitor:
        outcome = monitor.apply_run(
            (Observation.of(result) for result in results), targets=targets
        )
        report = monitor.deliver(targets)
    for line in report.failures:                   # one masked line per failed target
        print(line, file=sys.stderr)
"""

from __future__ import annotations

from ..durations import iso_utc
from .badge import badge_svg, line_badge, status_badge
from .core import Monitor
from .messages import Message
from .notify import (
    INSTALL_HINT,
    NotifyTarget,
    load_targets,
    notify_urls_from_env,
    validate_notify_urls,
)
from .outbox import CLAIM_LEASE_S, DeliveryReport
from .state import (
    DEFAULT_DOWN_AFTER,
    DEFAULT_UP_AFTER,
    Change,
    LineState,
    Observation,
    RunOutcome,
    State,
    Thresholds,
    Transition,
    decide,
)
from .views import Incident, LineStatus

__all__ = [
    "CLAIM_LEASE_S",
    "DEFAULT_DOWN_AFTER",
    "DEFAULT_UP_AFTER",
    "INSTALL_HINT",
    "Change",
    "DeliveryReport",
    "Incident",
    "LineState",
    "LineStatus",
    "Message",
    "Monitor",
    "NotifyTarget",
    "Observation",
    "RunOutcome",
    "State",
    "Thresholds",
    "Transition",
    "badge_svg",
    "decide",
    "iso_utc",
    "line_badge",
    "load_targets",
    "notify_urls_from_env",
    "status_badge",
    "validate_notify_urls",
]
