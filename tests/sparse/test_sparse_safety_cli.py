"""Sparse images that lie (issue 9, item 8): CRC32 chunks verified and kept correct in split
pieces, absurd and empty images refused before writing, partial output removed on SIGTERM."""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sparse.test_reader_apply import build
from unlocker.sparse import crc as crc32
from unlocker.sparse.extents import layout_of_sparse
from unlocker.sparse.format import CRC32, DONT_CARE, FILE_HEADER, FILL, MAGIC, RAW
from unlocker.sparse.reader import check_crc
from unlocker.sparse.resparse import resparse
from unlocker.sparse.writer import CRC_CHUNK_SIZE, SparseStream

MiB = 1024 * 1024


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64), st.binary(min_size=1, max_size=16), st.integers(0, 5000))
def test_crc_of_runs_matches_zlib(prefix: bytes, unit: bytes, count: int) -> None:
    start = zlib.crc32(prefix)
    assert crc32.zeros(start, count) == zlib.crc32(bytes(count), start)
    assert crc32.repeat(start, unit, count) == zlib.crc32(unit * count, start)


def crc_image(good: bool = True) -> tuple[bytes, bytes]:
    """A sparse image with CRC32 chunks after a RAW, a gap and a FILL; and its expansion."""
    raw = os.urandom(3 * 4096)
    fill = b"\xab\xcd\xef\x01"
    expanded = raw + bytes(2 * 4096) + fill * (4 * 4096 // 4) + os.urandom(0)
    first = zlib.crc32(raw)
    whole = zlib.crc32(expanded)
    chunks = [
        (RAW, 3, raw),
        (CRC32, 0, struct.pack("<I", first)),
        (DONT_CARE, 2, b""),
        (FILL, 4, fill),
        (CRC32, 0, struct.pack("<I", whole if good else whole ^ 0x10)),
    ]
    return build(chunks), expanded


def test_sparse_info_verifies_crc_chunks(run_cli, tmp_path: Path) -> None:
    good, _expanded = crc_image()
    (tmp_path / "good.simg").write_bytes(good)
    r = run_cli("sparse", "info", str(tmp_path / "good.simg"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["crc32_verified"] == 2
    bad, _expanded = crc_image(good=False)
    (tmp_path / "bad.simg").write_bytes(bad)
    r = run_cli("sparse", "info", str(tmp_path / "bad.simg"))
    assert r.returncode == 1 and "CRC32 mismatch" in r.stderr and "Traceback" not in r.stderr


def test_flash_refuses_a_bad_crc_before_sending(unlocked_phone, run_cli, tmp_path: Path) -> None:
    bad, _expanded = crc_image(good=False)
    (tmp_path / "bad.simg").write_bytes(bad)
    r = run_cli("flash", "boot", str(tmp_path / "bad.simg"), "--yes", "-s", unlocked_phone.name)
    assert r.returncode == 1 and "CRC32 mismatch" in r.stderr
    assert not [c for c in unlocked_phone.phone.commands_received if c.startswith("download:")]


def test_split_pieces_carry_correct_crc_chunks(phone_factory, run_cli, tmp_path: Path) -> None:
    good, expanded = crc_image()
    layout = layout_of_sparse(io.BytesIO(good))
    assert layout.has_crc
    pieces = resparse(layout, 2 * 4096 + 100 - CRC_CHUNK_SIZE)
    assert len(pieces) >= 2
    for extents in pieces:
        data = SparseStream(io.BytesIO(good), extents, layout.blk_sz, layout.total_blks, crc=True).read()
        assert check_crc(io.BytesIO(data)) == 1  # each piece ends with a CRC32 chunk that holds
    # through the CLI: the virtual phone checks every piece's CRC32 as libsparse does
    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=2 * 4096 + 100)
    (tmp_path / "good.simg").write_bytes(good)
    r = run_cli("flash", "boot", str(tmp_path / "good.simg"), "--yes", "--json", "-s", p.name)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pieces"] >= 2
    assert p.partition("boot")[: len(expanded)] == expanded


def tiny_header(blocks: int, chunks: list[bytes]) -> bytes:
    return FILE_HEADER.pack(MAGIC, 1, 0, 28, 12, 4096, blocks, len(chunks), 0) + b"".join(chunks)


def test_absurd_expansion_refused_before_writing(unlocked_phone, run_cli, tmp_path: Path) -> None:
    blocks = 0xFFFFFFFF  # 16 TiB from 40 bytes
    image = tmp_path / "huge.simg"
    image.write_bytes(tiny_header(blocks, [struct.pack("<HHII", DONT_CARE, 0, blocks, 12)]))
    out = tmp_path / "huge.raw"
    r = run_cli("sparse", "expand", str(image), str(out))
    assert r.returncode == 1 and "expands to 17592186040320 bytes" in r.stderr and "free" in r.stderr
    assert not out.exists() and not (tmp_path / "huge.raw.part").exists()
    r = run_cli("flash", "boot", str(image), "--yes", "-s", unlocked_phone.name)
    assert r.returncode == 1 and "holds only" in r.stderr


def test_empty_sparse_image_refused(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "empty.simg"
    image.write_bytes(tiny_header(0, []))
    r = run_cli("flash", "boot", str(image), "--yes", "-s", unlocked_phone.name)
    assert r.returncode == 1 and "empty image" in r.stderr
    r = run_cli("sparse", "expand", str(image), str(tmp_path / "out.raw"))
    assert r.returncode == 1 and "empty image" in r.stderr


def test_convert_refuses_bad_block_sizes_and_sparse_input(run_cli, tmp_path: Path) -> None:
    raw = tmp_path / "a.raw"
    raw.write_bytes(os.urandom(8192))
    for size in ("8589934592", "67108868"):
        r = run_cli("sparse", "convert", str(raw), str(tmp_path / "a.simg"), "--block-size", size)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "--block-size" in r.stderr, size
    assert run_cli("sparse", "convert", str(raw), str(tmp_path / "a.simg")).returncode == 0
    r = run_cli("sparse", "convert", str(tmp_path / "a.simg"), str(tmp_path / "b.simg"))
    assert r.returncode == 1 and "already an Android sparse image" in r.stderr
    assert not (tmp_path / "b.simg").exists()


def test_sigterm_during_expand_removes_partial_output(cli_env, tmp_path: Path) -> None:
    blocks = 512 * MiB // 4096
    image = tmp_path / "big.simg"
    image.write_bytes(tiny_header(blocks, [struct.pack("<HHII", FILL, 0, blocks, 16) + b"\x01\x02\x03\x04"]))
    out = tmp_path / "big.raw"
    part = tmp_path / "big.raw.part"
    proc = subprocess.Popen(
        [sys.executable, "-m", "unlocker", "sparse", "expand", str(image), str(out)],
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    deadline = time.monotonic() + 30
    while not (part.exists() and part.stat().st_size > 0):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert not part.exists() and not out.exists()
