"""The URL files the web view serves: read at start, and again whenever one changes."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Target
from ..sources import open_sources

Signature = tuple[tuple[int, int, int] | None, ...]


@dataclass(frozen=True, slots=True)
class UrlList:
    """One reading of the URL files: the targets in order, and what could not be read."""

    targets: tuple[Target, ...]
    errors: tuple[str, ...]
    files: tuple[str, ...]
    """The files that were read, in the order given (order of the results too)."""
    signature: Signature
    version: int
    """Goes up whenever a reading gives different targets: older results are then stale."""


class UrlFiles:
    """The URL files named at start, read again whenever one changes on disk (mtime, size)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(dict.fromkeys(os.fspath(name) for name in names))
        self._lock = threading.Lock()
        self._current = self._read(self._signature(), version=1)

    @property
    def current(self) -> UrlList:
        """The latest reading."""
        return self._current

    def changed(self) -> bool:
        """Whether a file changed on disk since the latest reading (a few stat calls)."""
        return self._signature() != self._current.signature

    def reload(self) -> UrlList:
        """Read the files again if they changed since the latest reading; thread-safe."""
        with self._lock:
            signature = self._signature()
            current = self._current
            if signature != current.signature:
                fresh = self._read(signature, current.version + 1)
                if (fresh.targets, fresh.errors) == (current.targets, current.errors):
                    # Touched but not changed: keep the version, so the cache stays valid.
                    fresh = UrlList(
                        current.targets, current.errors, current.files, signature, current.version
                    )
                self._current = fresh
            return self._current

    def _signature(self) -> Signature:
        # Taken before reading, so a write during the read shows up as a change next time.
        stamps: list[tuple[int, int, int] | None] = []
        for name in self.names:
            try:
                info = os.stat(name)
            except OSError:
                stamps.append(None)
            else:
                stamps.append((info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(stamps)

    def _read(self, signature: Signature, version: int) -> UrlList:
        reader = open_sources(self.names, lists_only=True)
        with contextlib.closing(reader):
            targets = tuple(item for item in reader if isinstance(item, Target))
        files = tuple(source.name for source in reader.sources)
        return UrlList(targets, tuple(reader.errors), files, signature, version)
