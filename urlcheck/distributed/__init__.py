"""Check huge lists on a Celery cluster: chunks of targets go to workers running the same core.

::

    urlcheck --broker URL FILE                  Redis (broker + results)       urlcheck worker
    targets ─▶ chunks ─▶ apply_async ────────▶ queue "urlcheck" ───────────▶ check_chunk
                                                                              └▶ check_urls (core)
    CheckResult ◀─ once per chunk id ◀──────── result backend ◀───────────── result dicts

==============  ==========================================================================
``client``      `check_urls_remote`: the list in chunks, results back, in `check_urls`' shape
``cluster``     the broker reached, the workers counted, chunks revoked, with deadlines
``celery_app``  the Celery app and its configuration (late acks, the sweep for lost chunks)
``task``        `check_chunk`: a worker checks one chunk through the core
``wire``        what travels, as JSON, type by type
``broker``      the broker URL, checked and masked
==============  ==========================================================================

Celery is imported only inside functions, and this package only on the ``--broker`` path: a
local run never loads it. ``celery -A urlcheck.distributed worker`` finds `app`, configured
from ``URLCHECK_BROKER`` and ``URLCHECK_REDELIVERY_TIMEOUT``.
"""

from __future__ import annotations

from typing import Any

from .broker import check_broker_url
from .client import check_urls_remote, remote_source
from .task import check_chunk
from .wire import from_json, to_json

__all__ = [
    "check_broker_url",
    "check_chunk",
    "check_urls_remote",
    "from_json",
    "remote_source",
    "to_json",
]


def __getattr__(name: str) -> Any:
    """`app` for ``celery -A urlcheck.distributed worker``, configured from the environment."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .celery_app import environment_app

    app = environment_app()
    globals()["app"] = app
    return app
