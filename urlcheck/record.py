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

Defining one is cheaper too (no generated ``__setattr__``/``__delattr__`` to compile):
the 31 dataclasses a one-URL run defines took 26 ms to make on this project's 2-core
machine as frozen ones, 19 ms with the frozen ones as records.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[_T]) -> type[_T]:
    """``@dataclass(frozen=True, slots=True)`` to the type checker; see the module."""
    return dataclasses.dataclass(slots=True, unsafe_hash=True)(cls)
