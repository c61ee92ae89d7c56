"""Fuzzing the sparse reader: random bytes, and valid images with mutated headers and chunks.

Property: reading an image ends in an ImageError (ours, with a message) or in a correct result;
never in another exception. A valid image expands exactly as an independent expander says;
a mutated one either fails with ImageError or expands to the size its header claims.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from unlocker.errors import ImageError
from unlocker.sparse import apply_sparse, iter_chunks, read_header
from unlocker.sparse.format import CRC32, DONT_CARE, FILL, RAW

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Only images this small are expanded in full (a valid FILL chunk may describe gigabytes).
EXPAND_LIMIT = 1 << 20

MAGIC = 0xED26FF3A


def header(
    blk_sz: int, total_blks: int, total_chunks: int, *, major: int = 1, hdr: int = 28, chdr: int = 12
) -> bytes:
    return struct.pack("<IHHHHIIII", MAGIC, major, 0, hdr, chdr, blk_sz, total_blks, total_chunks, 0)


def chunk(kind: int, blocks: int, payload: bytes) -> bytes:
    return struct.pack("<HHII", kind, 0, blocks, 12 + len(payload)) + payload


# (kind, blocks, seed): a chunk of an image; RAW data and FILL patterns derive from the seed.
chunk_specs = st.lists(
    st.tuples(st.sampled_from([RAW, FILL, DONT_CARE, CRC32]), st.integers(0, 4), st.integers(0, 255)),
    max_size=8,
)


def build(blk_sz: int, specs: list[tuple[int, int, int]]) -> tuple[bytes, bytes]:
    """A valid sparse image and, independently, the raw image it describes."""
    body = b""
    expanded = b""
    count = 0
    for kind, blocks, seed in specs:
        if kind == CRC32:
            body += chunk(CRC32, 0, struct.pack("<I", zlib.crc32(expanded)))
        elif kind == RAW:
            data = bytes((seed + i) % 256 for i in range(blocks * blk_sz))
            body += chunk(RAW, blocks, data)
            expanded += data
        elif kind == FILL:
            pattern = bytes([seed, seed ^ 0xFF, 7, seed // 2])
            body += chunk(FILL, blocks, pattern)
            expanded += pattern * (blocks * blk_sz // 4)
        else:
            body += chunk(DONT_CARE, blocks, b"")
            expanded += bytes(blocks * blk_sz)
        count += 1
    total_blks = len(expanded) // blk_sz
    return header(blk_sz, total_blks, count) + body, expanded


class Sink(io.RawIOBase):
    """A destination that keeps what is written up to EXPAND_LIMIT bytes, and its size beyond."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.pos = 0
        self.size = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, b) -> int:  # noqa: ANN001
        n = len(b)
        if self.pos + n <= EXPAND_LIMIT:
            if len(self.data) < self.pos:
                self.data.extend(bytes(self.pos - len(self.data)))
            self.data[self.pos : self.pos + n] = b
        self.pos += n
        self.size = max(self.size, self.pos)
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def truncate(self, size: int | None = None) -> int:
        self.size = self.pos if size is None else size
        return self.size


