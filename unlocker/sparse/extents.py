"""An image as a list of extents (RAW from a file, FILL with a pattern), built from raw or sparse files.

Extents are what resparse cuts into pieces and what the writer turns into sparse files; they
reference the source file by offset, so nothing is held in memory.
"""

from __future__ import annotations

import io
import mmap
import os
import struct
from itertools import compress

from unlocker.errors import ImageError
from unlocker.i18n import _
from unlocker.record import Record
from unlocker.sparse.format import CHUNK_HEADER, CHUNK_HEADER_SIZE, CRC32, DONT_CARE, FILL, RAW
from unlocker.sparse.reader import iter_chunks, read_header

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from collections.abc import Sequence as ReadOnlySequence
    from typing import BinaryIO, overload
else:
    from unlocker.sparse.sequence import ReadOnlySequence

BLOCK = 4096
_SCAN = 1024 * 1024  # bytes read per step when scanning a raw image that cannot be mapped
_MAP = 8 * 1024 * 1024  # bytes mapped at a time when scanning a raw image
_SEQUENTIAL = getattr(mmap, "MADV_SEQUENTIAL", None)
# Walking a sparse file's chunk headers: where headers lie close together (small chunks) the file
# is read in large windows; after a long RAW payload only a small one is read where the next
# header starts (the payload itself is never read).
_WINDOW = 1024 * 1024
_PEEK = 4096
_LONG_PAYLOAD = 64 * 1024  # a payload this long is skipped, not read through
_FILL_WORD = CHUNK_HEADER_SIZE + 4


class Extent(Record):
    kind: int  # RAW or FILL (DONT_CARE gaps are implicit)
    start_block: int
    blocks: int
    source_offset: int = 0  # RAW: where the bytes are in the source file
    fill: bytes = b""  # FILL: the 4-byte pattern

    def split(self, blocks: int, blk_sz: int) -> tuple[Extent, Extent]:
        """Cut after ``blocks`` blocks."""
        first = Extent(self.kind, self.start_block, blocks, self.source_offset, self.fill)
        rest = Extent(
            self.kind,
            self.start_block + blocks,
            self.blocks - blocks,
            self.source_offset + blocks * blk_sz if self.kind == RAW else 0,
            self.fill,
        )
        return first, rest


# One extent in an ExtentTable: FILL or not, first block, blocks, and the source offset (RAW) or
# the pattern as a little-endian number (FILL).
_ROW = struct.Struct("<Bqqq")
_pack_row = _ROW.pack


class ExtentTable(ReadOnlySequence[Extent]):
    """Extents kept as rows of machine integers (25 bytes each, where an Extent object takes some
    200): an image of 262,144 chunks costs 6.5 MiB, not 50. Items are made on access.

    One bytearray of packed rows rather than ``array`` columns: importing ``array`` imports
    ``collections`` (start-up time, issue 15), and one pack per extent is quicker than four
    appends; reading a range unpacks it in C."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows = bytearray()

    def add(self, kind: int, start_block: int, blocks: int, source_offset: int = 0, fill: int = 0) -> None:
        """One extent; ``fill`` is a FILL extent's pattern as a little-endian 32-bit number."""
        self._rows += _pack_row(kind == FILL, start_block, blocks, source_offset if kind == RAW else fill)

    def __len__(self) -> int:
        return len(self._rows) // _ROW.size

    if TYPE_CHECKING:

        @overload
        def __getitem__(self, index: int) -> Extent: ...
        @overload
        def __getitem__(self, index: slice) -> list[Extent]: ...

    def __getitem__(self, index: int | slice) -> Extent | list[Extent]:
        if isinstance(index, slice):
            return list(self.between(*index.indices(len(self))[:2]))
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("extent index out of range")  # i18n: not user-facing
        return self._make(*_ROW.unpack_from(self._rows, index * _ROW.size))

    def __iter__(self) -> Iterator[Extent]:
        return self.between(0, len(self))

    def between(self, lo: int, hi: int) -> Iterator[Extent]:
        """Extents ``lo`` to ``hi`` (exclusive), made one at a time."""
        make = self._make
        # A view, not a slice: a piece of many extents copies none of the table.
        view = memoryview(self._rows)[lo * _ROW.size : hi * _ROW.size]
        rows = _ROW.iter_unpack(view)
        try:
            for item in rows:
                yield make(*item)
        finally:
            del rows  # it holds the view's buffer until it is freed
            view.release()  # the table can grow again

    @staticmethod
    def _make(fill_kind: int, start: int, blocks: int, value: int) -> Extent:
        if fill_kind:
            return Extent(FILL, start, blocks, 0, value.to_bytes(4, "little"))
        return Extent(RAW, start, blocks, value)


