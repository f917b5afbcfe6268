"""The outbox: messages queued in the transaction that decided them, then delivered to each
notify target in order, oldest first, and never twice.

Delivery claims a message for one target in a write transaction before sending it, and
marks it sent (or queued again, on failure) in another: so two overlapping runs never
both send one, and a run that finds the oldest message of a target claimed by another
leaves that target to it, which keeps the order. A message that could not be delivered
stays queued, and the messages after it wait behind it for the next run.

The one case that can send a message twice: a process that dies (or hangs past
`CLAIM_LEASE_S`) after the target accepted the message and before the message was marked
sent. Its claim then lapses, and a later run sends the message again: no transaction can
span another service's answer, so it is at least once there, exactly once everywhere else.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..database import write
from .messages import Message

CLAIM_LEASE_S = 600.0
"""Seconds a claimed message is left to the run sending it. A send gives up long before
(Apprise's own timeouts are seconds); after this the run is taken for dead and a later run
sends the message again."""


class Channel(Protocol):
    """A notify target as the outbox sees it: a stable key, a masked label, a send."""

    @property
    def key(self) -> str:
        """Stable across runs and free of secrets (a hash of the notify URL)."""
        ...

    @property
    def label(self) -> str:
        """The notify URL with its secrets masked."""
        ...

    def send(self, message: Message) -> str | None:
        """Deliver `message`: None when the target took it, else why not (one masked line)."""
        ...


@dataclass(slots=True)
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    failures: list[str] = field(default_factory=list)
    """One line per target that failed, its secrets masked, for the caller to print."""
    pending: int = 0
    """Messages still queued for the given targets (or being sent by another run)."""


def enqueue(
    db: sqlite3.Connection, key: str, message: Message, targets: Sequence[Channel], now: float
) -> int:
    """Queue `message` about the line `key` for every target; the caller's transaction
    holds it, so it is queued if and only if the transition that caused it is recorded."""
    cursor = db.execute(
        "INSERT INTO monitor_messages (created_at, key, kind, notify_type, title, body)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (now, key, message.kind, message.notify_type, message.title, message.body),
    )
    message_id = cursor.lastrowid
    assert message_id is not None
    db.executemany(
        "INSERT OR IGNORE INTO monitor_deliveries (target, message_id, label, state)"
        " VALUES (?, ?, ?, 'queued')",
        [(target.key, message_id, target.label) for target in targets],
    )
    return message_id


def _claim(
    db: sqlite3.Connection, target: str, claimer: str, now: float
) -> tuple[int, Message] | None:
    """Claim the target's oldest unsent message, unless another run is sending it."""
    with write(db):
        row = db.execute(
            "SELECT d.message_id, d.state, d.claimed_at, m.kind, m.notify_type, m.title, m.body"
            " FROM monitor_deliveries d JOIN monitor_messages m ON m.id = d.message_id"
            " WHERE d.target = ? AND d.state != 'sent' ORDER BY d.message_id LIMIT 1",
            (target,),
        ).fetchone()
        if row is None:
            return None
        message_id, state, claimed_at, kind, notify_type, title, body = row
        if state == "sending" and claimed_at > now - CLAIM_LEASE_S:
            # Another run is sending this target's oldest message: the newer ones must wait
            # for it, so this target is that run's to deliver.
            return None
        db.execute(
            "UPDATE monitor_deliveries SET state = 'sending', claimed_by = ?, claimed_at = ?"
            " WHERE target = ? AND message_id = ?",
            (claimer, now, target, message_id),
        )
    return message_id, Message(kind, notify_type, title, body)


def _settle(
    db: sqlite3.Connection,
    target: str,
    message_id: int,
    claimer: str,
    error: str | None,
    now: float,
) -> None:
    """Mark a claimed message sent, or queued again with why it failed."""
    # `claimed_by`: a run whose claim lapsed and was taken over must not undo the new one.
    with write(db):
        if error is None:
            db.execute(
                "UPDATE monitor_deliveries SET state = 'sent', sent_at = ?, error = NULL,"
                " attempts = attempts + 1"
                " WHERE target = ? AND message_id = ? AND claimed_by = ?",
                (now, target, message_id, claimer),
            )
        else:
            db.execute(
                "UPDATE monitor_deliveries SET state = 'queued', claimed_by = NULL,"
                " claimed_at = NULL, error = ?, attempts = attempts + 1"
                " WHERE target = ? AND message_id = ? AND claimed_by = ?",
                (error, target, message_id, claimer),
            )


def _unsent(db: sqlite3.Connection, target: str) -> int:
    (count,) = db.execute(
        "SELECT count(*) FROM monitor_deliveries WHERE target = ? AND state != 'sent'",
        (target,),
    ).fetchone()
    return int(count)


def deliver(
    db: sqlite3.Connection,
    targets: Sequence[Channel],
    *,
    clock: Callable[[], float] = time.time,
) -> DeliveryReport:
    """Send every target its queued messages, oldest first, until one fails: that one and
    the newer ones stay queued for the next run, and the report has a line saying so."""
    claimer = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    report = DeliveryReport()
    seen: set[str] = set()
    for target in targets:
        if target.key in seen:
            continue
        seen.add(target.key)
        while (claimed := _claim(db, target.key, claimer, clock())) is not None:
            message_id, message = claimed
            try:
                error = target.send(message)
            except Exception as exc:  # a failing target must not keep the others waiting
                error = f"{type(exc).__name__} while sending"
            _settle(db, target.key, message_id, claimer, error, clock())
            if error is not None:
                unsent = _unsent(db, target.key)
                plural = "" if unsent == 1 else "s"
                report.failures.append(
                    f"notify {target.label}: {message.title!r} not delivered ({error});"
                    f" {unsent} message{plural} kept for the next run"
                )
                break
            report.sent += 1
        report.pending += _unsent(db, target.key)
    return report
