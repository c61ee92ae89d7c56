"""Applying a sparse image file to file: the kernel's routes give the same bytes as the plain one,
zeros become holes where the file system can punch them, and every fallback keeps the bytes."""

from __future__ import annotations

import errno
import io
import itertools
import os
import random
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


PAGE = 4096


def padded_pieces() -> bytes:
    """Data as real images have it: a zero run long enough for a hole (padding, free space), one
    too short for one, pages that start with a zero byte but are not zero, and an unaligned tail."""
    starts_with_zero = b"".join(b"\0" + os.urandom(PAGE - 1) for _ in range(40))
    return (
        os.urandom(PAGE + 7)
        + bytes(64 * PAGE)
        + os.urandom(PAGE)
        + bytes(3 * PAGE)
        + starts_with_zero
        + bytes(20 * PAGE + 100)
        + os.urandom(5)
        + bytes(32 * PAGE)
    )


def write_at(path: Path, offset: int, data: bytes) -> bytes:
    with open(path, "r+b" if path.exists() else "w+b") as f:
        fileranges.write_data(f.fileno(), offset, memoryview(data))
    return path.read_bytes()


@pytest.mark.parametrize("offset", [0, PAGE, 7, 3 * PAGE + 100])
@pytest.mark.parametrize("old_size", [None, 0, 50 * PAGE, 400 * PAGE])
def test_write_data_reads_back_as_written(tmp_path: Path, offset: int, old_size: int | None) -> None:
    data = padded_pieces()
    target = tmp_path / "partition.img"
    old = b""
    if old_size is not None:
        old = os.urandom(old_size)
        target.write_bytes(old)
    expected = bytearray(old.ljust(offset + len(data), b"\0"))
    expected[offset : offset + len(data)] = data
    assert write_at(target, offset, data) == bytes(expected)


def data_blocks(path: Path) -> int:
    return path.stat().st_blocks * 512 // PAGE


def keeps_holes(directory: Path) -> bool:
    """Whether a file extended past its data stays unallocated there (not so on FAT, for one)."""
    probe = directory / "hole-probe"
    with open(probe, "wb") as f:
        f.write(b"x")
        f.truncate(MiB)
    kept = probe.stat().st_blocks * 512 < MiB
    probe.unlink()
    return kept


def test_write_data_leaves_long_zero_runs_of_a_new_file_as_holes(tmp_path: Path) -> None:
    target = tmp_path / "new.img"
    data = os.urandom(PAGE) + bytes(256 * PAGE) + os.urandom(PAGE) + bytes(256 * PAGE)
    assert write_at(target, 0, data) == data
    if not keeps_holes(tmp_path):
        pytest.skip("this file system does not keep holes")
    with open(target, "rb") as f:
        assert os.lseek(f.fileno(), 0, os.SEEK_HOLE) == PAGE
        assert os.lseek(f.fileno(), PAGE, os.SEEK_DATA) == 257 * PAGE
    assert data_blocks(target) <= 2 * 16  # the two data pages (some file systems allocate more)


def test_write_data_punches_old_data_under_zero_runs(tmp_path: Path) -> None:
    target = tmp_path / "old.img"
    target.write_bytes(os.urandom(300 * PAGE))
    data = os.urandom(PAGE) + bytes(256 * PAGE) + os.urandom(PAGE)
    assert write_at(target, 0, data) == data + target.read_bytes()[len(data) :]
    assert target.read_bytes()[PAGE : 257 * PAGE] == bytes(256 * PAGE)
    if not punches_holes(tmp_path):
        pytest.skip("this file system cannot punch holes")
    assert data_blocks(target) < 300 - 200


def test_write_data_without_hole_punching_writes_the_zeros(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileranges, "_punch_hole", False)
    target = tmp_path / "old.img"
    target.write_bytes(b"\xaa" * 100 * PAGE)
    data = bytes(90 * PAGE) + b"end"
    assert write_at(target, 5, data) == b"\xaa" * 5 + data + b"\xaa" * (10 * PAGE - 8)


def test_pages_that_only_start_with_zero_are_data(tmp_path: Path) -> None:
    target = tmp_path / "new.img"
    data = b"".join(b"\0" * (PAGE - 1) + b"x" for _ in range(64))
    assert write_at(target, 0, data) == data
    assert data_blocks(target) >= 64


def test_apply_with_the_image_in_memory_gives_the_same_bytes(tmp_path: Path) -> None:
    """The virtual phone's route: RAW payloads written from the mapped download, not copied by descriptor."""
    image, old, expected = mixed_image()
    source = tmp_path / "image.simg"
    source.write_bytes(image)
    target = tmp_path / "partition.img"
    target.write_bytes(old)
    with open(source, "rb") as src, open(target, "r+b") as dst:
        apply_sparse(src, dst, memory=memoryview(image))
    assert target.read_bytes() == expected


def zero_runs_by_definition(data: bytes, offset: int) -> list[tuple[int, int]]:
    """Every maximal run of at least 16 whole zero pages of the file, found page by page."""
    first = -offset % PAGE
    starts = range(first, len(data) - PAGE + 1, PAGE)
    runs: list[tuple[int, int]] = []
    index = 0
    for zero, group in itertools.groupby(data[page : page + PAGE] == bytes(PAGE) for page in starts):
        count = len(list(group))
        if zero and count >= 16:
            runs.append((starts[index], starts[index] + count * PAGE))
        index += count
    return runs


@pytest.mark.parametrize("seed", range(12))
def test_zero_runs_match_the_page_by_page_definition(seed: int) -> None:
    """Runs of zero pages next to pages that only begin with zeros, at every length around the
    smallest hole and at unaligned offsets: the same runs as looking at every page."""
    rnd = random.Random(seed)
    pages = {
        "zero": lambda: bytes(PAGE),
        "begins with zeros": lambda: bytes(rnd.choice([8, 100, PAGE - 1])).ljust(PAGE, b"x"),
        "data": lambda: rnd.randbytes(PAGE),
    }
    pieces = []
    for _ in range(40):
        make = pages[rnd.choice(["zero", "zero", "begins with zeros", "data"])]
        pieces += [make() for _ in range(rnd.choice([1, 3, 15, 16, 17, 31, 33, 70]))]
    data = b"".join(pieces) + bytes(rnd.randrange(3 * PAGE))
    offset = rnd.choice([0, 8, 100, PAGE - 8, 5 * PAGE])
    assert fileranges._zero_runs(memoryview(data), offset) == zero_runs_by_definition(data, offset)
