"""The documents of a run, read into what `check_urls` takes: a `Target` for each remote
link, a finished `CheckResult` for every other (local files, fragments, skipped schemes).

Documents are parsed in worker processes (`workers`) when there are many and more than one
core, else here; either way this runs in the checker's reader thread, never on the event
loop. A link to a fragment of another document of the run waits until that document is
parsed, so each document is parsed once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..models import CheckResult, Target
from ..processes import cores
from .found import Found, Parsed, Settings, Verdict, verdict_result
from .local import LocalFiles, decide
from .parse import Parser
from .walk import Document

if TYPE_CHECKING:
    from .workers import Workers

POOL_MIN_DOCUMENTS = 200
"""Fewer documents are parsed in this process with ``--offline``: starting workers (about
0.1 s) would cost more than they save."""
POOL_MIN_DOCUMENTS_ONLINE = 50
"""With links checked on the network, from this many: parsed in this process beside the
checks in flight, documents made the links' times 3x the server's (150 documents, 3,750
links to nginx: elapsed_ms p50 16 ms, as a URL list 5 ms); in workers they are the list's,
at 1.02x the wall (1.10x at 50 documents, 1.19x at 20)."""
WORKERS_MAX = 4


@dataclass
class DocumentReader:
    """Reads a run's documents into targets and results (iterate it once)."""

    documents: list[Document]
    settings: Settings = field(default_factory=Settings)
    errors: list[str] = field(default_factory=list)
    processes: int = 0
    """Worker processes to parse with: 0 decides by the number of documents and cores."""
    _workers: Workers | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Start the worker processes now, if the documents are to be parsed in any, so that
        they are ready when the run begins to read (see `close`)."""
        count = self._count()
        if count > 1 and self._workers is None:
            from .workers import Workers

            try:
                self._workers = Workers(self.settings, count)
            except OSError:  # no process to be had (EMFILE, EAGAIN): parse them here
                self.processes = 1

    def close(self) -> None:
        """Stop the workers `start` started, if the run did not read the documents."""
        if self._workers is not None:
            self._workers.close()

    def __iter__(self) -> Iterator[list[CheckResult] | Target]:
        files = LocalFiles()
        upcoming = {document.absolute for document in self.documents}
        waiting: dict[str, list[tuple[Document, Found]]] = {}
        for parsed in self._parsed():
            path = parsed.absolute
            document = Document(parsed.path, parsed.kind, path)
            upcoming.discard(path)
            if parsed.error is not None:
                self.errors.append(parsed.error)
            files.learn(parsed)
            decided = [decide(d, found, files, self.settings) for d, found in waiting.pop(path, ())]
            for found in parsed.deferred:
                if found.target in upcoming:
                    waiting.setdefault(found.target, []).append((document, found))
                else:  # read already, or no document of the run: read here if need be
                    decided.append(decide(document, found, files, self.settings))
            yield from _batched([*parsed.items, *decided])
        for pending in waiting.values():  # documents that were never parsed after all
            yield from _batched([decide(d, found, files, self.settings) for d, found in pending])

    def _count(self) -> int:
        if self.processes:
            return self.processes
        least = POOL_MIN_DOCUMENTS if self.settings.offline else POOL_MIN_DOCUMENTS_ONLINE
        if len(self.documents) < least:
            return 1
        return min(cores(), WORKERS_MAX)

    def _parsed(self) -> Iterator[Parsed]:
        self.start()
        if self._workers is None:
            parser = Parser(self.settings)  # this run's lookups: files change between runs
            for document in self.documents:
                yield parser.parse(document)
            return
        yield from self._workers.parse(self.documents)


def _batched(items: list[Verdict | Target]) -> Iterator[list[CheckResult] | Target]:
    """Targets one by one, and the results among them in one list: the checker passes a
    list on in one step, which at 200,000 links is most of a run's overhead saved."""
    results = [verdict_result(item) for item in items if isinstance(item, tuple)]
    if results:
        yield results
    for item in items:
        if isinstance(item, Target):
            yield item
