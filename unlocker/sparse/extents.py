"""An image as a list of extents (RAW from a file, FILL with a pattern), built from raw or sparse files.

Extents are what resparse cuts into pieces and what the writer turns into sparse files; they
reference the source file by offset, so nothing is held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from unlocker.sparse.format import DONT_CARE, FILL, RAW
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

    @property
    def expanded_size(self) -> int:
        return self.blk_sz * self.total_blks


def layout_of_sparse(f: BinaryIO) -> ImageLayout:
    """Extents of a sparse file (validates it fully, reading no payload)."""
    f.seek(0)
    header = read_header(f)
    extents: list[Extent] = []
    for chunk, _ in iter_chunks(f, header, payloads=False):
        if chunk.kind == RAW:
            extents.append(Extent(RAW, chunk.start_block, chunk.blocks, chunk.data_offset))
        elif chunk.kind == FILL:
            assert chunk.fill is not None
            extents.append(Extent(FILL, chunk.start_block, chunk.blocks, fill=chunk.fill))
        elif chunk.kind == DONT_CARE:
            continue
    f.seek(0)
    return ImageLayout(header.blk_sz, header.total_blks, extents)


def layout_of_raw(f: BinaryIO, size: int, blk_sz: int = BLOCK) -> ImageLayout:
    """Extents of a raw image: blocks repeating one 32-bit word become FILL, as img2simg does.

    A final partial block is treated as zero-padded to the block size.
    """
    extents: list[Extent] = []
    total = (size + blk_sz - 1) // blk_sz
    for block, kind, fill in _classify(f, size, blk_sz):
        last = extents[-1] if extents else None
        if last and last.kind == kind and last.start_block + last.blocks == block and last.fill == fill:
            extents[-1] = Extent(kind, last.start_block, last.blocks + 1, last.source_offset, fill)
        else:
            extents.append(Extent(kind, block, 1, block * blk_sz if kind == RAW else 0, fill))
    f.seek(0)
    return ImageLayout(blk_sz, total, extents)


def _classify(f: BinaryIO, size: int, blk_sz: int) -> Iterator[tuple[int, int, bytes]]:
    f.seek(0)
    block = 0
    per_read = max(1, _SCAN // blk_sz) * blk_sz
    left = size
    while left > 0:
        data = f.read(min(per_read, left))
        if not data:
            break
        left -= len(data)
        if len(data) % blk_sz:
            data += b"\0" * (blk_sz - len(data) % blk_sz)
        view = memoryview(data)
        for off in range(0, len(data), blk_sz):
            chunk = view[off : off + blk_sz]
            word = bytes(chunk[:4])
            # Comparing against a repeated word is done in C: the cheap test for FILL blocks.
            if chunk == word * (blk_sz // 4):
                yield block, FILL, word
            else:
                yield block, RAW, b""
            block += 1
