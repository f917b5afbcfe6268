"""The worker's side: check one chunk through the very same core as a local run."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from ..models import CheckResult, Target
from ..options import CheckOptions
from .wire import from_json


def check_chunk(targets: list[dict[str, Any]], options: dict[str, Any]) -> list[dict[str, Any]]:
    """Check one chunk through the core; one result dict per target, in the chunk's order."""
    from asgiref.sync import async_to_sync

    from ..checker import check_urls

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
