"""Writing and resparsing, checked against Google's simg2img/simg_dump and by rebuilding images."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unlocker.sparse import apply_sparse
from unlocker.sparse.extents import layout_of_raw, layout_of_sparse
from unlocker.sparse.format import FILL, RAW
from unlocker.sparse.resparse import resparse
from unlocker.sparse.writer import SparseStream, write_sparse

needs_tools = pytest.mark.skipif(
    shutil.which("simg2img") is None, reason="android-sdk-libsparse-utils missing"
)


def sample(blocks: list[str]) -> bytes:
    parts = {"r": lambda: os.urandom(4096), "z": lambda: bytes(4096), "f": lambda: b"\xab\xcd\xef\x01" * 1024}
    return b"".join(parts[b]() for b in blocks)


def rebuild(data: bytes, limit: int) -> tuple[bytes, list[int]]:
    src = io.BytesIO(data)
    layout = layout_of_raw(src, len(data))
    out = io.BytesIO()
    sizes = []
    for piece in resparse(layout, limit):
        stream = SparseStream(src, piece, layout.blk_sz, layout.total_blks)
        blob = stream.read()
        assert len(blob) == stream.size
        sizes.append(len(blob))
        apply_sparse(io.BytesIO(blob), out)
    return out.getvalue(), sizes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(st.sampled_from("rzf"), min_size=1, max_size=60),
    limit=st.integers(min_value=8 * 1024, max_value=200 * 1024),
)
def test_pieces_rebuild_the_image_and_respect_the_limit(blocks: list[str], limit: int) -> None:
    data = sample(blocks)
    rebuilt, sizes = rebuild(data, limit)
    assert rebuilt == data
    assert all(s <= limit for s in sizes)
    # Google's 7/8 rule: every piece but the last is at least 7/8 of the budget, unless the next
    # extent would not fit at all (FILL chunks never split).
    for s in sizes[:-1]:
        assert s >= (limit - 56) * 7 // 8 - 4096 - 16


def test_raw_layout_finds_fill_blocks() -> None:
    data = sample(list("rrzzzfr"))
    layout = layout_of_raw(io.BytesIO(data), len(data))
    assert [(e.kind, e.blocks) for e in layout.extents] == [(RAW, 2), (FILL, 3), (FILL, 1), (RAW, 1)]


def test_partial_last_block_is_zero_padded() -> None:
    data = os.urandom(5000)
    rebuilt, _ = rebuild(data, 1 << 20)
    assert rebuilt == data + bytes(8192 - 5000)


@needs_tools
def test_written_images_are_accepted_by_google_tools(tmp_path: Path) -> None:
    data = sample(list("rrzzzffrrrzr"))
    src = io.BytesIO(data)
    layout = layout_of_raw(src, len(data))
    simg = tmp_path / "ours.simg"
    with open(simg, "wb") as f:
        write_sparse(src, layout.extents, layout.blk_sz, layout.total_blks, f)
    out = tmp_path / "out.raw"
    subprocess.run(["simg2img", str(simg), str(out)], check=True)
    assert out.read_bytes() == data
    dump = subprocess.run(["simg_dump", str(simg)], capture_output=True, text=True)
    assert dump.returncode == 0 and "Total of 12 4096-byte output blocks" in dump.stdout


@needs_tools
def test_resparsed_pieces_of_img2simg_output(tmp_path: Path) -> None:
    data = sample(list("rrrrzzzzffffrrrrrrrrzzzzrrrrrrrr" * 3))
    raw = tmp_path / "in.raw"
    raw.write_bytes(data)
    simg = tmp_path / "in.simg"
    subprocess.run(["img2simg", str(raw), str(simg)], check=True)
    rebuilt = tmp_path / "rebuilt.raw"
    with open(simg, "rb") as src, open(rebuilt, "w+b") as dst:
        layout = layout_of_sparse(src)
        pieces = resparse(layout, 64 * 1024)
        assert len(pieces) > 3
        for i, piece in enumerate(pieces):
            path = tmp_path / f"piece{i}.simg"
            path.write_bytes(SparseStream(src, piece, layout.blk_sz, layout.total_blks).read())
            # Each piece is a complete sparse file in its own right.
            subprocess.run(["simg2img", str(path), str(tmp_path / "p.raw")], check=True)
            with open(path, "rb") as p:
                apply_sparse(p, dst)
    assert rebuilt.read_bytes() == data
