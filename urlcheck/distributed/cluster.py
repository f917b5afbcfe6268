"""The cluster as the client sees it: the broker reached, the workers counted, chunks
revoked, connections let go. Every call runs in the client's one thread (Celery's clients are
per thread) and none can hang: a broadcast Kombu would retry for ever has a deadline."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..errors import DistributedError
from ..urls import scrub, secrets_in
from .broker import check_broker_url
from .celery_app import CONNECT_TIMEOUT, create_app

if TYPE_CHECKING:
    from celery import Celery

_T = TypeVar("_T")

CONNECT_RETRIES = 1
DISCOVERY_TIMEOUT = 0.5
"""Seconds the client waits for the workers to say how many processes they run."""
BROADCAST_TIMEOUT = DISCOVERY_TIMEOUT + CONNECT_TIMEOUT
"""Seconds a message to all workers (how many are you? revoke these chunks) may take."""


class Cluster:
    """The Celery app on `broker`, for one run of the client."""

    def __init__(self, broker: str, *, redelivery_timeout: float) -> None:
        self.shown = check_broker_url(broker)
        self._secrets = secrets_in(broker)
        self.app: Celery = create_app(broker, redelivery_timeout=redelivery_timeout)
        self.lost = False
        """The broker went away: revoking would only wait for it."""

    def describe(self, exc: BaseException) -> str:
        """One line on what went wrong: the root cause (Celery wraps it), password masked."""
        while exc.__cause__ is not None:
            exc = exc.__cause__
        return scrub(" ".join(str(exc).split()) or type(exc).__name__, self._secrets)

    def connect(self) -> None:
        """Reach the broker, fast, or raise `DistributedError` saying why not."""
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(
                    max_retries=CONNECT_RETRIES,
                    interval_start=0,
                    interval_step=0.5,
                    interval_max=1,
                    timeout=CONNECT_TIMEOUT,
                )
            self.app.backend.client.ping()
        except Exception as exc:
            message = f"cannot reach the broker {self.shown}: {self.describe(exc)}"
            raise DistributedError(message) from None

    def processes(self) -> int:
        """How many worker processes answer now (their pools' sizes added up)."""
        inspect = self.app.control.inspect(timeout=DISCOVERY_TIMEOUT)
        stats = self.bounded(inspect.stats) or {}
        return sum(
            int((info.get("pool") or {}).get("max-concurrency") or 1) for info in stats.values()
        )

    def bounded(self, function: Callable[[], _T]) -> _T:
        """Run a broadcast to the workers with a deadline.

        Kombu retries a broadcast for ever while the broker is down, and Celery gives no
        way to bound it: it runs in a thread of its own, abandoned if it does not return.
        """
        outcome: list[_T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                outcome.append(function())
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=run, name="urlcheck-broadcast", daemon=True)
        thread.start()
        thread.join(BROADCAST_TIMEOUT)
        if failure:
            raise failure[0]
        if not outcome:
            self.lost = True
            raise DistributedError(f"lost the broker {self.shown}: it does not answer")
        return outcome[0]

    def close(self, unreported: list[str]) -> None:
        """Revoke the chunks not reported yet and let go of every connection."""
        if unreported and not self.lost:
            with contextlib.suppress(Exception):
                self.bounded(lambda: self.app.control.revoke(unreported, terminate=True))
        with contextlib.suppress(Exception):
            backend = self.app.backend
            backend.result_consumer.stop()
            backend.client.connection_pool.disconnect()
        with contextlib.suppress(Exception):
            self.app.close()
