"""An image as a list of extents (RAW from a file, FILL with a pattern), built from raw or sparse files.

Extents are what resparse cuts into pieces and what the writer turns into sparse files; they
reference the source file by offset, so nothing is held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from unlocker.sparse.format import CRC32, DONT_CARE, FILL, RAW
from unlocker.sparse.reader import iter_chunks, read_header

BLOCK = 4096
_SCAN = 1024 * 1024  # bytes read per step when scanning a raw image


@dataclass(frozen=True)
class Extent:
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


@dataclass(frozen=True)
class ImageLayout:
    blk_sz: int
    total_blks: int
    extents: list[Extent]
    # The source carried CRC32 chunks (verified before use): pieces cut from it carry their own.
    has_crc: bool = False

    @property
    def expanded_size(self) -> int:
        return self.blk_sz * self.total_blks


def layout_of_sparse(f: BinaryIO) -> ImageLayout:
    """Extents of a sparse file (validates it fully, reading no payload)."""
    f.seek(0)
    header = read_header(f)
    extents: list[Extent] = []
    has_crc = False
    for chunk, _unused in iter_chunks(f, header, payloads=False):
        has_crc = has_crc or chunk.kind == CRC32
        if chunk.kind == RAW:
            extents.append(Extent(RAW, chunk.start_block, chunk.blocks, chunk.data_offset))
        elif chunk.kind == FILL:
            assert chunk.fill is not None
            extents.append(Extent(FILL, chunk.start_block, chunk.blocks, fill=chunk.fill))
        elif chunk.kind == DONT_CARE:
            continue
    f.seek(0)
    return ImageLayout(header.blk_sz, header.total_blks, extents, has_crc)


def layout_of_raw(f: BinaryIO, size: int, blk_sz: int = BLOCK) -> ImageLayout:
    """Extents of a raw image: blocks repeating one 32-bit word become FILL, as img2simg does.

    A final partial block is treated as zero-padded to the block size.
    """
    extents: list[Extent] = []
    total = (size + blk_sz - 1) // blk_sz
    run_kind, run_start, run_fill = RAW, 0, b""
    block = 0
    f.seek(0)
    per_read = max(1, _SCAN // blk_sz) * blk_sz
    left = size
    while left > 0:
        data = f.read(min(per_read, left))
        if not data:
            break
        left -= len(data)
        if len(data) % blk_sz:
            data += bytes(blk_sz - len(data) % blk_sz)
        for off in range(0, len(data), blk_sz):
            # A block is one repeated word iff it equals itself shifted by 4 bytes; the 8-byte
            # pre-check rejects ordinary data without copying the block.
            if (
                data[off : off + 4] == data[off + 4 : off + 8]
                and data[off + 4 : off + blk_sz] == data[off : off + blk_sz - 4]
            ):
                kind, fill = FILL, data[off : off + 4]
            else:
                kind, fill = RAW, b""
            if kind != run_kind or fill != run_fill:
                if block > run_start:
                    extents.append(_extent(run_kind, run_start, block - run_start, blk_sz, run_fill))
                run_kind, run_start, run_fill = kind, block, fill
            block += 1
    if block > run_start:
        extents.append(_extent(run_kind, run_start, block - run_start, blk_sz, run_fill))
    f.seek(0)
    return ImageLayout(blk_sz, total, extents)


def _extent(kind: int, start: int, blocks: int, blk_sz: int, fill: bytes) -> Extent:
    return Extent(kind, start, blocks, start * blk_sz if kind == RAW else 0, fill)
