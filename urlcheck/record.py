"""`record`: urlcheck's immutable dataclass (targets, results, responses, links, the
command line's option groups …), immutable to the type checker and cheap to make at run time.

``@dataclass(frozen=True)`` stores each field through ``object.__setattr__``, a call per
field: a result of 19 fields takes about 3.7 µs to make, against 0.44 µs for the same slotted
class unfrozen (``python -m timeit``). At 240,000 links a run, that is most of a second on
one core. So a record is frozen where it is checked, by mypy (``dataclass_transform``
with ``frozen_default``: an assignment to a field is an error in CI), and plain at run
time; hashing and equality stay those of a frozen dataclass. Change one with
`dataclasses.replace`, as a frozen one. Code that is not type-checked can assign to one:
so `CheckOptions`, the library's way in and validated when made, stays a frozen dataclass.

Defining one is cheaper too. A dataclass compiles each method it makes from source, about
0.13 ms each: a one-URL run made 107 of them, 14 ms of its start-up. A record has only its
``__init__`` made so; equality, hashing and ``repr`` are three functions shared by every
record, which compare and show the same fields as a dataclass's would (``compare=``,
``repr=``), by a per-class ``operator.attrgetter`` (as quick as the generated code).
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[_T]) -> type[_T]:
    """``@dataclass(frozen=True, slots=True)`` to the type checker; see the module."""
    made: Any = dataclasses.dataclass(slots=True, eq=False, repr=False)(cls)
    fields = dataclasses.fields(made)
    # A staticmethod: a lambda would otherwise be bound to the instance it is read from.
    made._record_key = staticmethod(_getter(tuple(f.name for f in fields if f.compare)))
    # The fields a dataclass hashes: hash=True, or hash left unset on a compared field.
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    made._record_hashed = staticmethod(_getter(hashed))
    made._record_shown = tuple(f.name for f in fields if f.repr)
    own = cls.__dict__
    if "__eq__" not in own:
        made.__eq__ = _eq
    # As unsafe_hash=True: a hash unless the class gives its own (a body that defines
    # __eq__ gets __hash__ = None from Python, which is not its own).
    if own.get("__hash__") is None:
        made.__hash__ = _hash
    if "__repr__" not in own:
        made.__repr__ = _repr
    return made  # type: ignore[no-any-return]


def _getter(names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """The values of `names`, as one tuple (attrgetter gives a bare value for one name)."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        name = names[0]
        return lambda instance: (getattr(instance, name),)
    return lambda instance: ()


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented  # as a dataclass: another class may know how to compare
    key = self._record_key
    return key(self) == key(other)


def _hash(self: Any) -> int:
    return hash(self._record_hashed(self))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{self.__class__.__qualname__}({shown})"
