"""The client's side of ``--broker``: the list in chunks to the workers, their results back,
in the shape of `check_urls` (an async generator of `CheckResult`s), so the command line
renders, counts and exits exactly as it does locally.

Delivery is at least once. A chunk is acknowledged only after its results are stored (late
acknowledgement), so a chunk whose worker dies goes back to the queue once
``--redelivery-timeout`` has passed and another worker checks it; a chunk can thus be
checked twice (also when it runs longer than that timeout), but the client reports each
chunk once and every URL line exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from ..dedup import Duplicates
from ..errors import DistributedError
from ..inputs import to_target
from ..models import CheckResult, Target
from ..options import (
    DEFAULT_BROKER_TIMEOUT,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_REDELIVERY_TIMEOUT,
    CheckOptions,
)
from .broker import check_broker_url
from .celery_app import PUBLISH_RETRY, TASK_NAME
from .cluster import Cluster
from .wire import options_to_wire, result_from_wire, target_to_wire

if TYPE_CHECKING:
    from celery.result import AsyncResult

_T = TypeVar("_T")

POLL_INTERVAL = 0.5
"""Wait for results in one go (Celery's own wait adds up to 1 s): bounds how late Ctrl-C
and time-outs are noticed; a result that comes in ends the wait at once."""
CHUNKS_PER_PROCESS = 2
"""Chunks kept in flight per worker process: one being checked, one waiting in the queue."""
MIN_IN_FLIGHT = 4
IN_FLIGHT_UNKNOWN = 1
"""Chunks in flight while no worker has answered: a run that gives up for want of workers
leaves one chunk behind in the queue, not a backlog for the next worker to start."""


@dataclasses.dataclass(slots=True)
class _Chunk:
    """A chunk sent to the cluster and not yet reported."""

    targets: list[Target]
    result: AsyncResult
    started_by: object = None
    """Who is checking it (worker and process), once a worker said so."""


@dataclasses.dataclass(frozen=True, slots=True)
class Window:
    """How the list goes out: chunk size, chunks in flight, the clocks that give up."""

    chunk_size: int = DEFAULT_CHUNK_SIZE
    redelivery_timeout: float = DEFAULT_REDELIVERY_TIMEOUT
    broker_timeout: float = DEFAULT_BROKER_TIMEOUT
    max_in_flight: int | None = None
    """Chunks in flight at most; None: two per worker process that answered (at least 4)."""
    divide_per_host: bool = True
    """Share ``--per-host`` among the worker processes, so the cluster keeps the limit."""


class _Client:
    """Talks to the cluster for one run; every method runs in one thread of its own."""

    def __init__(
        self,
        cluster: Cluster,
        targets: Iterable[Target | str],
        options: CheckOptions,
        window: Window,
        may_repeat: Callable[[Target], bool] | None,
    ) -> None:
        self.cluster = cluster
        self._targets: Iterator[Target | str] = iter(targets)
        self._given = options
        self.options = options
        self.window = window
        self._duplicates = Duplicates(may_repeat)
        self.processes = 0
        """Worker processes that answered at the start."""
        self._options_json: dict[str, Any] = {}
        self._in_flight = window.max_in_flight or IN_FLIGHT_UNKNOWN
        self._rediscover = False
        self._pending: dict[str, _Chunk] = {}
        self._watched: Any = None
        """The Celery ResultSet over the pending chunks; rebuilt only when they change."""
        self._reported: set[str] = set()
        self._exhausted = False
        self._ready: list[CheckResult] = []
        self._last_event = time.monotonic()
        self._progressed = False
        self.sent = 0

    @property
    def done(self) -> bool:
        """Every target was sent and every chunk reported."""
        return self._exhausted and not self._pending and not self._ready

    def connect(self) -> None:
        """Reach the broker, fast, and learn how many worker processes there are."""
        self.cluster.connect()
        self._discover()

    def _discover(self) -> None:
        """Count the worker processes: size the window, share ``--per-host`` among them."""
        self.processes = self.cluster.processes()
        given = self._given
        per_host = given.per_host_share(self.processes) if self.window.divide_per_host else None
        self.options = given if per_host is None else dataclasses.replace(given, per_host=per_host)
        self._options_json = options_to_wire(self.options)
        if self.window.max_in_flight is None and self.processes:
            self._in_flight = max(MIN_IN_FLIGHT, CHUNKS_PER_PROCESS * self.processes)
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
            self.cluster.lost = True
            raise DistributedError(
                f"lost the broker {self.cluster.shown}: {self.cluster.describe(exc)}"
            ) from None
        self._watchdog()
        ready, self._ready = self._ready, []
        return ready

    def _next_chunk(self) -> list[Target]:
        chunk: list[Target] = []
        while len(chunk) < self.window.chunk_size:
            item = next(self._targets, None)
            if item is None:
                self._exhausted = True
                break
            if isinstance(item, CheckResult):  # decided while reading: a document's local link
                self._ready.append(item)
                continue
            if isinstance(item, list):  # … or a document's local links, in one go
                self._ready.extend(item)
                continue
            target = to_target(item)
            if target.problem is None:
                # Like the core, a URL listed twice is checked once, across chunks too.
                claim = self._duplicates.claim(target)
                if claim is False:
                    continue  # its first line's chunk answers it
                if claim is not True:
                    self._ready.append(claim)
                    continue
            chunk.append(target)
        return chunk

    def _fill(self) -> None:
        task = self.cluster.app.tasks[TASK_NAME]
        while not self._exhausted and len(self._pending) < self._in_flight:
            targets = self._next_chunk()
            if not targets:
                continue
            chunk_id = str(uuid.uuid4())
            self.sent += 1
            result = task.apply_async(
                args=([target_to_wire(target) for target in targets], self._options_json),
                task_id=chunk_id,
                # What logs, events and 'celery inspect' show instead of the arguments,
                # which hold the URLs with their passwords.
                argsrepr=f"<chunk {self.sent}: {len(targets)} URL lines>",
                kwargsrepr="{}",
                retry=True,
                retry_policy=PUBLISH_RETRY,
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
                f"a worker on {self.cluster.shown} could not check a chunk ({detail}); "
                "are the client and the workers the same urlcheck version?"
            )
        for target, data in zip(chunk.targets, value, strict=True):
            result = result_from_wire(data)
            self._ready.append(result)
            if target.problem is None:
                self._ready.extend(self._duplicates.settle(target, result))

    def _watchdog(self) -> None:
        """Give up when no worker takes the chunks: never a silent hang."""
        if not self._pending:
            return
        running = any(chunk.started_by is not None for chunk in self._pending.values())
        # A chunk being checked may take up to the redelivery timeout (longer, and it goes
        # to another worker, which says so); a chunk nobody took, only the broker timeout.
        limit = self.window.broker_timeout + (self.window.redelivery_timeout if running else 0.0)
        if time.monotonic() - self._last_event <= limit:
            return
        if self._confirm_started():
            return
        start = f"start one with: urlcheck worker --broker {self.cluster.shown}"
        if not self._progressed:
            raise DistributedError(
                f"no worker took a chunk from the broker {self.cluster.shown} within "
                f"{self.window.broker_timeout:g} s; {start}"
            )
        raise DistributedError(
            f"the workers on {self.cluster.shown} made no progress for {limit:g} s; "
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
        unreported = list(self._pending)
        for chunk in self._pending.values():
            # Celery unsubscribes from a result when it is garbage collected; with the broker
            # gone that fails with a traceback on stderr. These results are not wanted any more.
            chunk.result.backend = None
        self._pending.clear()
        self._watched = None
        self.cluster.close(unreported)


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
    window = Window(chunk_size, redelivery_timeout, broker_timeout, max_in_flight, divide_per_host)
    cluster = Cluster(broker, redelivery_timeout=redelivery_timeout)
    client = _Client(cluster, targets, options or CheckOptions(), window, may_repeat)
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
