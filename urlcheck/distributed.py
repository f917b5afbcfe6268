"""Check huge lists on a Celery cluster: chunks of targets go to workers running the same core.

::

    urlcheck --broker URL FILE                  Redis (broker + results)       urlcheck worker
    targets ─▶ chunks ─▶ apply_async ────────▶ queue "urlcheck" ───────────▶ check_chunk
                                                                              └▶ check_urls (core)
    CheckResult ◀─ once per chunk id ◀──────── result backend ◀───────────── result dicts

The client (`check_urls_remote`) has the shape of `check_urls`: an async generator of
`CheckResult`s, so the command line renders, counts and exits exactly as it does locally.

Delivery is at least once. A chunk is acknowledged only after its results are stored
(late acknowledgement), so a chunk whose worker dies goes back to the queue once
``--redelivery-timeout`` has passed, and another worker checks it; a chunk can thus be
checked twice (also when it runs longer than that timeout), but the client reports each
chunk once and every URL line exactly once.

Celery is imported only inside the functions here, and this module only on the ``--broker``
path: a local run never loads it. ``celery -A urlcheck.distributed worker`` finds `app`,
configured from ``URLCHECK_BROKER`` and ``URLCHECK_REDELIVERY_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import functools
import logging
import os
import sys
import threading
import time
import types
import uuid
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin
from urllib.parse import urlsplit

import click

from .errors import DistributedError
from .inputs import to_target
from .models import CheckResult, StatusRanges, Target
from .options import (
    DEFAULT_BROKER_TIMEOUT,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_REDELIVERY_TIMEOUT,
    CheckOptions,
)
from .params import OneLineErrors
from .urls import mask_url, scrub, secrets_in

if TYPE_CHECKING:
    from celery import Celery
    from celery.result import AsyncResult

DEFAULT_BROKER = "redis://localhost:6379/0"
"""The broker of `app` (``celery -A urlcheck.distributed``) when URLCHECK_BROKER is unset."""
TASK_NAME = "urlcheck.check_chunk"
QUEUE = "urlcheck"
"""The queue (and control exchange) name, so other Celery apps on the same Redis stay apart."""
BROKER_SCHEMES = ("redis", "rediss")
CONNECT_TIMEOUT = 5.0
"""Seconds to reach the broker: an unreachable broker fails the run, it does not hang it."""
CONNECT_RETRIES = 1
DISCOVERY_TIMEOUT = 0.5
"""Seconds the client waits for the workers to say how many processes they run."""
POLL_INTERVAL = 0.5
"""Wait for results in one go (Celery's own wait adds up to 1 s): bounds how late Ctrl-C
and time-outs are noticed; a result that comes in ends the wait at once."""
BROADCAST_TIMEOUT = DISCOVERY_TIMEOUT + CONNECT_TIMEOUT
"""Seconds a message to all workers (how many are you? revoke these chunks) may take."""
CHUNKS_PER_PROCESS = 2
"""Chunks kept in flight per worker process: one being checked, one waiting in the queue."""
MIN_IN_FLIGHT = 4
IN_FLIGHT_UNKNOWN = 1
"""Chunks in flight while no worker has answered: a run that gives up for want of workers
leaves one chunk behind in the queue, not a backlog for the next worker to start."""
RESULT_TTL = 3600
"""Seconds a chunk's results stay in Redis if the client never collects them."""
RESULT_REPR_MAX = 120
"""Characters of a chunk's results a worker's log line shows."""
MAX_RESTORE_INTERVAL = 10

_log = logging.getLogger(__name__)
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
_T = TypeVar("_T")


# --- the broker URL -------------------------------------------------------------------------


def check_broker_url(url: str) -> str:
    """Raise `DistributedError` unless `url` is a usable Redis URL; return it masked for display."""
    shown = mask_url(url)
    hint = "expected redis://[:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS)"
    if not url or any(ch.isspace() for ch in url):
        raise DistributedError(f"bad broker URL {shown!r}: {hint}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        detail = scrub(str(exc), secrets_in(url))
        raise DistributedError(f"bad broker URL {shown!r}: {detail}; {hint}") from None
    if parts.scheme.lower() not in BROKER_SCHEMES:
        raise DistributedError(
            f"bad broker URL {shown!r}: only Redis brokers are supported; {hint}"
        )
    if not parts.hostname:
        raise DistributedError(f"bad broker URL {shown!r}: no host; {hint}")
    if port == 0:
        raise DistributedError(f"bad broker URL {shown!r}: port 0; {hint}")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise DistributedError(f"bad broker URL {shown!r}: the database must be a number; {hint}")
    return shown


# --- plain JSON for what travels: targets, options, results --------------------------------


def to_json(value: object) -> Any:
    """A target, options or a part of them as plain JSON values.

    Fields that are not part of a dataclass's value (``compare=False``: caches such as a
    target's parsed URL) stay behind; the receiver gets their defaults.
    """
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, StatusRanges):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {f.name: to_json(getattr(value, f.name)) for f in fields if f.compare}
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    return value


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """The fields that travel (part of the value, settable) → their types, once per class."""
    kinds = _FIELD_TYPES.get(cls)
    if kinds is None:
        namespace = vars(sys.modules[cls.__module__])
        kinds = {}
        for f in dataclasses.fields(cls):
            if not (f.init and f.compare):
                continue
            kind: Any = f.type
            if isinstance(kind, str):  # postponed (``from __future__ import annotations``)
                try:
                    kind = eval(kind, namespace)  # what typing.get_type_hints does, per field
                except NameError:
                    kind = Any  # a name only type checkers import: the value passes as it is
            kinds[f.name] = kind
        _FIELD_TYPES[cls] = kinds
    return kinds


def from_json(cls: type[_T], data: dict[str, Any], *, strict: bool = True) -> _T:
    """Rebuild a dataclass (a `Target`, `CheckOptions`, `CheckResult` …) from `to_json` values.

    Strict, a field this version does not know is an error (a worker must not silently
    ignore an option the client was given); lenient, it is dropped.
    """
    kinds = _field_types(cls)
    unknown = sorted(set(data) - set(kinds))
    if unknown and strict:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(unknown)}")
    return cls(**{name: _decode(kinds[name], data[name]) for name in kinds.keys() & data.keys()})


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        inner = [arg for arg in get_args(kind) if arg is not type(None)]
        return _decode(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in value)
        return tuple(_decode(arg, item) for arg, item in zip(args, value, strict=True))
    if kind is StatusRanges:
        return StatusRanges(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return from_json(kind, value)
    if kind is float:
        return float(value)
    return value


# --- the worker side -------------------------------------------------------------------------


def check_chunk(targets: list[dict[str, Any]], options: dict[str, Any]) -> list[dict[str, Any]]:
    """Check one chunk through the core; one result dict per target, in the chunk's order."""
    from asgiref.sync import async_to_sync

    from .checker import check_urls

    check_options = from_json(CheckOptions, options)
    # Each target's source is swapped for its index while it is checked: every result the
    # core yields carries its target's source, so this is how a result finds its line again
    # (URLs repeat within a chunk, lines across files, displays when only a password differs).
    chunk = [
        dataclasses.replace(from_json(Target, item), source=str(index))
        for index, item in enumerate(targets)
    ]
    results: list[CheckResult | None] = [None] * len(chunk)

    async def collect() -> None:
        async with contextlib.aclosing(check_urls(chunk, check_options)) as stream:
            async for result in stream:
                results[int(result.file)] = result

    async_to_sync(collect)()
    out: list[dict[str, Any]] = []
    for item, result in zip(targets, results, strict=True):
        assert result is not None, "the core yields one result per target"
        out.append(dataclasses.replace(result, file=item["source"]).to_dict())
    return out


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
        task_publish_retry_policy=_PUBLISH_RETRY,
        result_backend_transport_options={"retry_policy": _PUBLISH_RETRY},
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


def __getattr__(name: str) -> Any:
    """`app` for ``celery -A urlcheck.distributed worker``, configured from the environment."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    broker = os.environ.get("URLCHECK_BROKER") or DEFAULT_BROKER
    check_broker_url(broker)
    timeout = float(os.environ.get("URLCHECK_REDELIVERY_TIMEOUT") or DEFAULT_REDELIVERY_TIMEOUT)
    app = create_app(broker, redelivery_timeout=timeout)
    globals()["app"] = app
    return app


# --- the client side -------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Chunk:
    """A chunk sent to the cluster and not yet reported."""

    targets: list[Target]
    result: AsyncResult
    started_by: object = None
    """Who is checking it (worker and process), once a worker said so."""


class _Client:
    """Talks to the cluster for one run; every method runs in one thread of its own."""

    def __init__(
        self,
        broker: str,
        targets: Iterable[Target | str],
        options: CheckOptions,
        *,
        chunk_size: int,
        redelivery_timeout: float,
        broker_timeout: float,
        max_in_flight: int | None,
        divide_per_host: bool,
        may_repeat: Callable[[Target], bool] | None,
    ) -> None:
        self.shown = check_broker_url(broker)
        self._secrets = secrets_in(broker)
        self._targets: Iterator[Target | str] = iter(targets)
        self.options = options
        self.chunk_size = chunk_size
        self.redelivery_timeout = redelivery_timeout
        self.broker_timeout = broker_timeout
        self.max_in_flight = max_in_flight
        self.divide_per_host = divide_per_host
        self._may_repeat = may_repeat
        self.app = create_app(broker, redelivery_timeout=redelivery_timeout)
        self.processes = 0
        """Worker processes that answered at the start."""
        self._options_json: dict[str, Any] = {}
        self._window = max_in_flight or IN_FLIGHT_UNKNOWN
        self._original_per_host = options.per_host
        self._rediscover = False
        self._lost = False
        """The broker went away: revoking would only wait for it."""
        self._pending: dict[str, _Chunk] = {}
        self._watched: Any = None
        """The Celery ResultSet over the pending chunks; rebuilt only when they change."""
        self._reported: set[str] = set()
        self._exhausted = False
        self._first_seen: set[object] = set()
        """URLs sent that may be listed again (all of them, without `may_repeat`)."""
        self._finished: dict[object, CheckResult] = {}
        self._waiting: dict[object, list[Target]] = {}
        """URLs already sent in a pending chunk → their later lines, reported with it."""
        self._ready: list[CheckResult] = []
        self._last_event = time.monotonic()
        self._progressed = False
        self.sent = 0

    @property
    def done(self) -> bool:
        """Every target was sent and every chunk reported."""
        return self._exhausted and not self._pending and not self._ready

    def _describe(self, exc: BaseException) -> str:
        """One line on what went wrong: the root cause (Celery wraps it), password masked."""
        while exc.__cause__ is not None:
            exc = exc.__cause__
        return scrub(" ".join(str(exc).split()) or type(exc).__name__, self._secrets)

    def connect(self) -> None:
        """Reach the broker, fast, and learn how many worker processes there are."""
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
            self._discover()
        except DistributedError:
            raise
        except Exception as exc:
            message = f"cannot reach the broker {self.shown}: {self._describe(exc)}"
            raise DistributedError(message) from None

    def _bounded(self, function: Callable[[], _T]) -> _T:
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
            self._lost = True
            raise DistributedError(f"lost the broker {self.shown}: it does not answer")
        return outcome[0]

    def _discover(self) -> None:
        """Ask the workers how many processes they run: size the window, share --per-host."""
        inspect = self.app.control.inspect(timeout=DISCOVERY_TIMEOUT)
        stats = self._bounded(inspect.stats) or {}
        self.processes = sum(
            int((info.get("pool") or {}).get("max-concurrency") or 1) for info in stats.values()
        )
        original = dataclasses.replace(self.options, per_host=self._original_per_host)
        per_host = (
            original.per_host_share(self.processes) if self.divide_per_host else original.per_host
        )
        self.options = dataclasses.replace(self.options, per_host=per_host)
        self._options_json = to_json(self.options)
        if self.max_in_flight is None and self.processes:
            self._window = max(MIN_IN_FLIGHT, CHUNKS_PER_PROCESS * self.processes)
        self._rediscover = not self.processes and not self._progressed

    def step(self) -> list[CheckResult]:
        """Send chunks until the window is full, wait a moment for results, return them."""
        try:
            self._fill()
            self._collect()
            if self._progressed and self._rediscover:
                self._rediscover = False
                self._discover()  # the first worker came after the start: size the window now
        except DistributedError:
            raise
        except Exception as exc:
            self._lost = True
            raise DistributedError(f"lost the broker {self.shown}: {self._describe(exc)}") from None
        self._watchdog()
        ready, self._ready = self._ready, []
        return ready

    def _next_chunk(self) -> list[Target]:
        chunk: list[Target] = []
        while len(chunk) < self.chunk_size:
            item = next(self._targets, None)
            if item is None:
                self._exhausted = True
                break
            target = to_target(item)
            if target.problem is None:
                # Like the core, a URL listed twice is checked once, across chunks too.
                key = target.key
                if key in self._finished:
                    self._ready.append(self._finished[key].for_line(target))
                    continue
                if key in self._first_seen:
                    self._waiting.setdefault(key, []).append(target)
                    continue
                if self._may_repeat is None or self._may_repeat(target):
                    self._first_seen.add(key)
            chunk.append(target)
        return chunk

    def _fill(self) -> None:
        task = self.app.tasks[TASK_NAME]
        while not self._exhausted and len(self._pending) < self._window:
            targets = self._next_chunk()
            if not targets:
                continue
            chunk_id = str(uuid.uuid4())
            self.sent += 1
            result = task.apply_async(
                args=([to_json(target) for target in targets], self._options_json),
                task_id=chunk_id,
                # What logs, events and 'celery inspect' show instead of the arguments,
                # which hold the URLs with their passwords.
                argsrepr=f"<chunk {self.sent}: {len(targets)} URL lines>",
                kwargsrepr="{}",
                retry=True,
                retry_policy=_PUBLISH_RETRY,
            )
            if not self._pending:
                self._last_event = time.monotonic()
            self._pending[chunk_id] = _Chunk(targets, result)
            self._watched = None

    def _collect(self) -> None:
        from celery.exceptions import TimeoutError as CeleryTimeout
        from celery.result import ResultSet

        if not self._pending:
            return
        if self._watched is None:
            self._watched = ResultSet([chunk.result for chunk in self._pending.values()])
        try:
            # Results come as chunks finish; take the first and go back to send more.
            for chunk_id, meta in self._watched.iter_native(
                # interval: the pause after asking Redis for finished chunks; the
                # wait on Redis's publish/subscribe that follows is what waits.
                timeout=POLL_INTERVAL,
                interval=0,
                on_message=self._on_message,
            ):
                self._on_result(chunk_id, meta)
                break
        except CeleryTimeout:
            pass

    def _on_message(self, meta: dict[str, Any]) -> None:
        chunk = self._pending.get(meta.get("task_id", ""))
        if chunk is None or meta.get("status") != "STARTED":
            return
        info = meta.get("result") or {}
        by = (info.get("hostname"), info.get("pid")) if isinstance(info, dict) else info
        if by != chunk.started_by:  # a worker began it (again, after a redelivery)
            chunk.started_by = by
            self._event()

    def _event(self) -> None:
        self._last_event = time.monotonic()
        self._progressed = True

    def _on_result(self, chunk_id: str, meta: dict[str, Any]) -> None:
        chunk = self._pending.pop(chunk_id, None)
        self._watched = None
        if chunk is None or chunk_id in self._reported:
            return  # a chunk checked twice (redelivered) is reported once
        self._reported.add(chunk_id)
        self._event()
        status, value = meta.get("status"), meta.get("result")
        with contextlib.suppress(Exception):
            chunk.result.forget()
        if status != "SUCCESS" or not isinstance(value, list) or len(value) != len(chunk.targets):
            detail = f"{type(value).__name__}: {value}" if isinstance(value, Exception) else status
            raise DistributedError(
                f"a worker on {self.shown} could not check a chunk ({detail}); "
                "are the client and the workers the same urlcheck version?"
            )
        for target, data in zip(chunk.targets, value, strict=True):
            result = from_json(CheckResult, data, strict=False)
            self._ready.append(result)
            key = target.key
            if target.problem is None and key in self._first_seen:
                self._finished[key] = result
                self._ready.extend(result.for_line(again) for again in self._waiting.pop(key, ()))

    def _watchdog(self) -> None:
        """Give up when no worker takes the chunks: never a silent hang."""
        if not self._pending:
            return
        running = any(chunk.started_by is not None for chunk in self._pending.values())
        # A chunk being checked may take up to the redelivery timeout (longer, and it goes
        # to another worker, which says so); a chunk nobody took, only the broker timeout.
        limit = self.broker_timeout + (self.redelivery_timeout if running else 0.0)
        if time.monotonic() - self._last_event <= limit:
            return
        if self._confirm_started():
            return
        start = f"start one with: urlcheck worker --broker {self.shown}"
        if not self._progressed:
            raise DistributedError(
                f"no worker took a chunk from the broker {self.shown} within "
                f"{self.broker_timeout:g} s; {start}"
            )
        raise DistributedError(
            f"the workers on {self.shown} made no progress for {limit:g} s; "
            f"are any still running? {start}"
        )

    def _confirm_started(self) -> bool:
        """Ask the result backend directly, in case a worker's message was missed."""
        for chunk in self._pending.values():
            try:
                state = chunk.result.state
            except Exception:
                return False
            if state == "STARTED" and chunk.started_by is None:
                chunk.started_by = "started"
                self._event()
                return True
        return False

    def close(self) -> None:
        """Revoke the chunks not reported yet and let go of every connection."""
        pending = list(self._pending)
        for chunk in self._pending.values():
            # Celery unsubscribes from a result when it is garbage collected; with the broker
            # gone that fails with a traceback on stderr. These results are not wanted any more.
            chunk.result.backend = None
        self._pending.clear()
        self._watched = None
        if pending and not self._lost:
            with contextlib.suppress(Exception):
                self._bounded(lambda: self.app.control.revoke(pending, terminate=True))
        with contextlib.suppress(Exception):
            backend = self.app.backend
            backend.result_consumer.stop()
            backend.client.connection_pool.disconnect()
        with contextlib.suppress(Exception):
            self.app.close()


async def check_urls_remote(
    targets: Iterable[Target | str],
    options: CheckOptions | None = None,
    *,
    broker: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    redelivery_timeout: float = DEFAULT_REDELIVERY_TIMEOUT,
    broker_timeout: float = DEFAULT_BROKER_TIMEOUT,
    max_in_flight: int | None = None,
    divide_per_host: bool = True,
    may_repeat: Callable[[Target], bool] | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """Check every target on the Celery workers of `broker`; yield results as chunks finish.

    The same shape and promises as `check_urls`: every target yields exactly one result,
    a URL listed twice is requested once (its result is kept for later lines only when
    `may_repeat` says it may come again, as in `check_urls`). Raises `DistributedError`
    when the broker cannot be reached, or no worker takes a chunk within `broker_timeout`
    seconds. Close the generator (``contextlib.aclosing``) to stop early: the chunks not
    reported are revoked.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    loop = asyncio.get_running_loop()
    client = _Client(
        broker,
        targets,
        options or CheckOptions(),
        chunk_size=chunk_size,
        redelivery_timeout=redelivery_timeout,
        broker_timeout=broker_timeout,
        max_in_flight=max_in_flight,
        divide_per_host=divide_per_host,
        may_repeat=may_repeat,
    )
    # Celery's clients are per thread: every call for this run goes through one thread.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="urlcheck-broker")

    def call(function: Callable[[], _T]) -> asyncio.Future[_T]:
        return loop.run_in_executor(executor, function)

    try:
        await call(client.connect)
        while not client.done:
            for result in await call(client.step):
                yield result
    finally:
        try:
            await call(client.close)
        finally:
            executor.shutdown(wait=False)


def remote_source(
    broker: str,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    redelivery_timeout: float = DEFAULT_REDELIVERY_TIMEOUT,
    broker_timeout: float = DEFAULT_BROKER_TIMEOUT,
) -> functools.partial[AsyncGenerator[CheckResult, None]]:
    """`check_urls_remote` bound to a broker, in the shape of `check_urls`; checked up front.

    Raises `DistributedError` for a bad broker URL or when Celery is not installed.
    """
    check_broker_url(broker)
    try:
        import celery  # noqa: F401
    except ImportError:
        raise DistributedError(
            "--broker needs Celery: pip install 'urlcheck[distributed]'"
        ) from None
    return functools.partial(
        check_urls_remote,
        broker=broker,
        chunk_size=chunk_size,
        redelivery_timeout=redelivery_timeout,
        broker_timeout=broker_timeout,
    )


# --- `urlcheck worker` ----------------------------------------------------------------------


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
    from .params import InputFailure

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
