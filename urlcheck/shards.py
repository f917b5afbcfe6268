"""A long list spread over worker processes, one event loop each, in the shape of `check_urls`.

One process spends most of its CPU on the checks themselves (about 25 µs a URL against a
fast server, see benchmarks/findings.md), so on a machine with several cores a long list
goes faster over several. The parent keeps reading and parsing the list. It sends a URL
line that may be listed again to the worker its URL hashes to, so a URL listed twice always
meets the same worker, which checks it once (`check_urls`' promise); a URL the first pass
says is listed once goes to the worker with the fewest lines still unanswered. (Routed by
hash alone, the workers' shares were equal in lines but not in time, and a run waited for
the slower worker's backlog: on 10,000 URLs one worker ended 140 ms before the other.) The
workers send their results back as they finish; the parent yields them, and prints, records
and counts them as for one process. ``--concurrency`` and ``--per-host`` are divided among
the workers, so the run as a whole keeps both.

Messages on the pipes are `frames`: pickles with a 4-byte length in front.

The command line forks its workers (`prefork`) before it starts any thread or event loop:
a forked worker has every module the run imported and checks at once, where a started one
(``python -m urlcheck.shards``, what `check_urls_sharded` does without them, and where fork
is not safe) first starts Python and imports them again: 0.1-0.2 s of a 10,000-URL run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import signal
import sys
import threading
import traceback
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any, BinaryIO, Protocol

from . import collector, loops
from .errors import ShardError
from .frames import LENGTH, frame, read_frame, unframe
from .inputs import RawLine, TargetReader, url_word
from .models import CheckResult, Target
from .options import SHARD_MIN_LINES, CheckOptions
from .processes import cores, worker_command

SHARDS_MAX = 4
BATCH = 256
"""URL lines or results per message."""
FLUSH_SECONDS = 0.05
"""A worker's results wait this long at most before they go to the parent."""

_Line = tuple["Target | str", str, int, bool]
"""A URL line for a worker: its text (or a target already parsed), source, number, and
whether a later line repeats its URL (so its result is kept)."""
_Place = tuple[str, int]
"""Where a line is: its source's name and its line number."""


class _Worker(Protocol):
    """What `_Workers` uses of a worker: an `asyncio.subprocess.Process`, or a `Forked`."""

    @property
    def stdin(self) -> asyncio.StreamWriter | None: ...
    @property
    def stdout(self) -> asyncio.StreamReader | None: ...
    @property
    def returncode(self) -> int | None: ...
    def kill(self) -> None: ...
    async def wait(self) -> int: ...


def shard_count(lines: int, options: CheckOptions, processes: int) -> int:
    """How many worker processes a list of `lines` URL lines gets (1: none, check here).

    `processes` 0 is automatic: one per available core, at most `SHARDS_MAX`, for lists of
    `SHARD_MIN_LINES` or more. Never so many that a worker's share of ``--concurrency`` or
    of ``--per-host`` would be less than one.
    """
    if processes == 0:
        if lines < SHARD_MIN_LINES:
            return 1
        processes = min(cores(), SHARDS_MAX)
    limits = [options.concurrency] + ([options.per_host] if options.per_host else [])
    return max(1, min(processes, *limits))