def mutate(image: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    """``image`` with bytes overwritten at ``edits`` (positions wrap around) and cut at ``cut``."""
    mutated = bytearray(image)
    for position, value in edits:
        mutated[position % len(mutated)] = value
    if cut is not None:
        del mutated[cut % (len(mutated) + 1) :]
    return bytes(mutated)


def read_all(image: bytes) -> tuple[int, int] | None:
    """(expanded size claimed, blocks covered by chunks); ImageError propagates."""
    f = io.BytesIO(image)
    head = read_header(f)
    covered = 0
    for piece, payload in iter_chunks(f, head):
        for _data in payload:
            pass
        covered += piece.blocks
    return head.expanded_size, covered


def expand(image: bytes) -> tuple[int, bytes]:
    sink = Sink()
    size = apply_sparse(io.BytesIO(image), sink)
    return size, bytes(sink.data[:size]).ljust(
        min(size, EXPAND_LIMIT), b"\0"
    )  # unwritten: a new file's zeros


@FUZZ
@given(st.binary(max_size=256))
@example(b"")
@example(header(4096, 1, 1))  # a header promising a chunk that is not there
@example(header(0, 0, 0))
@example(header(4096, 0, 0, hdr=27))
def test_random_bytes(data: bytes) -> None:
    try:
        read_all(data)
    except ImageError as e:
        assert str(e)


@FUZZ
@given(blk_sz=st.sampled_from([4, 8, 12, 64]), specs=chunk_specs)
def test_valid_images_expand_correctly(blk_sz: int, specs: list[tuple[int, int, int]]) -> None:
    image, expanded = build(blk_sz, specs)
    claimed, covered = read_all(image)
    assert claimed == len(expanded) and covered * blk_sz == len(expanded)
    if not expanded:  # an image of 0 blocks is refused where it would be written, as libsparse does
        with pytest.raises(ImageError, match="empty"):
            expand(image)
        return
    assert expand(image) == (len(expanded), expanded)


@FUZZ
@given(
    blk_sz=st.sampled_from([4, 8, 64]),
    specs=chunk_specs,
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_mutated_images_fail_cleanly_or_expand_to_their_claim(
    blk_sz: int, specs: list[tuple[int, int, int]], edits: list[tuple[int, int]], cut: int | None
) -> None:
    image, _expanded = build(blk_sz, specs)
    mutated = mutate(image, edits, cut)
    try:
        claimed, covered = read_all(mutated)
    except ImageError as e:
        assert str(e)
        return
    head = read_header(io.BytesIO(mutated))
    assert covered == head.total_blks  # the reader never accepts chunks that disagree with the header
    if claimed <= EXPAND_LIMIT:
        try:
            size, _data = expand(mutated)
        except ImageError as e:  # a CRC32 chunk that no longer matches, or 0 blocks claimed
            assert "CRC32" in str(e) or (claimed == 0 and "empty" in str(e))
            return
        assert size == claimed


def _layout_outcome(image: bytes, walk: str) -> object:
    from unlocker.sparse.extents import _layout_by_chunks, layout_of_sparse

    f = io.BytesIO(image)
    try:
        layout = layout_of_sparse(f) if walk == "windows" else _layout_by_chunks(f, read_header(f))
    except ImageError as e:
        return str(e)
    return [tuple(e) for e in layout.extents], layout.has_crc, layout.total_blks


@FUZZ
@given(
    blk_sz=st.sampled_from([4, 8, 64, 4096]),
    specs=chunk_specs,
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=3),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
# A CRC32 chunk made to cover a block, its payload cut off: both faults, named in the same order.
@example(blk_sz=4, specs=[(51906, 0, 0), (51908, 0, 0)], edits=[(348, 1), (856, 1)], cut=2496)
def test_the_windowed_walk_agrees_with_the_chunk_reader(
    blk_sz: int, specs: list[tuple[int, int, int]], edits: list[tuple[int, int]], cut: int | None
) -> None:
    """The flash path's fast header walk accepts, refuses (with the same words) and lays out
    exactly what the general reader does."""
    image, _expanded = build(blk_sz, specs)
    mutated = mutate(image, edits, cut)
    try:
        read_header(io.BytesIO(mutated))
    except ImageError:
        return
    assert _layout_outcome(mutated, "windows") == _layout_outcome(mutated, "chunks")


@pytest.mark.parametrize("first_payload_blocks", [0, 1, 40])
def test_the_windowed_walk_agrees_across_its_peek_and_window_boundaries(first_payload_blocks: int) -> None:
    """The walk starts with a 4 KiB peek and takes a 1 MiB window once chunks come close together:
    a long first payload, then 150,000 short chunks (about 2 MiB of headers, so headers straddle
    the peek's end and several windows' ends) lay out exactly as the general reader lays them out."""
    blk_sz = 4096
    parts = [chunk(RAW, first_payload_blocks, bytes(range(256)) * (first_payload_blocks * 16))]
    blocks = first_payload_blocks
    for i in range(150_000):
        if i % 2:
            parts.append(chunk(DONT_CARE, 1 + i % 3, b""))
        else:
            parts.append(chunk(FILL, 1 + i % 3, bytes([i % 256, 1, 2, 3])))
        blocks += 1 + i % 3
    parts.append(chunk(RAW, 1, bytes(blk_sz)))
    blocks += 1
    image = header(blk_sz, blocks, len(parts)) + b"".join(parts)
    windows = _layout_outcome(image, "windows")
    assert windows == _layout_outcome(image, "chunks")
    extents, has_crc, total_blks = windows  # type: ignore[misc]
    assert not has_crc and total_blks == blocks
    assert len(extents) >= 75_000  # the FILL chunks at least: the walk did not stop early
