"""What travels between the client and the workers, as plain JSON: targets and options one
way, results the other. Each type has its own explicit pair of functions, field by field:
nothing is evaluated, and a field this version does not know is an error for what the
workers are told to do (a worker must not silently ignore an option the client was given)
and dropped from what they answer (a newer worker's result still reads)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..models import CheckResult, ErrorKind, Expectations, StatusRanges, Target
from ..options import CheckOptions

_T = TypeVar("_T")
Wire = dict[str, Any]


def _optional(decode: Callable[[Any], _T]) -> Callable[[Any], _T | None]:
    return lambda value: None if value is None else decode(value)


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(text)) for name, text in value)


def _build(
    cls: type[_T], decoders: Mapping[str, Callable[[Any], Any]], data: Wire, strict: bool
) -> _T:
    unknown = sorted(set(data) - set(decoders))
    if unknown and strict:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(unknown)}")
    return cls(**{name: decode(data[name]) for name, decode in decoders.items() if name in data})


_OPTIONS: dict[str, Callable[[Any], Any]] = {
    "concurrency": int,
    "per_host": int,
    "timeout": float,
    "retries": int,
    "max_redirects": int,
    "accept": lambda text: StatusRanges(str(text)),
    "method": str,
    "user_agent": _optional(str),
    "headers": _pairs,
    "insecure": bool,
    "max_ms": _optional(float),
    "cert_days": _optional(float),
    "ca_bundle": _optional(str),
    "backoff": float,
    "retry_wait_max": float,
    "unverified": str,
    "retry_refused": bool,
}


def options_to_wire(options: CheckOptions) -> Wire:
    """`CheckOptions` as JSON values."""
    data = {name: getattr(options, name) for name in _OPTIONS}
    data["accept"] = str(options.accept)
    data["headers"] = [list(pair) for pair in options.headers]
    if options.unverified == "fail":
        del data["unverified"]  # the default: options stay readable by older workers
    if not options.retry_refused:
        del data["retry_refused"]
    return data


def options_from_wire(data: Wire, *, strict: bool = True) -> CheckOptions:
    """`CheckOptions` from `options_to_wire`'s values; ValueError for a bad or unknown one."""
    return _build(CheckOptions, _OPTIONS, data, strict)


_EXPECT: dict[str, Callable[[Any], Any]] = {
    "status": _optional(lambda text: StatusRanges(str(text))),
    "max_ms": _optional(float),
    "contains": _optional(str),
}


def _expect_to_wire(expect: Expectations | None) -> Wire | None:
    if expect is None:
        return None
    return {
        "status": None if expect.status is None else str(expect.status),
        "max_ms": expect.max_ms,
        "contains": expect.contains,
    }


_TARGET: dict[str, Callable[[Any], Any]] = {
    "url": str,
    "display": str,
    "source": str,
    "line": int,
    "problem": _optional(str),
    "problem_kind": ErrorKind,
    "expect": _optional(lambda data: _build(Expectations, _EXPECT, data, True)),
    "column": _optional(int),
}


def target_to_wire(target: Target) -> Wire:
    """A `Target` as JSON values (its parsed URL stays behind: the worker parses again)."""
    return {
        "url": target.url,
        "display": target.display,
        "source": target.source,
        "line": target.line,
        "problem": target.problem,
        "problem_kind": str(target.problem_kind),
        "expect": _expect_to_wire(target.expect),
        # Only a document's links have one: a list's targets stay readable by older workers.
        **({"column": target.column} if target.column is not None else {}),
    }


def target_from_wire(data: Wire, *, strict: bool = True) -> Target:
    """A `Target` from `target_to_wire`'s values."""
    return _build(Target, _TARGET, data, strict)


_RESULT: dict[str, Callable[[Any], Any]] = {
    "url": str,
    "line": int,
    "ok": bool,
    "status": _optional(int),
    "reason": _optional(str),
    "elapsed_ms": float,
    "final_url": _optional(str),
    "redirects": int,
    "method": _optional(str),
    "attempts": int,
    "error_kind": _optional(ErrorKind),
    "error": _optional(str),
    "file": str,
    "cert_days": _optional(float),
    "id": str,
    "column": _optional(int),
    "skipped": bool,
    "warning": bool,
    "cached": bool,
}
assert set(_RESULT) == set(CheckResult.FIELDS), "every result field travels"


def result_to_wire(result: CheckResult) -> Wire:
    """A `CheckResult` as JSON values: those of ``--format json``."""
    return result.to_dict()


def result_from_wire(data: Wire, *, strict: bool = False) -> CheckResult:
    """A `CheckResult` from a worker's values (fields this version does not know dropped)."""
    return _build(CheckResult, _RESULT, data, strict)


_TO: dict[type, Callable[[Any], Wire | None]] = {
    CheckOptions: options_to_wire,
    Target: target_to_wire,
    CheckResult: result_to_wire,
    Expectations: _expect_to_wire,
}
_FROM: dict[type, Callable[..., Any]] = {
    CheckOptions: options_from_wire,
    Target: target_from_wire,
    CheckResult: result_from_wire,
}


def to_json(value: CheckOptions | Target | CheckResult | Expectations) -> Any:
    """Any of the types that travel, as JSON values (see the `*_to_wire` functions)."""
    return _TO[type(value)](value)


def from_json(cls: type[_T], data: Wire, *, strict: bool = True) -> _T:
    """Any of the types that travel, from JSON values (see the `*_from_wire` functions)."""
    result: _T = _FROM[cls](data, strict=strict)
    return result