async def check_urls_sharded(
    targets: Iterable[Target] | TargetReader,
    options: CheckOptions,
    *,
    shards: int,
    may_repeat: Callable[[Target], bool] | None = None,
    forked: list[Forked] | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """`check_urls` over `shards` worker processes: every target yields exactly one result.

    Lines that are not URLs are answered here; the rest go to the workers: `forked` ones
    (from `prefork`, as many as `shards`), or else ones started now. Raises ShardError if
    a worker fails. Closing the generator stops the workers.
    """
    from .streams import cancel_and_drain

    pool = _Workers(options, shards, may_repeat, forked)
    runner: asyncio.Task[None] | None = None
    try:
        await pool.start()  # inside the try: a failed start stops the ones started
        runner = asyncio.create_task(pool.run(targets))
        while (batch := await pool.results.get()) is not None:
            for result in batch:
                yield result
        await _reraise(runner)
    finally:
        if runner is not None:
            await cancel_and_drain(runner, pool.results)
        await pool.stop()


async def _reraise(runner: asyncio.Task[None]) -> None:
    """Wait for `runner`; a worker's failure as one ShardError."""
    try:
        await runner
    except BaseExceptionGroup as group:
        failed = group.subgroup(ShardError)
        if failed is not None:
            raise failed.exceptions[0] from None
        if group.subgroup((BrokenPipeError, ConnectionResetError)) is not None:
            raise ShardError("a worker process stopped taking URLs") from None
        raise


class _Workers:
    """The worker processes of one run: lines routed to them by URL, results collected."""

    def __init__(
        self,
        options: CheckOptions,
        shards: int,
        may_repeat: Callable[[Target], bool] | None,
        forked: list[Forked] | None = None,
    ) -> None:
        self.options = options
        self.shards = len(forked) if forked else shards
        self.may_repeat = may_repeat
        self.forked = forked or []
        self.workers: list[_Worker] = []
        self.results: asyncio.Queue[list[CheckResult] | None] = asyncio.Queue(self.shards * 4)
        self.unanswered = [0] * self.shards
        """Lines routed to each worker (sent, or waiting in a batch) less its results."""

    async def start(self) -> None:
        """Start the workers (or take the forked ones), each with its share of
        ``--concurrency`` and ``--per-host``."""
        share = dataclasses.replace(
            self.options,
            concurrency=max(1, self.options.concurrency // self.shards),
            per_host=self.options.per_host_share(self.shards),
        )
        for forked in self.forked:
            self.workers.append(forked)  # first: stop() ends it, even if attaching fails
            await forked.attach()
        while len(self.workers) < self.shards:
            self.workers.append(await _start())
        for worker in self.workers:
            await _send(worker, share)

    async def run(self, targets: Iterable[Target] | TargetReader) -> None:
        """Feed the lines to the workers and collect their results, until all are in."""
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._feed(targets))
                for index, worker in enumerate(self.workers):
                    group.create_task(self._collect(index, worker))
        finally:
            await self.results.put(None)

    async def _feed(self, targets: Iterable[Target] | TargetReader) -> None:
        from .checker import QUEUE_PER_WORKER, invalid_result
        from .streams import each_in_thread

        batches: list[list[_Line]] = [[] for _ in self.workers]
        # A file's URL lines go to the workers unparsed: parsing is theirs, in parallel.
        lines = targets.raw_lines() if isinstance(targets, TargetReader) else targets
        ahead = self.options.concurrency * QUEUE_PER_WORKER
        async with contextlib.aclosing(each_in_thread(lines, ahead)) as items:
            async for item in items:
                if isinstance(item, CheckResult):  # answered from the history (--cache)
                    await self.results.put([item])
                    continue
                if isinstance(item, Target) and item.problem is not None:
                    await self.results.put([invalid_result(item)])
                    continue
                index, line = self._route(item)
                self.unanswered[index] += 1
                batch = batches[index]
                batch.append(line)
                if len(batch) >= BATCH:
                    await _send(self.workers[index], batch)
                    batches[index] = []
        for worker, batch in zip(self.workers, batches, strict=True):
            if batch:
                await _send(worker, batch)
            assert worker.stdin is not None
            worker.stdin.close()

    def _route(self, item: Target | tuple[str, str, int]) -> tuple[int, _Line]:
        """Which worker a line goes to, and the line as that worker takes it: a URL that
        may be listed again goes to its hash's worker, so every line of it meets one worker,
        which checks it once; a URL listed once goes to the worker least behind."""
        line: Target | str
        if isinstance(item, Target):
            line, url = dataclasses.replace(item, parsed=None), item.url
            source, number = item.source, item.line
        else:
            line, source, number = item
            url = url_word(line) or ""  # a URL line, as iter_lines said
        repeat = self.may_repeat is None or self.may_repeat(Target(url=url, display=url))
        if repeat:
            index = hash(url) % self.shards
        else:
            unanswered = self.unanswered
            index = unanswered.index(min(unanswered))
        return index, (line, source, number, repeat)

    async def _collect(self, index: int, worker: _Worker) -> None:
        assert worker.stdout is not None
        while (message := await _receive(worker.stdout)) is not None:
            self.unanswered[index] -= len(message)
            await self.results.put(message)
        if await worker.wait() != 0:
            raise ShardError(f"a worker process ended with status {worker.returncode}")

    async def stop(self) -> None:
        """Make sure no worker outlives the run."""
        for worker in self.workers:
            if worker.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.kill()
                await worker.wait()


async def _start() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *worker_command("urlcheck.shards"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        # Not in the terminal's process group: Ctrl-C is the parent's, which stops them.
        # Should the parent vanish, a worker ends at the end of its input or its next write.
        start_new_session=True,
    )


class Forked:
    """A worker forked by `prefork`: its pid and this side of its two pipes, and the little
    of `asyncio.subprocess.Process` that `_Workers` uses, once `attach`ed to the loop."""

    def __init__(self, pid: int, to_worker: int, from_worker: int) -> None:
        self.pid = pid
        self._to = to_worker
        self._from = from_worker
        self.stdin: asyncio.StreamWriter | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.returncode: int | None = None
        self._waited: asyncio.Future[int] | None = None

    async def attach(self) -> None:
        """Its pipes, as the streams of a started process (in the loop that uses them)."""
        loop = asyncio.get_running_loop()
        # The transports own the pipes from here, and close them when they close. uvloop
        # closes the descriptor itself, then the file again: that second close must not
        # hit a file another thread has opened under the same number meanwhile.
        owns = not type(loop).__module__.startswith("uvloop")
        reader = asyncio.StreamReader()
        from_worker = open(self._from, "rb", buffering=0, closefd=owns)  # noqa: SIM115
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), from_worker)
        self.stdout = reader
        to_worker = open(self._to, "wb", buffering=0, closefd=owns)  # noqa: SIM115
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, to_worker
        )
        self.stdin = asyncio.StreamWriter(transport, protocol, None, loop)

    def kill(self) -> None:
        if self.returncode is None and (self._waited is None or not self._waited.done()):
            os.kill(self.pid, signal.SIGKILL)  # (once waited for, its pid may be another's)

    async def wait(self) -> int:
        """Its exit status, as `asyncio.subprocess.Process.wait` gives it (waited for in a
        thread: the loop goes on meanwhile)."""
        if self._waited is None:
            self._waited = asyncio.ensure_future(asyncio.to_thread(_exit_status, self.pid))
            self._waited.add_done_callback(self._ended)
        return await asyncio.shield(self._waited)

    def _ended(self, waited: asyncio.Future[int]) -> None:
        if not waited.cancelled() and waited.exception() is None:
            self.returncode = waited.result()

    def discard(self) -> None:
        """End it, if the run never took it (it stopped before its checks began)."""
        if self.stdin is not None or self._waited is not None:
            return  # the run's: `_Workers.stop` ends it
        for fd in (self._to, self._from):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.returncode = _exit_status(self.pid)


