"""The raw-image scan finds exactly the blocks that repeat one 32-bit word, as img2simg does.

The scan compares whole runs of candidate blocks at once; these images are built so that a run
comparison that trusted only the blocks' first words, or merged neighbouring runs of different
words, would give other extents than the plain block-by-block definition.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from unlocker.sparse.extents import layout_of_raw
from unlocker.sparse.format import FILL, RAW

WORD = b"\x12\x34\x56\x78"


def _by_definition(data: bytes, blk: int) -> list[tuple[int, int]]:
    """(kind, fill word) of each block, straight from the definition."""
    kinds = []
    for offset in range(0, len(data), blk):
        block = data[offset : offset + blk].ljust(blk, b"\0")
        if block[4:] == block[:-4]:
            kinds.append((FILL, int.from_bytes(block[:4], "little")))
        else:
            kinds.append((RAW, 0))
    return kinds


def _blocks_of(layout) -> list[tuple[int, int]]:  # noqa: ANN001 - ImageLayout
    kinds = []
    for extent in layout.extents:
        word = int.from_bytes(extent.fill, "little") if extent.kind == FILL else 0
        kinds.extend([(extent.kind, word)] * extent.blocks)
    return kinds


def _image(rng: random.Random, blk: int, parts: int) -> bytes:
    pieces = []
    for _ in range(parts):
        n = rng.randint(1, 4)
        kind = rng.choice(["zeros", "word", "ones", "almost", "tail", "random"])
        if kind == "zeros":
            pieces.append(bytes(blk * n))
        elif kind == "word":
            pieces.append(WORD * (blk // 4 * n))
        elif kind == "ones":
            pieces.append(b"\xff" * blk * n)
        elif kind == "almost":  # the first words repeat, the rest does not
            pieces.append(WORD * (blk // 8) + rng.randbytes(blk // 2))
        elif kind == "tail":  # zeros but for the last word
            pieces.append(bytes(blk - 4) + b"\0\0\0\1")
        else:
            pieces.append(rng.randbytes(blk * n))
    return b"".join(pieces)


@pytest.mark.parametrize("blk", [512, 4096, 65536])
def test_the_scan_agrees_with_the_definition_block_by_block(tmp_path: Path, blk: int) -> None:
    rng = random.Random(blk)
    for trial in range(3):
        data = _image(rng, blk, max(40, 600 * 4096 // blk)) + WORD * rng.randint(
            0, 100
        )  # a partial last block too
        path = tmp_path / f"{trial}.img"
        path.write_bytes(data)
        with open(path, "rb") as f:
            layout = layout_of_raw(f, len(data), blk)
        assert _blocks_of(layout) == _by_definition(data, blk)
        # Neighbouring extents never share kind and word: runs are merged as far as they go.
        for a, b in zip(layout.extents, layout.extents[1:], strict=False):
            assert (a.kind, a.fill if a.kind == FILL else None) != (
                b.kind,
                b.fill if b.kind == FILL else None,
            )


def test_a_long_run_spanning_windows_is_one_extent(tmp_path: Path) -> None:
    blk = 4096
    data = os.urandom(blk) + bytes(20 * 1024 * 1024) + os.urandom(blk)
    path = tmp_path / "zeros.img"
    path.write_bytes(data)
    with open(path, "rb") as f:
        layout = layout_of_raw(f, len(data), blk)
    assert [(e.kind, e.blocks) for e in layout.extents] == [(RAW, 1), (FILL, 20 * 256), (RAW, 1)]


def test_a_window_whose_blocks_all_start_alike_is_still_checked_block_by_block(tmp_path: Path) -> None:
    """Whole windows of one first word take a shortcut to the run comparison; blocks that differ
    further in (and a block of another word) must still come out RAW."""
    blk = 4096
    blocks = 3 * 2048  # several 8 MiB windows
    data = bytearray(bytes(blocks * blk))
    for i in (5, 2047, 2048, 4100):
        data[i * blk + blk - 1] = 1  # zeros but for the last byte
    path = tmp_path / "almost.img"
    path.write_bytes(bytes(data))
    with open(path, "rb") as f:
        layout = layout_of_raw(f, len(data), blk)
    assert _blocks_of(layout) == _by_definition(bytes(data), blk)
    assert sum(e.blocks for e in layout.extents if e.kind == RAW) == 4


def test_the_scan_needs_no_madvise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows maps files but has no madvise: the scan finds the same extents without it."""
    import mmap
    from types import SimpleNamespace

    from unlocker.sparse import extents

    class WindowsMap(mmap.mmap):
        def madvise(self, *_args: object) -> None:
            raise AssertionError("Windows has no madvise")

    windows = SimpleNamespace(
        mmap=WindowsMap, ACCESS_READ=mmap.ACCESS_READ, ALLOCATIONGRANULARITY=mmap.ALLOCATIONGRANULARITY
    )
    monkeypatch.setattr(extents, "mmap", windows)
    monkeypatch.setattr(extents, "_SEQUENTIAL", getattr(windows, "MADV_SEQUENTIAL", None))
    blk = 4096
    data = _image(random.Random(7), blk, 200)
    path = tmp_path / "win.img"
    path.write_bytes(data)
    with open(path, "rb") as f:
        layout = layout_of_raw(f, len(data), blk)
    assert _blocks_of(layout) == _by_definition(data, blk)
