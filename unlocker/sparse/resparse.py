"""Cutting an image into sparse pieces no larger than the phone's download limit.

Google's rule (libsparse sparse_file_resparse / move_chunks_up_to_len): each piece reserves 56
bytes (file header, two chunk headers, 4 bytes) and is a complete sparse file spanning the whole
image, DONT_CARE elsewhere; a chunk that does not fit is split only when more than 1/8 of the
budget is left, so pieces are at least 7/8 of the limit.
"""

from __future__ import annotations

from itertools import chain

from unlocker.errors import ImageError
from unlocker.i18n import _
from unlocker.sparse.extents import Extent, ImageLayout
from unlocker.sparse.format import CHUNK_HEADER_SIZE, RAW
from unlocker.sparse.writer import chunk_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from collections.abc import Sequence as ReadOnlySequence
    from typing import overload
else:
    from unlocker.sparse.sequence import ReadOnlySequence

OVERHEAD = 28 + 2 * CHUNK_HEADER_SIZE + 4


class Piece(ReadOnlySequence[Extent]):
    """The extents of one piece without copying them: ``head`` (the rest of an extent cut at
    the end of the piece before), the layout's extents ``lo`` to ``hi``, and ``tail`` (the first
    part of an extent cut here). Memory per piece stays small however many extents it spans."""

    def __init__(
        self, extents: Sequence[Extent], head: Extent | None, lo: int, hi: int, tail: Extent | None
    ) -> None:
        self._extents = extents
        self._ends = [e for e in (head, tail) if e is not None]
        self.head, self.lo, self.hi, self.tail = head, lo, hi, tail

    def __len__(self) -> int:
        return len(self._ends) + self.hi - self.lo

    def __iter__(self) -> Iterator[Extent]:
        between = getattr(self._extents, "between", None)
        middle = between(self.lo, self.hi) if between else iter(self._extents[self.lo : self.hi])
        return chain((self.head,) if self.head else (), middle, (self.tail,) if self.tail else ())

    if TYPE_CHECKING:

        @overload
        def __getitem__(self, index: int) -> Extent: ...
        @overload
        def __getitem__(self, index: slice) -> list[Extent]: ...

    def __getitem__(self, index: int | slice) -> Extent | list[Extent]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if self.head is not None:
            if index == 0:
                return self.head
            index -= 1
        if index < self.hi - self.lo:
            return self._extents[self.lo + index]
        assert self.tail is not None
        return self.tail


def resparse(layout: ImageLayout, limit: int) -> list[Piece]:
    """The extents of each piece, in order; applying the pieces in order rebuilds the image."""
    return list(iter_pieces(layout, limit))


def iter_pieces(layout: ImageLayout, limit: int) -> Iterator[Piece]:
    """The pieces one at a time (linear in the number of extents; only one piece is held)."""
    budget = limit - OVERHEAD
    blk = layout.blk_sz
    if budget < CHUNK_HEADER_SIZE + blk:
        raise ImageError(
            _("download limit {limit} bytes is too small for {block_size}-byte blocks").format(
                limit=limit, block_size=blk
            )
        )
    extents = layout.extents
    pulled = 0  # extents taken from the layout so far
    source = iter(extents)
    extent = next(source, None)
    index = 0  # the layout's index of ``extent``; -1 while it is the rest of a cut one
    if extent is not None:
        pulled = 1
    head: Extent | None = None
    lo = 0  # the first of the layout's extents in the piece being made
    used = 0
    filled = produced = False
    while extent is not None:
        cost = chunk_bytes(extent, blk)
        if used + cost <= budget:
            if index < 0:
                head = extent  # a rest always opens its piece
            used += cost
            filled = True
            extent = next(source, None)
            index = pulled
            pulled += extent is not None
            continue
        room = budget - used - CHUNK_HEADER_SIZE
        if extent.kind == RAW and (not filled or room > budget // 8):
            blocks = room // blk
            if blocks > 0:
                first, extent = extent.split(blocks, blk)  # the rest is looked at again
                yield Piece(extents, head, lo, index if index >= 0 else lo, first)
                produced = True
                if index >= 0:
                    lo = index + 1
                index = -1
                head, used, filled = None, 0, False
                continue
        if not filled:  # cannot happen for FILL (16 bytes) with a sane budget
            raise ImageError(_("image cannot be split to the download limit"))
        yield Piece(extents, head, lo, index, None)
        produced = True
        lo = index
        head, used, filled = None, 0, False
    if filled or not produced:
        yield Piece(extents, head, lo, pulled, None)
