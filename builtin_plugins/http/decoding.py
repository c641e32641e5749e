"""An answer's Content-Encoding, decoded here rather than by httpx, so that no step holds more than
one piece: httpx inflates each network read whole (64 KB of gzip can become 64 MB before a size
cap is looked at, and `gzip, gzip` a gigabyte). Each zlib call is given `max_length`, and what it
did not consume yet waits in its `unconsumed_tail` for the next call, so a bomb is inflated one
piece at a time and the caller stops at the piece that passes its cap.

The client asks only for what is decoded here (ACCEPT_ENCODING). An answer in any other coding
(br, zstd, compress, one nobody knows, more than MAX_CODINGS in a row: a server sends those when a
service's own Accept-Encoding header asks for them, or when it ignores the header) is passed on
undecoded, as the server sent it, with its content-encoding header: its bytes are bounded like any
others, and a bounded decoder for it is not at hand (brotli, zstandard are not dependencies)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

ACCEPT_ENCODING = "gzip, deflate"
GZIP = ("gzip", "x-gzip")  # x-gzip: the old name, to be read as gzip (RFC 9110, 8.4.1.3)
DEFLATE = "deflate"
MAX_CODINGS = 4  # `gzip, gzip` is a bomb's trick already; a longer chain is no real server's


class Inflater:
    """One gzip or deflate coding, at most `piece` bytes out of each zlib call. Data past the end
    of the compressed stream is ignored (as httpx did), never kept."""

    def __init__(self, coding: str, piece: int) -> None:
        self.piece = piece
        self.zlib = zlib.decompressobj(zlib.MAX_WBITS | 16) if coding in GZIP else None
        self.head = b""  # deflate: its first two bytes tell a zlib stream (RFC 9110) from a raw one (what some servers send)

    def inflate(self, data: bytes) -> Iterator[bytes]:
        if self.zlib is None:
            data, self.head = self.head + data, b""
            if len(data) < 2:
                self.head = data
                return
            self.zlib = zlib.decompressobj(zlib.MAX_WBITS if zlib_header(data) else -zlib.MAX_WBITS)
        while not self.zlib.eof:
            out = self.zlib.decompress(data, self.piece)
            data = self.zlib.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < self.piece:  # all input taken and nothing left inside zlib
                return


def zlib_header(data: bytes) -> bool:
    """RFC 1950: method 8 (deflate) and a header that is a multiple of 31."""
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class Decoder:
    """The codings of one answer, undone in the reverse of the order they were applied; no
    layers when the answer is not encoded or is passed on as it came (`of`)."""

    def __init__(self, codings: list[str], piece: int) -> None:
        self.layers = [Inflater(coding, piece) for coding in reversed(codings)]

    @classmethod
    def of(cls, content_encoding: list[str], piece: int) -> "Decoder":
        """`content_encoding`: the header's values, split at commas."""
        codings = [value.strip().lower() for value in content_encoding]
        codings = [coding for coding in codings if coding not in ("", "identity")]
        if len(codings) > MAX_CODINGS or any(coding not in (*GZIP, DEFLATE) for coding in codings):
            return cls([], piece)
        return cls(codings, piece)

    def decode(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next `raw` bytes, at most `piece` bytes each, made one at
        a time as they are asked for: zlib.error when the body is not what its coding says."""
        return self._through(0, raw)

    def _through(self, depth: int, data: bytes) -> Iterator[bytes]:
        if depth == len(self.layers):
            if data:
                yield data
            return
        for out in self.layers[depth].inflate(data):
            yield from self._through(depth + 1, out)
