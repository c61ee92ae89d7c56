"""Streaming reader: walk the chunks of a sparse image, validating as it goes.

Memory stays bounded: RAW data is handed out in pieces of at most ``buffer`` bytes.
"""

from __future__ import annotations

import os
import stat
import struct

from unlocker.errors import ImageError
from unlocker.i18n import _
from unlocker.record import Record
from unlocker.sparse.format import (
    CHUNK_HEADER,
    CHUNK_NAMES,
    CRC32,
    DONT_CARE,
    FILE_HEADER_SIZE,
    FILL,
    RAW,
    SparseHeader,
    parse_header,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

BUFFER = 1024 * 1024


class Chunk(Record):
    index: int
    kind: int
    start_block: int  # first output block this chunk covers
    blocks: int  # output blocks covered
    data_offset: int  # where its payload starts in the sparse file
    data_size: int  # payload bytes after the chunk header
    fill: bytes | None = None  # FILL: the 4-byte pattern
    crc: int | None = None  # CRC32 chunk: the expected checksum

    @property
    def name(self) -> str:
        return CHUNK_NAMES.get(self.kind, hex(self.kind))


def read_header(f: BinaryIO) -> SparseHeader:
    header = parse_header(f.read(FILE_HEADER_SIZE))
    if header.file_hdr_sz > FILE_HEADER_SIZE:
        _skip(f, header.file_hdr_sz - FILE_HEADER_SIZE, _("file header"))
    return header


def iter_chunks(
    f: BinaryIO, header: SparseHeader, *, payloads: bool = True
) -> Iterator[tuple[Chunk, Iterator[bytes]]]:
    """Yield each chunk and an iterator over its RAW payload (empty for other kinds).

    The payload iterator must be consumed (or ``payloads=False`` given, to skip by seeking)
    before the next chunk is requested. Inconsistencies raise ImageError naming the chunk.
    """
    block = 0
    offset = header.file_hdr_sz
    for index in range(header.total_chunks):
        raw = f.read(header.chunk_hdr_sz)
        if len(raw) < header.chunk_hdr_sz:
            raise ImageError(
                _("sparse image truncated: chunk {number} of {total} is missing").format(
                    number=index + 1, total=header.total_chunks
                )
            )
        kind, _reserved, blocks, total = CHUNK_HEADER.unpack_from(raw)
        size = total - header.chunk_hdr_sz
        where = _("chunk {number} of {total}").format(number=index + 1, total=header.total_chunks)
        if size < 0:
            raise ImageError(
                _("{chunk}: total size {size} is smaller than its header").format(chunk=where, size=total)
            )
        if block + blocks > header.total_blks:
            raise ImageError(
                _("{chunk} claims blocks up to {end}, but the image has only {total}").format(
                    chunk=where, end=block + blocks, total=header.total_blks
                )
            )
        data_offset = offset + header.chunk_hdr_sz
        fill = crc = None
        if kind == RAW:
            if size != blocks * header.blk_sz:
                raise ImageError(
                    _("{chunk}: RAW chunk has {size} bytes for {blocks} blocks of {block_size}").format(
                        chunk=where, size=size, blocks=blocks, block_size=header.blk_sz
                    )
                )
        elif kind == FILL:
            if size != 4:
                raise ImageError(
                    _("{chunk}: FILL chunk must carry 4 bytes, has {size}").format(chunk=where, size=size)
                )
            fill = _read_exact(f, 4, where)
        elif kind == DONT_CARE:
            if size != 0:
                raise ImageError(
                    _("{chunk}: DONT_CARE chunk must carry no data, has {size}").format(
                        chunk=where, size=size
                    )
                )
        elif kind == CRC32:
            if size != 4 or blocks != 0:
                raise ImageError(
                    _("{chunk}: CRC32 chunk must carry 4 bytes and cover no blocks").format(chunk=where)
                )
            (crc,) = struct.unpack("<I", _read_exact(f, 4, where))
        else:
            raise ImageError(_("{chunk}: unknown chunk type {kind}").format(chunk=where, kind=f"{kind:#06x}"))
        chunk = Chunk(index, kind, block, blocks, data_offset, size, fill, crc)
        if kind == RAW:
            if payloads:
                yield chunk, _payload(f, size, where)
            else:
                _skip(f, size, where)
                yield chunk, iter(())
        else:
            yield chunk, iter(())
        block += blocks
        offset = data_offset + size
    if block != header.total_blks:
        raise ImageError(
            _("sparse chunks cover {blocks} blocks but the header says {total}").format(
                blocks=block, total=header.total_blks
            )
        )


def _payload(f: BinaryIO, size: int, where: str) -> Iterator[bytes]:
    left = size
    while left:
        data = f.read(min(BUFFER, left))
        if not data:
            raise ImageError(
                _("sparse image truncated inside {chunk} ({missing} bytes missing)").format(
                    chunk=where, missing=left
                )
            )
        left -= len(data)
        yield data


def _read_exact(f: BinaryIO, n: int, where: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ImageError(_("sparse image truncated inside {chunk}").format(chunk=where))
    return data


def _skip(f: BinaryIO, n: int, where: str) -> None:
    try:
        before = f.tell()
        f.seek(n, 1)
        # Seeking past the end succeeds silently; compare with the real size instead.
        end = f.seek(0, 2)
        f.seek(before + n)
        if before + n > end:
            raise ImageError(_("sparse image truncated inside {chunk}").format(chunk=where))
    except (OSError, AttributeError):
        for _piece in _payload(f, n, where):
            pass


def has_crc_chunks(f: BinaryIO) -> bool:
    """Pre-scan chunk headers (seeking over payloads) for CRC32 chunks; restores the position."""
    position = f.tell()
    try:
        header = read_header(f)
        return any(chunk.kind == CRC32 for chunk, _data in iter_chunks(f, header, payloads=False))
    finally:
        f.seek(position)


def check_crc(f: BinaryIO) -> int:
    """Verify every CRC32 chunk against the expanded image before it (DONT_CARE counted as zeros,
    as libsparse does); ImageError on a mismatch. Returns how many there were. Reads the image
    from its start, the RAW payloads once; zero and fill runs cost nothing. Restores the position."""
    import zlib  # only images with a CRC32 chunk pay for loading it (start-up, issue 15)

    position = f.tell()
    try:
        f.seek(0)
        header = read_header(f)
        crc = 0
        count = 0
        for chunk, payload in iter_chunks(f, header):
            if chunk.kind == RAW:
                for data in payload:
                    crc = zlib.crc32(data, crc)
            elif chunk.kind == CRC32:
                if chunk.crc != crc:
                    raise ImageError(
                        _("chunk {number}: CRC32 mismatch (image is corrupt)").format(number=chunk.index + 1)
                    )
                count += 1
            else:
                crc = _skip_crc(crc, chunk, header.blk_sz)
        return count
    finally:
        f.seek(position)


def _skip_crc(crc: int, chunk: Chunk, blk_sz: int) -> int:
    """The running CRC after a FILL or DONT_CARE chunk, without expanding it."""
    from unlocker.sparse import crc as crc32

    size = chunk.blocks * blk_sz
    if chunk.kind == FILL:
        assert chunk.fill is not None
        return crc32.repeat(crc, chunk.fill, size // 4)
    if chunk.kind == DONT_CARE:
        return crc32.zeros(crc, size)
    return crc


def apply_sparse(src: BinaryIO, dst: BinaryIO, *, memory: memoryview | None = None) -> int:
    """Write the image described by ``src`` into ``dst`` in place; DONT_CARE leaves ``dst`` as it was.

    This is what a phone does with each downloaded piece. Returns the expanded size. CRC32
    chunks (rare: img2simg and fastboot never write them) are checked against everything before
    them, as libsparse does; only images that have one pay for computing it. An image of no
    blocks is refused, as libsparse refuses it.

    When both are real files (``fileno()``; ``src`` ending where ``seek(0, 2)`` says), the data
    moves between them in the kernel and FILL chunks of zeros become holes; see ``fileranges``.
    ``memory``, ``src``'s bytes from its start already mapped (the virtual phone's staged download),
    is where RAW payloads are then written from, their long zero runs left as holes too.
    """
    import zlib

    from unlocker.sparse import fileranges  # the phone's side of a flash, not the client's

    check = has_crc_chunks(src)
    base = src.tell()
    header = read_header(src)
    if header.total_blks == 0:
        raise ImageError(_("the sparse image describes an empty image (0 blocks)"))
    # The CRC needs the payloads in Python anyway; only images without one take the file route.
    fds = None if check else _descriptors(src, dst)
    crc = 0
    for chunk, payload in iter_chunks(src, header, payloads=fds is None):
        pos = chunk.start_block * header.blk_sz
        size = chunk.blocks * header.blk_sz
        if chunk.kind == RAW and fds is not None:
            # iter_chunks has checked that src holds the whole payload.
            start = base + chunk.data_offset
            if memory is not None and start + size <= len(memory):
                fileranges.write_data(fds[1], pos, memory[start : start + size])
            else:
                fileranges.copy_range(fds[0], start, fds[1], pos, size)
        elif chunk.kind == RAW:
            dst.seek(pos)
            for data in payload:
                dst.write(data)
                if check:
                    crc = zlib.crc32(data, crc)
        elif chunk.kind == FILL and fds is not None:
            assert chunk.fill is not None
            fileranges.fill_range(fds[1], pos, size, chunk.fill)
        elif chunk.kind == FILL:
            assert chunk.fill is not None
            dst.seek(pos)
            for data in _repeat(chunk.fill, size):
                dst.write(data)
            if check:
                crc = _skip_crc(crc, chunk, header.blk_sz)
        elif chunk.kind == DONT_CARE and check:
            crc = _skip_crc(crc, chunk, header.blk_sz)
        elif chunk.kind == CRC32 and chunk.crc != crc:
            raise ImageError(
                _("chunk {number}: CRC32 mismatch (image is corrupt)").format(number=chunk.index + 1)
            )
    dst.seek(0, 2)
    if dst.tell() < header.expanded_size:
        dst.truncate(header.expanded_size)
    return header.expanded_size


def _descriptors(src: BinaryIO, dst: BinaryIO) -> tuple[int, int] | None:
    """Both files' descriptors, with ``dst``'s buffer written out; None unless both are regular files
    (pipes cannot be read at an offset; devices take the plain route)."""
    try:
        fds = src.fileno(), dst.fileno()
        if not all(stat.S_ISREG(os.fstat(fd).st_mode) for fd in fds):
            return None
    except (AttributeError, OSError, ValueError):
        return None
    dst.flush()
    return fds


def _repeat(pattern: bytes, size: int) -> Iterator[bytes]:
    """``size`` bytes of a repeated 4-byte pattern, in bounded pieces."""
    block = pattern * (BUFFER // 4)
    left = size
    while left:
        n = min(left, len(block))
        yield block if n == len(block) else block[:n]
        left -= n