class ImageLayout(Record):
    blk_sz: int
    total_blks: int
    extents: Sequence[Extent]
    # The source carried CRC32 chunks (verified before use): pieces cut from it carry their own.
    has_crc: bool = False

    @property
    def expanded_size(self) -> int:
        return self.blk_sz * self.total_blks


def layout_of_sparse(f: BinaryIO) -> ImageLayout:
    """Extents of a sparse file (validates it fully, reading no payload)."""
    f.seek(0)
    header = read_header(f)
    if header.chunk_hdr_sz != CHUNK_HEADER_SIZE:
        return _layout_by_chunks(f, header)  # extended chunk headers: rare, the general reader
    try:
        file_size = f.seek(0, 2)
    except (OSError, AttributeError):
        return _layout_by_chunks(f, header)
    table = ExtentTable()
    # A peek first, the whole window only once chunks come close together: most images start
    # with a long payload, and a fresh megabyte costs its page faults (about a millisecond).
    window = bytearray(_PEEK)
    view = memoryview(window)
    unpack = CHUNK_HEADER.unpack_from
    has_crc = False
    w_start = w_end = 0  # the file bytes now in ``window``
    pos = header.file_hdr_sz  # where the next chunk header starts
    block = 0
    skipped = _LONG_PAYLOAD  # as if after a long payload: the first read is a peek
    total, blk_sz, total_blks = header.total_chunks, header.blk_sz, header.total_blks
    for index in range(total):
        if pos + _FILL_WORD > w_end:
            want = _WINDOW if skipped < _LONG_PAYLOAD else _PEEK
            if want > len(window):
                window = bytearray(want)
                view = memoryview(window)
            f.seek(pos)
            got = f.readinto(view[:want]) or 0
            w_start, w_end = pos, pos + got
            if got < CHUNK_HEADER_SIZE:
                raise ImageError(
                    _("sparse image truncated: chunk {number} of {total} is missing").format(
                        number=index + 1, total=total
                    )
                )
        at = pos - w_start
        kind, _reserved, blocks, chunk_size = unpack(window, at)
        size = chunk_size - CHUNK_HEADER_SIZE
        data = pos + CHUNK_HEADER_SIZE
        if size < 0 or block + blocks > total_blks or kind not in _SIZES or _SIZES[kind] not in (None, size):
            _refuse_chunk(index, total, kind, blocks, size, chunk_size, block, header.blk_sz, total_blks)
        if kind == RAW:
            if size != blocks * blk_sz:
                _refuse_chunk(index, total, kind, blocks, size, chunk_size, block, blk_sz, total_blks)
            if data + size > file_size:
                raise ImageError(
                    _("sparse image truncated inside {chunk}").format(chunk=_where(index, total))
                )
            table.add(RAW, block, blocks, data)
        elif kind != DONT_CARE:
            # A malformed CRC32 header is named before a missing payload, as the reader does.
            if kind == CRC32 and blocks:
                _refuse_chunk(index, total, kind, blocks, size, chunk_size, block, blk_sz, total_blks)
            if data + 4 > w_end:
                raise ImageError(
                    _("sparse image truncated inside {chunk}").format(chunk=_where(index, total))
                )
            if kind == FILL:
                table.add(
                    FILL,
                    block,
                    blocks,
                    0,
                    int.from_bytes(view[at + CHUNK_HEADER_SIZE : at + _FILL_WORD], "little"),
                )
            else:
                has_crc = True
        block += blocks
        pos = data + size
        skipped = size
    if block != total_blks:
        raise ImageError(
            _("sparse chunks cover {blocks} blocks but the header says {total}").format(
                blocks=block, total=total_blks
            )
        )
    f.seek(0)
    return ImageLayout(blk_sz, total_blks, table, has_crc)


