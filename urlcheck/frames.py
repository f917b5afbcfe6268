"""Messages between urlcheck and the worker processes it starts (`shards`, the documents'
`documents.workers`): pickles with a 4-byte length in front. They only ever pass between a
parent and the children it started, never from elsewhere."""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

LENGTH = struct.Struct("!I")


def frame(message: object) -> bytes:
    """`message` as one frame."""
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return LENGTH.pack(len(data)) + data


def read_frame(stream: IO[bytes]) -> Any:
    """The next message on a blocking stream, or None at its end (EOFError: cut short, or
    garbled by something else that wrote to the stream)."""
    head = stream.read(LENGTH.size)
    if not head:
        return None
    if len(head) < LENGTH.size:
        raise EOFError("a message was cut short")
    size = LENGTH.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("a message was cut short")
    return unframe(data)


def unframe(data: bytes) -> Any:
    """The message of a frame's body (EOFError: garbled)."""
    try:
        return pickle.loads(data)
    except pickle.UnpicklingError as exc:
        raise EOFError(f"a message was garbled ({exc})") from None
