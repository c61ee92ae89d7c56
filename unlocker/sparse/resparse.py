"""Cutting an image into sparse pieces no larger than the phone's download limit.

Google's rule (libsparse sparse_file_resparse / move_chunks_up_to_len): each piece reserves 56
bytes (file header, two chunk headers, 4 bytes) and is a complete sparse file spanning the whole
image, DONT_CARE elsewhere; a chunk that does not fit is split only when more than 1/8 of the
budget is left, so pieces are at least 7/8 of the limit.
"""

from __future__ import annotations

from collections.abc import Iterator

from unlocker.errors import ImageError
from unlocker.i18n import _
from unlocker.sparse.extents import Extent, ImageLayout
from unlocker.sparse.format import CHUNK_HEADER_SIZE, RAW
from unlocker.sparse.writer import chunk_bytes

OVERHEAD = 28 + 2 * CHUNK_HEADER_SIZE + 4


def resparse(layout: ImageLayout, limit: int) -> list[list[Extent]]:
    """The extents of each piece, in order; applying the pieces in order rebuilds the image."""
    return list(iter_pieces(layout, limit))


def iter_pieces(layout: ImageLayout, limit: int) -> Iterator[list[Extent]]:
    """The pieces one at a time (linear in the number of extents; only one piece is held)."""
    budget = limit - OVERHEAD
    blk = layout.blk_sz
    if budget < CHUNK_HEADER_SIZE + blk:
        raise ImageError(
            _("download limit {limit} bytes is too small for {block_size}-byte blocks").format(
                limit=limit, block_size=blk
            )
        )
    current: list[Extent] = []
    used = 0
    produced = False
    extents = iter(layout.extents)
    extent: Extent | None = next(extents, None)
    while extent is not None:
        cost = chunk_bytes(extent, blk)
        if used + cost <= budget:
            current.append(extent)
            used += cost
            extent = next(extents, None)
            continue
        room = budget - used - CHUNK_HEADER_SIZE
        if extent.kind == RAW and (not current or room > budget // 8):
            blocks = room // blk
            if blocks > 0:
                first, extent = extent.split(blocks, blk)  # the rest is looked at again
                current.append(first)
                yield current
                produced = True
                current, used = [], 0
                continue
        if not current:  # cannot happen for FILL (16 bytes) with a sane budget
            raise ImageError(_("image cannot be split to the download limit"))
        yield current
        produced = True
        current, used = [], 0
    if current or not produced:
        yield current
