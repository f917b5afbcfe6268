""" "A URL listed twice is requested once": the one rule, for the local checker and for the
cluster's client alike."""

from __future__ import annotations

from collections.abc import Callable

from .fragments import Anchors, judge
from .models import CheckResult, Target


class Duplicates:
    """Which lines repeat a URL (with the same expectations) already checked or being checked,
    and the results that answer them.

    A finished result is kept for later lines only when `may_repeat` says its URL may come
    again (see `scan.scan_sources`); without it, every result is kept.
    """

    def __init__(self, may_repeat: Callable[[Target], bool] | None = None) -> None:
        self._may_repeat = may_repeat
        self._waiting: dict[object, list[Target]] = {}
        """Keys being checked → the later lines that listed them again."""
        self._done: dict[object, tuple[CheckResult, Anchors | None]] = {}

    def claim(self, target: Target) -> CheckResult | bool:
        """True: check `target`; False: the same URL is being checked, its result will do
        (see `settle`); a result: the answer for this line, from an earlier check."""
        key = target.key
        done = self._done.get(key)
        if done is not None:
            return _answer(target, *done)
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.append(target)
            return False
        self._waiting[key] = []
        return True

    def settle(
        self, target: Target, result: CheckResult, anchors: Anchors | None = None
    ) -> list[CheckResult]:
        """`target` was checked (its page's `anchors` read, for a link with a fragment):
        the results for the lines that waited for it."""
        key = target.key
        if self._may_repeat is None or self._may_repeat(target):
            self._done[key] = (result, anchors)
        return [_answer(again, result, anchors) for again in self._waiting.pop(key, ())]

    def is_pending(self, target: Target) -> bool:
        """Whether `target`'s URL was claimed and is not settled yet."""
        return target.key in self._waiting


def _answer(target: Target, result: CheckResult, anchors: Anchors | None) -> CheckResult:
    """The checked page's result for another line or link to it, its own fragment judged."""
    return judge(result.for_line(target), target.fragment, anchors)
