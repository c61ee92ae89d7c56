"""Sparse files produced on the fly from extents: for writing to disk and for sending pieces.

``SparseStream`` is a read-only file object whose bytes are a complete sparse image; its
``size`` is known before the first byte, so it can be passed straight to a fastboot download.
"""

from __future__ import annotations

import io
import os
import stat
import struct

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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from typing import BinaryIO

_COPY = 1024 * 1024
#: A trailing CRC32 chunk: header and the 4-byte checksum.
CRC_CHUNK_SIZE = CHUNK_HEADER_SIZE + 4


def chunk_bytes(extent: Extent, blk_sz: int) -> int:
    """Bytes an extent takes in a sparse file, header included."""
    return CHUNK_HEADER_SIZE + (extent.blocks * blk_sz if extent.kind == RAW else 4)


def _with_gaps(extents: Iterable[Extent], total_blks: int) -> Iterator[tuple[int, int, int, bytes]]:
    """(kind, blocks, source offset, fill) of each chunk: the extents with DONT_CARE runs between
    them, so the chunks cover every block; made as they are used, so a piece of many extents is
    never held twice. Extents are unpacked, not read by name: this runs twice per chunk sent."""
    block = 0
    for kind, start, blocks, source_offset, fill in extents:
        if start > block:
            yield DONT_CARE, start - block, 0, b""
        yield kind, blocks, source_offset, fill
        block = start + blocks
    if block < total_blks:
        yield DONT_CARE, total_blks - block, 0, b""


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
        self._extents = extents
        self._total_blks = total_blks
        self._crc = crc
        chunks = 0
        size = FILE_HEADER_SIZE
        for kind, blocks, _offset, _fill in _with_gaps(extents, total_blks):
            chunks += 1
            if kind == DONT_CARE:
                size += CHUNK_HEADER_SIZE
            elif kind == RAW:
                size += CHUNK_HEADER_SIZE + blocks * blk_sz
            else:
                size += CHUNK_HEADER_SIZE + 4
        header = SparseHeader(
            1, 0, FILE_HEADER_SIZE, CHUNK_HEADER_SIZE, blk_sz, total_blks, chunks + int(crc), 0
        )
        self._blk_sz = blk_sz
        self.size = size + (CRC_CHUNK_SIZE if crc else 0)
        self._crc_value = 0
        self._header = header.pack()
        self._parts = self._generate(self._header)
        self._pending = _EMPTY
        self._raw: _RawRun | None = None
        self._source_pos = -1  # where the source stands (-1: unknown, seek first)

    def readable(self) -> bool:
        return True

    def _generate(self, header: bytes) -> Iterator[bytes | _RawRun]:
        """The stream's parts in order: headers and fill words as bytes, RAW data as runs that
        ``readinto`` reads straight from the source into the caller's buffer (one copy)."""
        if self._crc:  # a CRC32 chunk is rare (img2simg writes none): only it loads the arithmetic
            from unlocker.sparse import crc as crc32
        yield header
        for kind, blocks, source_offset, fill in _with_gaps(self._extents, self._total_blks):
            if kind == DONT_CARE:
                yield CHUNK_HEADER.pack(DONT_CARE, 0, blocks, CHUNK_HEADER_SIZE)
                if self._crc:
                    self._crc_value = crc32.zeros(self._crc_value, blocks * self._blk_sz)
            elif kind == RAW:
                length = blocks * self._blk_sz
                yield CHUNK_HEADER.pack(RAW, 0, blocks, CHUNK_HEADER_SIZE + length)
                yield _RawRun(source_offset, length)
            else:
                yield CHUNK_HEADER.pack(kind, 0, blocks, CHUNK_HEADER_SIZE + 4) + fill
                if self._crc:
                    self._crc_value = crc32.repeat(self._crc_value, fill, blocks * self._blk_sz // 4)
        if self._crc:
            yield CHUNK_HEADER.pack(CRC32, 0, 0, CRC_CHUNK_SIZE) + struct.pack("<I", self._crc_value)

    def file_segments(self) -> tuple[BinaryIO, Iterator[bytes | tuple[int, int]]] | None:
        """The source and the stream's bytes as literal parts and ``(offset, length)`` ranges of
        it, for senders that hand ranges to the kernel (sendfile) instead of reading them; use
        this or ``readinto``, not both. None when the bytes must pass through ``readinto``: a
        CRC is computed from them, or the source is not a file on disk."""
        if self._crc:
            return None
        try:
            fileno = self._source.fileno()
            st = os.fstat(fileno)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return self._source, self._ranges(st.st_size)

    def _ranges(self, file_size: int) -> Iterator[bytes | tuple[int, int]]:
        for part in self._generate(self._header):
            if not isinstance(part, _RawRun):
                yield part
                continue
            inside = max(0, min(part.left, file_size - part.offset))
            if inside:
                yield (part.offset, inside)
            if inside < part.left:
                # A raw image whose last block is partial: pad, as the layout promised.
                yield bytes(part.left - inside)

    def readinto(self, buffer) -> int:  # noqa: ANN001 - buffer protocol
        out = memoryview(buffer).cast("B")
        written = 0
        while written < len(out):
            if self._raw is not None:
                written += self._read_raw(out[written:])
                continue
            if not self._pending:
                try:
                    part = next(self._parts)
                except StopIteration:
                    break
                if isinstance(part, _RawRun):
                    self._raw = part
                    continue
                self._pending = memoryview(part)
            n = min(len(self._pending), len(out) - written)
            out[written : written + n] = self._pending[:n]
            self._pending = self._pending[n:] if n < len(self._pending) else _EMPTY  # drop the buffer
            written += n
        return written

    def _read_raw(self, out: memoryview) -> int:
        """Fill ``out`` from the current RAW run, straight from the source (no intermediate buffer)."""
        run = self._raw
        assert run is not None
        want = min(run.left, len(out))
        target = out[:want]
        if self._source_pos != run.offset:
            self._source.seek(run.offset)
        got = self._source.readinto(target) or 0
        if got < want and got == 0:
            # A raw image whose last block is partial: pad, as the layout promised.
            target[:] = bytes(want)
            got = want
        if self._crc:
            import zlib

            self._crc_value = zlib.crc32(target[:got], self._crc_value)
        run.offset += got
        run.left -= got
        self._source_pos = run.offset
        if not run.left:
            self._raw = None
        return got


class _RawRun:
    __slots__ = ("left", "offset")

    def __init__(self, offset: int, left: int) -> None:
        self.offset = offset  # in the source
        self.left = left  # bytes still to send


_EMPTY = memoryview(b"")


def write_sparse(
    source: BinaryIO, extents: Sequence[Extent], blk_sz: int, total_blks: int, dst: BinaryIO
) -> int:
    """Write a complete sparse image to ``dst``; returns its size."""
    stream = SparseStream(source, extents, blk_sz, total_blks)
    # shutil.copyfileobj's loop, without importing shutil (start-up time, issue 15).
    while data := stream.read(_COPY):
        dst.write(data)
    return stream.size
