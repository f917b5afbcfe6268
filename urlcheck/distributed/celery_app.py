"""The Celery app of the client and the workers: Redis as broker and result store, late
acknowledgement, and the one task, `task.check_chunk`.

``celery -A urlcheck.distributed worker`` finds the app the package's ``app`` names,
configured from ``URLCHECK_BROKER`` and ``URLCHECK_REDELIVERY_TIMEOUT`` (`environment_app`).
Celery is imported only inside these functions.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from ..options import DEFAULT_REDELIVERY_TIMEOUT
from .broker import check_broker_url
from .task import check_chunk

if TYPE_CHECKING:
    from celery import Celery

DEFAULT_BROKER = "redis://localhost:6379/0"
"""The broker of ``celery -A urlcheck.distributed`` when URLCHECK_BROKER is unset."""
TASK_NAME = "urlcheck.check_chunk"
QUEUE = "urlcheck"
"""The queue (and control exchange) name, so other Celery apps on the same Redis stay apart."""
CONNECT_TIMEOUT = 5.0
"""Seconds to reach the broker: an unreachable broker fails the run, it does not hang it."""
RESULT_TTL = 3600
"""Seconds a chunk's results stay in Redis if the client never collects them."""
RESULT_REPR_MAX = 120
"""Characters of a chunk's results a worker's log line shows."""
MAX_RESTORE_INTERVAL = 10
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

_log = logging.getLogger("urlcheck.distributed")


def _restore_interval(redelivery_timeout: float) -> int:
    """Seconds between the workers' sweeps for chunks whose worker died."""
    return int(max(1, min(MAX_RESTORE_INTERVAL, redelivery_timeout // 10)))


def _quiet_pool_debug(loglevel: object = None, **_: object) -> None:
    """Keep Celery's pool from logging raw task bodies (URLs with passwords) at DEBUG."""
    logging.getLogger("celery.pool").setLevel(logging.INFO)


def create_app(broker: str, *, redelivery_timeout: float = DEFAULT_REDELIVERY_TIMEOUT) -> Celery:
    """A Celery app on `broker` (Redis, also the result backend) with the chunk task."""
    from celery import Celery, signals

    app = Celery("urlcheck", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=QUEUE,
        control_exchange=QUEUE,
        # Late acknowledgement: a chunk is taken off the queue only once its results are
        # stored, so one whose worker dies (even by SIGKILL) is checked again elsewhere.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_send_task_events=False,
        result_expires=RESULT_TTL,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=CONNECT_TIMEOUT,
        redis_socket_connect_timeout=CONNECT_TIMEOUT,
        task_publish_retry_policy=PUBLISH_RETRY,
        result_backend_transport_options={"retry_policy": PUBLISH_RETRY},
        broker_transport_options={
            # Redis has no acknowledgements: Kombu keeps delivered messages aside and puts
            # back those older than the visibility timeout. Out of the box it looks for them
            # only every 10 s x 10 calls, ~100 s whatever the timeout; sweep every
            # timeout/10 s (1-10 s) instead, so a dead worker's chunk waits about the timeout.
            "visibility_timeout": redelivery_timeout,
            "unacked_restore_interval": _restore_interval(redelivery_timeout),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": CONNECT_TIMEOUT,
        },
    )

    def run(targets: list[dict[str, Any]], options: dict[str, Any]) -> list[dict[str, Any]]:
        started = time.monotonic()
        results = check_chunk(targets, options)
        took = time.monotonic() - started
        if took > redelivery_timeout:
            _log.warning(
                "a chunk of %d URL lines took %.0f s, longer than --redelivery-timeout "
                "(%g s): it went to another worker meanwhile and was checked twice; "
                "use a smaller --chunk-size or a longer --redelivery-timeout",
                len(targets),
                took,
                redelivery_timeout,
            )
        return results

    app.task(
        name=TASK_NAME,
        shared=False,
        acks_late=True,
        reject_on_worker_lost=True,
        resultrepr_maxsize=RESULT_REPR_MAX,
    )(run)
    signals.after_setup_logger.connect(
        _quiet_pool_debug, weak=False, dispatch_uid="urlcheck.quiet_pool_debug"
    )
    return app


def environment_app() -> Celery:
    """The app of ``celery -A urlcheck.distributed worker``, configured from the environment."""
    broker = os.environ.get("URLCHECK_BROKER") or DEFAULT_BROKER
    check_broker_url(broker)
    timeout = float(os.environ.get("URLCHECK_REDELIVERY_TIMEOUT") or DEFAULT_REDELIVERY_TIMEOUT)
    return create_app(broker, redelivery_timeout=timeout)
