"""The head of a body, as far as a check reads one: decoded from gzip or deflate, never more
than a limit, however the server compresses or however long it would go on."""

from __future__ import annotations

import zlib


class BodyReader:
    """Collects at most `limit` bytes of a body's content, decoding ``Content-Encoding``
    gzip and deflate (what the requests offer); any other encoding is kept as it came."""

    __slots__ = ("_decoder", "_parts", "_raw_deflate", "limit", "size", "types")

    def __init__(
        self, limit: int, encoding: str | None, types: frozenset[str] | None = None
    ) -> None:
        self.limit = limit
        self.types = types
        """The media types whose body is wanted (None: any); see `wants`."""
        self.size = 0
        self._parts: list[bytes] = []
        coding = (encoding or "").strip().lower()
        self._raw_deflate = False
        if coding in ("gzip", "x-gzip"):
            self._decoder: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            # "deflate" is zlib-wrapped by the standard and raw by some servers (aiohttp and
            # browsers accept both): the first bytes tell which.
            self._decoder = None
            self._raw_deflate = True
        else:
            self._decoder = None

    def wants(self, content_type: str) -> bool:
        """Whether a body of this ``Content-Type`` is to be read at all."""
        types = self.types
        return types is None or content_type.partition(";")[0].strip().lower() in types

    @property
    def full(self) -> bool:
        """Whether the limit is reached: nothing more needs to be read."""
        return self.size >= self.limit

    def feed(self, data: bytes) -> None:
        """Take the next piece of the body as it came off the wire."""
        if self.full or not data:
            return
        if self._raw_deflate:
            self._raw_deflate = False
            wbits = zlib.MAX_WBITS if len(data) >= 2 and _zlib_header(data) else -zlib.MAX_WBITS
            self._decoder = zlib.decompressobj(wbits)
        if self._decoder is not None:
            try:
                # max_length: a small compressed body cannot inflate past the limit in memory.
                data = self._decoder.decompress(data, self.limit - self.size)
            except zlib.error:
                self._decoder = None  # undecodable: what was decoded so far stands
                self.size = self.limit
                return
        room = self.limit - self.size
        piece = data[:room]
        self._parts.append(piece)
        self.size += len(piece)

    def content(self) -> bytes:
        """What was collected."""
        return b"".join(self._parts)


def _zlib_header(data: bytes) -> bool:
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0
