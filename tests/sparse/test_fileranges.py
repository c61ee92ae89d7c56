"""Applying a sparse image file to file: the kernel's routes give the same bytes as the plain one,
zeros become holes where the file system can punch them, and every fallback keeps the bytes."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from tests.sparse.test_reader_apply import build
from unlocker.sparse import apply_sparse, fileranges
from unlocker.sparse.format import DONT_CARE, FILL, RAW

BLOCK = 4096
MiB = 1024 * 1024
PATTERN = b"\x12\x34\x56\x78"


def mixed_image() -> tuple[bytes, bytes, bytes]:
    """A sparse image of 1 MiB RAW, 1 MiB FILL of zeros, 1 MiB FILL of a pattern, 1 MiB DONT_CARE,
    one RAW block; the old content it is applied over; and what must come out."""
    raw = os.urandom(MiB)
    tail = os.urandom(BLOCK)
    per_mib = MiB // BLOCK
    image = build(
        [
            (RAW, per_mib, raw),
            (FILL, per_mib, bytes(4)),
            (FILL, per_mib, PATTERN),
            (DONT_CARE, per_mib, b""),
            (RAW, 1, tail),
        ]
    )
    old = b"\xaa" * (4 * MiB + BLOCK)
    expected = raw + bytes(MiB) + PATTERN * (MiB // 4) + b"\xaa" * MiB + tail
    return image, old, expected


def apply_files(tmp_path: Path, image: bytes, old: bytes | None) -> Path:
    source = tmp_path / "image.simg"
    source.write_bytes(image)
    target = tmp_path / "partition.img"
    if old is not None:
        target.write_bytes(old)
    with open(source, "rb") as src, open(target, "r+b" if old is not None else "w+b") as dst:
        apply_sparse(src, dst)
    return target


def punches_holes(directory: Path) -> bool:
    probe = directory / "probe"
    probe.write_bytes(os.urandom(MiB))
    with open(probe, "r+b") as f:
        punched = fileranges._punch(f.fileno(), 0, MiB) and os.fstat(f.fileno()).st_blocks * 512 < MiB
    probe.unlink()
    return punched


def test_file_route_gives_the_bytes_of_the_plain_route(tmp_path: Path) -> None:
    image, old, expected = mixed_image()
    plain = io.BytesIO(old)
    apply_sparse(io.BytesIO(image), plain)
    assert plain.getvalue() == expected
    assert apply_files(tmp_path, image, old).read_bytes() == expected


def test_zero_fill_over_old_data_is_zeros_and_a_hole(tmp_path: Path) -> None:
    per_mib = MiB // BLOCK
    image = build([(FILL, 2 * per_mib, bytes(4))])
    target = apply_files(tmp_path, image, os.urandom(2 * MiB))
    assert target.read_bytes() == bytes(2 * MiB)
    if not punches_holes(tmp_path):
        pytest.skip("this file system cannot punch holes")
    assert target.stat().st_blocks * 512 < MiB


def test_dont_care_and_zero_fill_on_a_new_file_write_nothing(tmp_path: Path) -> None:
    per_mib = MiB // BLOCK
    image = build(
        [
            (RAW, 1, b"a" * BLOCK),
            (DONT_CARE, 4 * per_mib, b""),
            (FILL, 4 * per_mib, bytes(4)),
            (RAW, 1, b"z" * BLOCK),
        ]
    )
    target = apply_files(tmp_path, image, None)
    assert target.stat().st_size == 8 * MiB + 2 * BLOCK
    with open(target, "rb") as f:
        assert f.read(BLOCK) == b"a" * BLOCK
        assert f.read(8 * MiB) == bytes(8 * MiB)
        assert f.read() == b"z" * BLOCK
    if target.stat().st_blocks * 512 >= 8 * MiB:
        pytest.skip("this file system does not keep holes")
    assert target.stat().st_blocks * 512 <= MiB


def test_zero_fill_at_the_end_still_sets_the_size(tmp_path: Path) -> None:
    per_mib = MiB // BLOCK
    target = apply_files(tmp_path, build([(RAW, 1, b"r" * BLOCK), (FILL, per_mib, bytes(4))]), None)
    assert target.read_bytes() == b"r" * BLOCK + bytes(MiB)


def test_fallbacks_keep_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No copy_file_range (other kernels, two file systems), no pwritev, no hole punching."""

    def cross_device(*_args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", cross_device, raising=False)
    monkeypatch.delattr(os, "pwritev", raising=False)
    monkeypatch.setattr(fileranges, "_punch_hole", False)
    image, old, expected = mixed_image()
    assert apply_files(tmp_path, image, old).read_bytes() == expected


def test_without_the_offset_calls_the_file_route_writes_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has none of the offset calls and no C library fallocate: reads and writes then seek
    first, zeros are written, and the bytes are the same."""
    for call in ("pread", "pwrite", "pwritev", "copy_file_range"):
        monkeypatch.delattr(os, call, raising=False)
    monkeypatch.setattr(fileranges, "_punch_hole", False)
    image, old, expected = mixed_image()
    assert apply_files(tmp_path, image, old).read_bytes() == expected


def test_short_vector_writes_keep_the_pattern_in_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.pwritev

    def short(fd: int, buffers: list[memoryview], offset: int) -> int:
        # Stop 6 bytes into the second buffer: the next write must continue the pattern there.
        return real(fd, [buffers[0], buffers[1][:6]] if len(buffers) > 1 else buffers, offset)

    monkeypatch.setattr(os, "pwritev", short)
    target = tmp_path / "p.img"
    target.write_bytes(b"")
    size = 3 * MiB + 8
    with open(target, "r+b") as f:
        fileranges.fill_range(f.fileno(), 4, size, PATTERN)
    assert target.read_bytes() == bytes(4) + PATTERN * (size // 4)


def test_a_copy_past_the_source_end_is_an_eof_error(tmp_path: Path) -> None:
    source = tmp_path / "s"
    source.write_bytes(b"x" * 100)
    with open(source, "rb") as src, open(tmp_path / "d", "w+b") as dst, pytest.raises(EOFError):
        fileranges.copy_range(src.fileno(), 50, dst.fileno(), 0, 100)
