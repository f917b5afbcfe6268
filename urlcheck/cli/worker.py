"""``urlcheck worker``: a thin wrapper over Celery's worker for the chunks ``--broker`` sends."""

from __future__ import annotations

import os

import click

from ..errors import DistributedError
from ..options import DEFAULT_REDELIVERY_TIMEOUT
from .params import InputFailure, OneLineErrors


@click.command(
    cls=OneLineErrors,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "show_default": True,
        "max_content_width": 100,
    },
    epilog="""\b
The same worker through Celery's own command line:
  URLCHECK_BROKER=redis://HOST:6379/0 celery -A urlcheck.distributed worker \\
      --concurrency 4 --without-gossip --without-mingle
(Celery's -l debug would log raw task bodies, passwords in URLs included: this
command offers no debug level, and lowers Celery's pool logger to info either way.)""",
)
@click.option(
    "--broker",
    metavar="URL",
    required=True,
    show_envvar=True,
    help="The Redis that 'urlcheck --broker URL' sends chunks to, e.g. redis://HOST:6379/0.",
)
@click.option(
    "--concurrency",
    # Not URLCHECK_CONCURRENCY: that one is the client's URLs at once, a different knob.
    envvar="URLCHECK_WORKER_CONCURRENCY",
    type=click.IntRange(1, 1024),
    default=None,
    show_envvar=True,
    help="Chunks checked at once (Celery pool processes); each checks up to the client's "
    "--concurrency URLs at once.  [default: the number of CPUs]",
)
@click.option(
    "--redelivery-timeout",
    type=click.FloatRange(1, 7 * 86400),
    default=DEFAULT_REDELIVERY_TIMEOUT,
    metavar="SECONDS",
    show_envvar=True,
    help="A chunk taken by a worker that died goes back to the queue after this long; "
    "keep it longer than a chunk takes (a longer chunk is checked twice, reported once).",
)
@click.option(
    "--name",
    envvar="URLCHECK_WORKER_NAME",
    default=None,
    show_envvar=True,
    help="Node name, unique among the workers.  [default: urlcheck-PID@HOSTNAME]",
)
@click.option(
    "--loglevel",
    envvar="URLCHECK_WORKER_LOGLEVEL",
    type=click.Choice(["error", "warning", "info"], case_sensitive=False),
    default="info",
    show_envvar=True,
    help="How much the worker logs (one line per chunk at info).",
)
def worker_command(
    broker: str,
    concurrency: int | None,
    redelivery_timeout: float,
    name: str | None,
    loglevel: str,
) -> None:
    """Check the chunks that 'urlcheck --broker URL FILE' sends, until stopped (Ctrl-C).

    A thin wrapper over Celery's worker: run one or more on each machine that should
    share the work. Chunks are acknowledged late: one whose worker dies is checked again
    by another after --redelivery-timeout.

    \b
    Example:
      urlcheck worker --broker redis://queue.internal:6379/0 --concurrency 4
    """
    # Celery and the distributed package: only when a worker is started.
    from ..distributed.broker import check_broker_url
    from ..distributed.celery_app import create_app

    try:
        check_broker_url(broker)
        import celery  # noqa: F401
    except DistributedError as exc:
        raise InputFailure(str(exc)) from None
    except ImportError:
        raise InputFailure(
            "urlcheck worker needs Celery: pip install 'urlcheck[distributed]'"
        ) from None
    app = create_app(broker, redelivery_timeout=redelivery_timeout)
    argv = [
        "worker",
        f"--loglevel={loglevel.upper()}",
        f"--hostname={name or f'urlcheck-{os.getpid()}@%h'}",
        "--without-gossip",
        "--without-mingle",
    ]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    raise SystemExit(app.start(argv) or 0)