def _exit_status(pid: int) -> int:
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def prefork(shards: int) -> list[Forked] | None:
    """Fork `shards` workers now, or None where that is not safe: not on Linux (macOS's
    system libraries refuse to run in a forked child), or once this process has a thread
    (a lock held by it would stay held in the child). Until it is sent its options, a
    worker waits; should this process end first, the worker ends too, silently."""
    if not sys.platform.startswith("linux") or _has_threads():
        return None
    for stream in (sys.stdout, sys.stderr):  # else a child could write them out again
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    # What this process made so far is never collected again, here or in a worker: a
    # worker's collections would otherwise write to every object it shares with this one,
    # and its copy of each page that holds one (1.9 MB of PSS at 10,000 URLs, see
    # benchmarks/findings.md; Python's documentation of gc.freeze advises it before fork).
    gc.freeze()
    workers: list[Forked] = []
    ours: list[int] = []
    pending: list[int] = []  # the pipes of the worker being forked, until it is
    try:
        for _ in range(shards):
            down = os.pipe()
            pending = [*down]
            up = os.pipe()
            pending += up
            pid = os.fork()
            if pid == 0:  # the worker: it never returns from here
                _forked_main(down[0], up[1], [down[1], up[0], *ours])
            os.close(down[0])
            os.close(up[1])
            pending = []
            ours += [down[1], up[0]]
            workers.append(Forked(pid, down[1], up[0]))
    except OSError:  # no more processes or files: those forked end as their pipes close
        for fd in ours + pending:
            os.close(fd)
        for worker in workers:
            os.waitpid(worker.pid, 0)
        gc.unfreeze()  # the workers the run starts instead share nothing with this process
        return None
    return workers