# Payload bytes each chunk kind must carry (None: RAW, whose size depends on its blocks).
_SIZES = {RAW: None, FILL: 4, DONT_CARE: 0, CRC32: 4}


def _where(index: int, total: int) -> str:
    return _("chunk {number} of {total}").format(number=index + 1, total=total)


def _refuse_chunk(
    index: int,
    total: int,
    kind: int,
    blocks: int,
    size: int,
    chunk_size: int,
    block: int,
    blk_sz: int,
    total_blks: int,
) -> None:
    """ImageError for a chunk header that does not hold together: the general reader's words."""
    where = _where(index, total)
    if size < 0:
        raise ImageError(
            _("{chunk}: total size {size} is smaller than its header").format(chunk=where, size=chunk_size)
        )
    if block + blocks > total_blks:
        raise ImageError(
            _("{chunk} claims blocks up to {end}, but the image has only {total}").format(
                chunk=where, end=block + blocks, total=total_blks
            )
        )
    if kind == RAW:
        raise ImageError(
            _("{chunk}: RAW chunk has {size} bytes for {blocks} blocks of {block_size}").format(
                chunk=where, size=size, blocks=blocks, block_size=blk_sz
            )
        )
    if kind == FILL:
        raise ImageError(
            _("{chunk}: FILL chunk must carry 4 bytes, has {size}").format(chunk=where, size=size)
        )
    if kind == DONT_CARE:
        raise ImageError(
            _("{chunk}: DONT_CARE chunk must carry no data, has {size}").format(chunk=where, size=size)
        )
    if kind == CRC32:
        raise ImageError(_("{chunk}: CRC32 chunk must carry 4 bytes and cover no blocks").format(chunk=where))
    raise ImageError(_("{chunk}: unknown chunk type {kind}").format(chunk=where, kind=f"{kind:#06x}"))


def _layout_by_chunks(f: BinaryIO, header) -> ImageLayout:  # noqa: ANN001 - SparseHeader
    table = ExtentTable()
    has_crc = False
    for chunk, _unused in iter_chunks(f, header, payloads=False):
        has_crc = has_crc or chunk.kind == CRC32
        if chunk.kind == RAW:
            table.add(RAW, chunk.start_block, chunk.blocks, chunk.data_offset)
        elif chunk.kind == FILL:
            assert chunk.fill is not None
            table.add(FILL, chunk.start_block, chunk.blocks, 0, int.from_bytes(chunk.fill, "little"))
    f.seek(0)
    return ImageLayout(header.blk_sz, header.total_blks, table, has_crc)


def layout_of_raw(f: BinaryIO, size: int, blk_sz: int = BLOCK) -> ImageLayout:
    """Extents of a raw image: blocks repeating one 32-bit word become FILL, as img2simg does.

    A final partial block is treated as zero-padded to the block size.
    """
    table = ExtentTable()
    total = (size + blk_sz - 1) // blk_sz
    per_block = blk_sz // 4
    run = [RAW, 0, -1]  # kind, first block, FILL pattern (-1: none)

    def switch(kind: int, pattern: int, at: int) -> None:
        if kind != run[0] or pattern != run[2]:
            if at > run[1]:
                table.add(run[0], run[1], at - run[1], run[1] * blk_sz, max(run[2], 0))
            run[:] = [kind, at, pattern]

    patterns = _Patterns()
    block = 0
    for data, length in _windows(f, size, blk_sz):
        count = length // blk_sz
        cursor = block
        with memoryview(data) as view:
            for first, blocks, pattern in _candidate_runs(view, length, per_block, count):
                for start, fill_blocks in _fill_runs(view, first, blocks, pattern, blk_sz, patterns):
                    if block + start > cursor:
                        switch(RAW, -1, cursor)
                    switch(FILL, pattern, block + start)
                    cursor = block + start + fill_blocks
        if cursor < block + count:
            switch(RAW, -1, cursor)
        block += count
    if block > run[1]:
        table.add(run[0], run[1], block - run[1], run[1] * blk_sz, max(run[2], 0))
    f.seek(0)
    return ImageLayout(blk_sz, total, table)


