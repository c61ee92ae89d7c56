"""The streaming sparse reader against Google's img2simg/simg2img, and on corrupt images."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from unlocker.errors import ImageError
from unlocker.sparse import apply_sparse, is_sparse, iter_chunks, read_header
from unlocker.sparse.format import CHUNK_HEADER, CRC32, DONT_CARE, FILL, RAW, SparseHeader

needs_tools = pytest.mark.skipif(
    shutil.which("img2simg") is None, reason="android-sdk-libsparse-utils missing"
)


def raw_image(path: Path) -> bytes:
    data = os.urandom(200 * 1024) + b"\0" * (512 * 1024) + b"\x12\x34\x56\x78" * 65536 + os.urandom(4096 * 3)
    path.write_bytes(data)
    return data


@needs_tools
def test_img2simg_output_expands_like_simg2img(tmp_path: Path) -> None:
    raw = tmp_path / "a.raw"
    data = raw_image(raw)
    simg = tmp_path / "a.simg"
    subprocess.run(["img2simg", str(raw), str(simg)], check=True)
    ref = tmp_path / "ref.raw"
    subprocess.run(["simg2img", str(simg), str(ref)], check=True)
    out = io.BytesIO()
    with open(simg, "rb") as f:
        assert is_sparse(f.read(4))
        f.seek(0)
        assert apply_sparse(f, out) == len(data)
    assert out.getvalue() == ref.read_bytes() == data
    with open(simg, "rb") as f:
        kinds = {c.kind for c, _ in iter_chunks(f, read_header(f), payloads=False)}
    assert kinds >= {RAW, FILL}


def build(
    chunks: list[tuple[int, int, bytes]], *, blk_sz: int = 4096, total_blks: int | None = None
) -> bytes:
    body = b"".join(
        CHUNK_HEADER.pack(kind, 0, blocks, 12 + len(payload)) + payload for kind, blocks, payload in chunks
    )
    blocks = sum(b for _, b, _ in chunks) if total_blks is None else total_blks
    header = SparseHeader(1, 0, 28, 12, blk_sz, blocks, len(chunks), 0).pack()
    return header + body


def test_dont_care_keeps_existing_content() -> None:
    image = build([(DONT_CARE, 1, b""), (RAW, 1, b"r" * 4096), (FILL, 1, b"abcd")])
    dst = io.BytesIO(b"old!" * 3072)
    apply_sparse(io.BytesIO(image), dst)
    assert dst.getvalue() == b"old!" * 1024 + b"r" * 4096 + b"abcd" * 1024


def test_crc_chunk_checked() -> None:
    good_crc = zlib.crc32(b"r" * 4096)
    ok = build([(RAW, 1, b"r" * 4096), (CRC32, 0, struct.pack("<I", good_crc))])
    apply_sparse(io.BytesIO(ok), io.BytesIO())
    bad = build([(RAW, 1, b"r" * 4096), (CRC32, 0, struct.pack("<I", good_crc ^ 1))])
    with pytest.raises(ImageError, match="CRC32"):
        apply_sparse(io.BytesIO(bad), io.BytesIO())


@pytest.mark.parametrize(
    "image,message",
    [
        (build([(RAW, 2, b"r" * 8192)])[:-100], "truncated"),
        (build([(RAW, 2, b"r" * 8192)], total_blks=1), "claims blocks"),
        (build([(RAW, 1, b"r" * 4096)], total_blks=5), "cover 1 blocks"),
        (build([(RAW, 1, b"r" * 4096)], blk_sz=0), "block size"),
        (build([(RAW, 1, b"r" * 4096)], blk_sz=1 << 30), "block size"),
        (build([(RAW, 1, b"r" * 4096)], blk_sz=4094), "block size"),
        (build([(0xBEEF, 1, b"")]), "unknown chunk type"),
        (build([(FILL, 1, b"abc")]), "FILL"),
        (build([(RAW, 1, b"r" * 100)]), "RAW chunk has"),
        (b"\x3a\xff\x26\xed" + b"\x02\x00" + bytes(22), "version"),
        (b"not sparse at all" + bytes(20), "bad magic"),
        (b"\x3a\xff\x26\xed\x01\x00", "truncated"),
    ],
)
def test_corrupt_images_are_refused(image: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        apply_sparse(io.BytesIO(image), io.BytesIO())


def test_missing_chunks_detected() -> None:
    image = build([(RAW, 1, b"r" * 4096)])
    header = bytearray(image[:28])
    struct.pack_into("<I", header, 16, 5)  # total_blks
    struct.pack_into("<I", header, 20, 3)  # total_chunks: two are missing
    with pytest.raises(ImageError, match="chunk 2 of 3 is missing"):
        apply_sparse(io.BytesIO(bytes(header) + image[28:]), io.BytesIO())