def _has_threads() -> bool:
    """Whether this process runs another thread, one started in C included."""
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:
        return threading.active_count() > 1


def _forked_main(stdin: int, stdout: int, others: list[int]) -> None:
    code = 1
    try:
        os.setsid()  # as a started worker: Ctrl-C in the terminal is the parent's alone
        for fd in others:  # the other workers' pipes: their ends must close when ours do
            os.close(fd)
        import fcntl  # (POSIX: only here)

        # Above 2 first: a pipe may have been given 0 or 1 (the parent's were closed).
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 3) for fd in (stdin, stdout)]
        os.close(stdin)
        os.close(stdout)
        os.dup2(high[0], 0)
        os.dup2(high[1], 1)  # anything printed by mistake breaks a frame: seen, not mixed in
        os.close(high[0])
        os.close(high[1])
        with open(0, "rb", closefd=False) as lines, open(1, "wb", closefd=False) as results:
            serve(lines, results, forked=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        if sys.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
        os._exit(code)


async def _send(worker: _Worker, message: object) -> None:
    assert worker.stdin is not None
    worker.stdin.write(frame(message))
    await worker.stdin.drain()


async def _receive(stream: asyncio.StreamReader) -> Any:
    try:
        head = await stream.readexactly(LENGTH.size)
        return unframe(await stream.readexactly(LENGTH.unpack(head)[0]))
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ShardError("a worker process broke off its answer") from None
        return None
    except EOFError as exc:
        raise ShardError(f"a worker process sent an answer that cannot be read: {exc}") from None


# The worker's side.


def _read_message(stream: BinaryIO) -> Any:
    try:
        return read_frame(stream)
    except EOFError:
        return None  # the parent stopped mid-message: nothing more will come


def _worker_targets(stream: BinaryIO, repeats: set[_Place]) -> Iterable[Target | RawLine]:
    """The parent's URL lines as they come, unparsed: the checker parses them on its loop
    (see `TargetReader.unparsed`). `repeats` gets the (source, line number) of every line
    whose URL a later line repeats."""
    while (batch := _read_message(stream)) is not None:
        for line, source, number, repeat in batch:
            if isinstance(line, Target):
                source, number = line.source, line.line
            if repeat:
                repeats.add((source, number))
            yield line if isinstance(line, Target) else (line, source, number)


async def _work(options: CheckOptions, stdin: BinaryIO, stdout: BinaryIO) -> None:
    from .checker import check_urls

    repeats: set[_Place] = set()
    batch: list[CheckResult] = []
    # Results go out through the loop's own pipe transport: a parent slow to read (a --db
    # another writer holds) buffers them here instead of freezing the loop and its clocks.
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, stdout)

    def send() -> None:
        if transport.is_closing():  # the parent is gone: nobody wants the rest
            os._exit(0)
        if batch:
            transport.write(frame(batch))
            batch.clear()

    async def send_often() -> None:  # a result waits FLUSH_SECONDS at most, however few come
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            send()

    flusher = asyncio.create_task(send_often())
    try:
        async with contextlib.aclosing(
            check_urls(
                _worker_targets(stdin, repeats),
                options,
                may_repeat=lambda t: (t.source, t.line) in repeats,
            )
        ) as results:
            async for result in results:
                batch.append(result)
                if len(batch) >= BATCH:
                    send()
    finally:
        flusher.cancel()
    send()
    while transport.get_write_buffer_size() and not transport.is_closing():
        await asyncio.sleep(0.01)  # let the pipe take the last results
    transport.close()


def main() -> None:
    """``python -m urlcheck.shards``: one worker, started by `check_urls_sharded`."""
    serve(sys.stdin.buffer, sys.stdout.buffer)


def serve(stdin: BinaryIO, stdout: BinaryIO, *, forked: bool = False) -> None:
    """One worker's life: its options, then URL lines in and results out, to the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    collector.tune()
    options = _read_message(stdin)
    if options is None and forked:
        return  # the parent ended before it needed this worker
    if not isinstance(options, CheckOptions):
        sys.exit("urlcheck.shards: started by urlcheck for long lists, not by hand")
    try:
        loops.run(_work(options, stdin, stdout))
    except BrokenPipeError:  # the parent stopped (Ctrl-C, or a closed output): stop too
        os._exit(0)


if __name__ == "__main__":
    main()
