"""The Android sparse image format (AOSP libsparse/sparse_format.h), as structs and checks.

File header, 28 bytes little-endian: magic 0xED26FF3A, major 1, minor 0, file_hdr_sz 28,
chunk_hdr_sz 12, blk_sz (multiple of 4), total_blks, total_chunks, image_checksum.
Chunk header, 12 bytes: type, reserved, chunk_sz (output blocks), total_sz (bytes incl. header).
"""

from __future__ import annotations

import struct

from unlocker.errors import ImageError
from unlocker.i18n import _
from unlocker.record import Record

MAGIC = 0xED26FF3A
MAGIC_BYTES = struct.pack("<I", MAGIC)
FILE_HEADER = struct.Struct("<IHHHHIIII")
CHUNK_HEADER = struct.Struct("<HHII")
FILE_HEADER_SIZE = FILE_HEADER.size  # 28
CHUNK_HEADER_SIZE = CHUNK_HEADER.size  # 12

RAW, FILL, DONT_CARE, CRC32 = 0xCAC1, 0xCAC2, 0xCAC3, 0xCAC4
CHUNK_NAMES = {RAW: "RAW", FILL: "FILL", DONT_CARE: "DONT_CARE", CRC32: "CRC32"}

# libsparse refuses block sizes it cannot buffer; anything above 64 MiB is corruption, not an image.
MAX_BLOCK_SIZE = 64 * 1024 * 1024


class SparseHeader(Record):
    major: int
    minor: int
    file_hdr_sz: int
    chunk_hdr_sz: int
    blk_sz: int
    total_blks: int
    total_chunks: int
    image_checksum: int

    @property
    def expanded_size(self) -> int:
        return self.blk_sz * self.total_blks

    def pack(self) -> bytes:
        return FILE_HEADER.pack(
            MAGIC,
            self.major,
            self.minor,
            self.file_hdr_sz,
            self.chunk_hdr_sz,
            self.blk_sz,
            self.total_blks,
            self.total_chunks,
            self.image_checksum,
        )


def is_sparse(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts with the sparse magic."""
    return head[:4] == MAGIC_BYTES


def parse_header(data: bytes) -> SparseHeader:
    """Validate and decode a file header; ImageError says what is wrong."""
    if len(data) < FILE_HEADER_SIZE:
        raise ImageError(
            _("sparse header truncated: {got} of {size} bytes").format(got=len(data), size=FILE_HEADER_SIZE)
        )
    magic, major, minor, fhs, chs, blk_sz, total_blks, total_chunks, checksum = FILE_HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ImageError(_("not an Android sparse image (bad magic)"))
    if major != 1:
        raise ImageError(
            _("sparse format version {major}.{minor} is not supported (only 1.x)").format(
                major=major, minor=minor
            )
        )
    if fhs < FILE_HEADER_SIZE or chs < CHUNK_HEADER_SIZE:
        raise ImageError(
            _("sparse header sizes are invalid (file {file_size}, chunk {chunk_size})").format(
                file_size=fhs, chunk_size=chs
            )
        )
    if blk_sz == 0 or blk_sz % 4 or blk_sz > MAX_BLOCK_SIZE:
        raise ImageError(
            _("sparse block size {size} is invalid (must be a non-zero multiple of 4)").format(size=blk_sz)
        )
    return SparseHeader(major, minor, fhs, chs, blk_sz, total_blks, total_chunks, checksum)
