"""Sparse files produced on the fly from extents: for writing to disk and for sending pieces.

``SparseStream`` is a read-only file object whose bytes are a complete sparse image; its
``size`` is known before the first byte, so it can be passed straight to a fastboot download.
"""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from unlocker.sparse import crc as crc32
from unlocker.sparse.extents import Extent
from unlocker.sparse.format import (
    CHUNK_HEADER,
    CHUNK_HEADER_SIZE,
    CRC32,
    DONT_CARE,
    FILE_HEADER_SIZE,
    RAW,
    SparseHeader,
)

_COPY = 1024 * 1024
#: A trailing CRC32 chunk: header and the 4-byte checksum.
CRC_CHUNK_SIZE = CHUNK_HEADER_SIZE + 4


def chunk_bytes(extent: Extent, blk_sz: int) -> int:
    """Bytes an extent takes in a sparse file, header included."""
    return CHUNK_HEADER_SIZE + (extent.blocks * blk_sz if extent.kind == RAW else 4)


def _with_gaps(extents: Sequence[Extent], total_blks: int) -> list[Extent | tuple[int, int]]:
    """Interleave DONT_CARE gaps (start, blocks) so the chunks cover every block."""
    out: list[Extent | tuple[int, int]] = []
    block = 0
    for e in extents:
        if e.start_block > block:
            out.append((block, e.start_block - block))
        out.append(e)
        block = e.start_block + e.blocks
    if block < total_blks:
        out.append((block, total_blks - block))
    return out


class SparseStream(io.RawIOBase):
    """A sparse image built from ``extents`` of ``source``, covering ``total_blks`` blocks.

    ``crc``: end with a CRC32 chunk over the whole expanded image, gaps counted as zeros (as
    libsparse checks it), so a piece cut from a CRC-carrying image carries a correct one too.
    """

    def __init__(
        self, source: BinaryIO, extents: Sequence[Extent], blk_sz: int, total_blks: int, *, crc: bool = False
    ) -> None:
        super().__init__()
        self._source = source
        self._items = _with_gaps(extents, total_blks)
        self._crc = crc
        header = SparseHeader(
            1, 0, FILE_HEADER_SIZE, CHUNK_HEADER_SIZE, blk_sz, total_blks, len(self._items) + int(crc), 0
        )
        self._blk_sz = blk_sz
        self.size = FILE_HEADER_SIZE + sum(
            CHUNK_HEADER_SIZE if isinstance(item, tuple) else chunk_bytes(item, blk_sz)
            for item in self._items
        )
        if crc:
            self.size += CRC_CHUNK_SIZE
        self._parts = self._generate(header.pack())
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _generate(self, header: bytes) -> Iterator[bytes | memoryview]:
        yield header
        crc = 0
        for item in self._items:
            if isinstance(item, tuple):
                yield CHUNK_HEADER.pack(DONT_CARE, 0, item[1], CHUNK_HEADER_SIZE)
                crc = crc32.zeros(crc, item[1] * self._blk_sz) if self._crc else crc
            elif item.kind == RAW:
                length = item.blocks * self._blk_sz
                yield CHUNK_HEADER.pack(RAW, 0, item.blocks, CHUNK_HEADER_SIZE + length)
                self._source.seek(item.source_offset)
                left = length
                while left:
                    data = self._source.read(min(_COPY, left))
                    if not data:
                        # A raw image whose last block is partial: pad, as the layout promised.
                        data = b"\0" * min(_COPY, left)
                    left -= len(data)
                    if self._crc:
                        crc = zlib.crc32(data, crc)
                    yield data
            else:
                yield CHUNK_HEADER.pack(item.kind, 0, item.blocks, CHUNK_HEADER_SIZE + 4) + item.fill
                if self._crc:
                    crc = crc32.repeat(crc, item.fill, item.blocks * self._blk_sz // 4)
        if self._crc:
            yield CHUNK_HEADER.pack(CRC32, 0, 0, CRC_CHUNK_SIZE) + struct.pack("<I", crc)

    def readinto(self, buffer) -> int:  # noqa: ANN001 - buffer protocol
        out = memoryview(buffer).cast("B")
        written = 0
        while written < len(out):
            if not self._pending:
                try:
                    self._pending = memoryview(next(self._parts))
                except StopIteration:
                    break
            n = min(len(self._pending), len(out) - written)
            out[written : written + n] = self._pending[:n]
            self._pending = self._pending[n:]
            written += n
        return written


def write_sparse(
    source: BinaryIO, extents: Sequence[Extent], blk_sz: int, total_blks: int, dst: BinaryIO
) -> int:
    """Write a complete sparse image to ``dst``; returns its size."""
    stream = SparseStream(source, extents, blk_sz, total_blks)
    shutil.copyfileobj(stream, dst, _COPY)
    return stream.size