def _windows(f: BinaryIO, size: int, blk_sz: int) -> Iterator[tuple[bytearray | mmap.mmap, int]]:
    """The image in windows of whole blocks (the last one zero-padded): mapped where the file
    allows it, so looking at each block's first words does not copy the whole image through
    memory (only blocks that may be FILL are read in full); read in pieces otherwise."""
    mapped = size // blk_sz * blk_sz
    step = max(1, _MAP // blk_sz) * blk_sz
    try:
        fileno = f.fileno()
        usable = mapped > 0 and step % mmap.ALLOCATIONGRANULARITY == 0
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        usable = False
    start = 0
    if usable:
        while start < mapped:
            length = min(step, mapped - start)
            if os.fstat(fileno).st_size < start + length:
                break  # the file shrank: reading ends where it ends (a mapping would fault)
            try:
                window = mmap.mmap(fileno, length, access=mmap.ACCESS_READ, offset=start)
            except (OSError, ValueError):
                break  # not mappable (a pipe, a special file): read the rest
            try:
                if _SEQUENTIAL is not None:  # a hint for read-ahead; Windows has no madvise
                    window.madvise(_SEQUENTIAL)
                yield window, length
            finally:
                window.close()  # its pages leave this process's memory at once
            start += length
    per_read = max(1, _SCAN // blk_sz) * blk_sz
    buffer = bytearray(per_read)
    view = memoryview(buffer)
    f.seek(start)
    left = size - start
    while left > 0:
        got = f.readinto(view[: min(per_read, left)]) or 0
        if not got:
            break
        left -= got
        if got % blk_sz:
            pad = blk_sz - got % blk_sz
            view[got : got + pad] = bytes(pad)
            got += pad
        yield buffer, got
    f.seek(0)


def _candidate_runs(
    view: memoryview, length: int, per_block: int, count: int
) -> Iterator[tuple[int, int, int]]:
    """(first block, blocks, word) of each run of neighbouring blocks whose first two words are
    equal and the same word: the only blocks that may be FILL. Found by comparing two strided
    columns of words in C, not by looking at each block in Python."""
    from operator import eq  # here, not at the top: a sparse image's flash never scans

    if per_block < 2:
        yield from ((i, 1, int.from_bytes(view[i * 4 : i * 4 + 4], "little")) for i in range(count))
        return
    with view[:length] as used, used.cast("I") as words:
        first, second = words[0::per_block].tolist(), words[1::per_block].tolist()
    if first.count(first[0]) == count and first == second:
        # A window of one word (zeros, erased flash): one run, found in C rather than block by block.
        yield 0, count, first[0]
        return
    start = run = word = -1
    for i in compress(range(count), map(eq, first, second)):
        if i == start + run and first[i] == word:
            run += 1
            continue
        if run > 0:
            yield start, run, word
        start, run, word = i, 1, first[i]
    if run > 0:
        yield start, run, word


def _fill_runs(
    view: memoryview, first: int, blocks: int, word: int, blk_sz: int, patterns: _Patterns
) -> Iterator[tuple[int, int]]:
    """(first block, blocks) of the parts of a candidate run that really repeat ``word``: the whole
    run in one comparison when it does (the usual case: zeros, erased flash), else block by block."""
    pattern = patterns.get(word)
    start, end = first * blk_sz, (first + blocks) * blk_sz
    # bytes.startswith compares with memcmp straight from the mapped window: no copy.
    if pattern.startswith(view[start:end]):
        yield first, blocks
        return
    for i in range(first, first + blocks):
        if pattern.startswith(view[i * blk_sz : (i + 1) * blk_sz]):
            yield i, 1


class _Patterns:
    """One window's worth of each FILL word seen, built once: most images repeat a few words
    (zeros, 0xff) in many runs."""

    _KEEP = 4

    def __init__(self) -> None:
        self._made: dict[int, bytes] = {}

    def get(self, word: int) -> bytes:
        pattern = self._made.get(word)
        if pattern is None:
            if len(self._made) >= self._KEEP:
                self._made.clear()
            pattern = self._made[word] = word.to_bytes(4, "little") * (_MAP // 4)
        return pattern
