"""Zero-copy sends (issue 15): over TCP, image data goes by sendfile after its frame header; over
transports that cannot (USB), through the send buffer. Structural checks only: which path carried
how many bytes, what the phone received, how many getvars a flash asks, how much memory the
extents of a 262,144-chunk image take."""

from __future__ import annotations

import io
import os
import struct
import tracemalloc
from pathlib import Path

import pytest

from unlocker.device.connect import connect_fastboot
from unlocker.fastboot.client import SEND_FILE_MIN
from unlocker.flashing import engine
from unlocker.flashing.image import inspect_image
from unlocker.flashing.plan import plan_flash
from unlocker.flashing.preflight import read_flash_facts
from unlocker.sparse.extents import ExtentTable, ImageLayout, layout_of_raw, layout_of_sparse
from unlocker.sparse.format import FILL, RAW
from unlocker.sparse.resparse import iter_pieces
from unlocker.sparse.writer import SparseStream
from unlocker.transport.tcp import TcpTransport

MiB = 1024 * 1024


def _counting_send_file(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counts: list[int] = []
    original = TcpTransport.send_file

    def send_file(self: TcpTransport, fileobj, offset: int, count: int) -> int:  # noqa: ANN001
        counts.append(count)
        return original(self, fileobj, offset, count)

    monkeypatch.setattr(TcpTransport, "send_file", send_file)
    return counts


def _flash(name: str, partition: str, image: Path) -> engine.FlashResult:
    with connect_fastboot(name) as client:
        plan = plan_flash(read_flash_facts(client, partition), partition, inspect_image(image))
        return engine.execute(client, plan, confirm=lambda _q: None, reconnect=lambda: client)


def test_raw_image_goes_by_sendfile_over_tcp(unlocked_phone, tmp_path: Path, monkeypatch) -> None:
    counts = _counting_send_file(monkeypatch)
    image = tmp_path / "boot.img"
    data = os.urandom(3 * MiB + 4096)
    image.write_bytes(data)
    result = _flash(unlocked_phone.name, "boot", image)
    assert result.pieces == 1
    assert sum(counts) == len(data)  # every byte by the kernel, none through a Python buffer
    assert unlocked_phone.partition("boot_a") == data


def _image_cut_in_pieces(tmp_path: Path) -> tuple[Path, bytes]:
    """A raw image that a 1 MiB download limit cuts into several pieces: long RAW runs, a FILL run,
    and a short, block-unaligned end."""
    image = tmp_path / "system.img"
    data = os.urandom(3 * MiB) + bytes(2 * MiB) + os.urandom(MiB // 2 + 100)
    image.write_bytes(data)
    return image, data


def test_raw_runs_of_split_pieces_go_by_sendfile(phone_factory, tmp_path: Path, monkeypatch) -> None:
    counts = _counting_send_file(monkeypatch)
    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=MiB)
    image, data = _image_cut_in_pieces(tmp_path)
    result = _flash(p.name, "system", image)
    assert result.pieces >= 4
    raw_bytes = 3 * MiB + MiB // 2 + 100
    # Runs of SEND_FILE_MIN bytes or more go by sendfile; only the short ends of cut runs (and the
    # padded last block) go through the buffer, gathered with the chunk headers.
    assert sum(counts) <= raw_bytes
    assert raw_bytes - sum(counts) < SEND_FILE_MIN * result.pieces
    assert all(c >= SEND_FILE_MIN for c in counts)
    assert p.partition("system")[: len(data)] == data


def test_short_runs_are_read_without_preadv_where_the_system_lacks_it(
    phone_factory, tmp_path: Path, monkeypatch
) -> None:
    """Windows has no os.preadv: the short ranges gathered with the chunk headers are read by seek
    and read, and the phone gets the same bytes."""
    monkeypatch.delattr(os, "preadv")
    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=MiB)
    image, data = _image_cut_in_pieces(tmp_path)
    result = _flash(p.name, "system", image)
    assert result.pieces >= 4
    assert p.partition("system")[: len(data)] == data


def test_transports_without_sendfile_read_into_the_buffer(monkeypatch, tmp_path: Path) -> None:
    """The USB path: the same bytes, through readinto, and send_file never asked."""
    from tests.support_transport import ScriptedTransport
    from unlocker.fastboot.client import FastbootClient

    data = os.urandom(MiB + 123)
    image = tmp_path / "x.img"
    image.write_bytes(data)
    transport = ScriptedTransport([b"DATA%08x" % len(data), b"OKAY"], max_write_size=64 * 1024)
    assert not transport.sends_files
    monkeypatch.setattr(transport, "send_file", lambda *a: pytest.fail("send_file on a USB-like transport"))
    with open(image, "rb") as f:
        FastbootClient(transport).download(f)
    sent = b"".join(transport.writes[1:])
    assert sent == data


def test_a_flash_asks_no_more_getvars_than_before(phone_factory, tmp_path: Path) -> None:
    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=MiB)
    image = tmp_path / "system.img"
    image.write_bytes(os.urandom(2 * MiB))
    _flash(p.name, "system", image)
    commands = list(p.phone.commands_received)
    first = next(i for i, c in enumerate(commands) if c.startswith("download:"))
    getvars = [c for c in commands[:first] if c.startswith("getvar:")]
    # 13 when the flash path was last measured (issue 15): each variable once, none added since.
    assert len(getvars) == len(set(getvars)) <= 13, getvars


def _many_chunks(blocks: int, blk_sz: int = 64) -> bytes:
    """A sparse image of one-block chunks, RAW and FILL alternating (the most chunks per byte);
    small blocks keep the file small, the chunk count is what matters."""
    out = [struct.pack("<IHHHHIIII", 0xED26FF3A, 1, 0, 28, 12, blk_sz, blocks, blocks, 0)]
    for i in range(blocks):
        if i % 2 == 0:
            out.append(struct.pack("<HHII", RAW, 0, 1, 12 + blk_sz) + i.to_bytes(4, "little") * (blk_sz // 4))
        else:
            out.append(struct.pack("<HHII", FILL, 0, 1, 16) + struct.pack("<I", i))
    return b"".join(out)


def test_extents_take_bytes_not_objects(tmp_path: Path) -> None:
    """Extents are columns, pieces are views: walking an image of N chunks holds about 25 bytes
    per chunk (an object each would be some 200: 50 MiB at 262,144 chunks), cutting adds none."""
    chunks = 32_768  # enough to tell bytes from objects; tracemalloc makes each allocation slow
    image = tmp_path / "many.img"
    image.write_bytes(_many_chunks(chunks))
    with open(image, "rb") as f:
        tracemalloc.start()
        try:
            layout = layout_of_sparse(f)
            after_walk, walk_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            pieces = 0
            for piece in iter_pieces(layout, 64 * 1024):
                SparseStream(f, piece, layout.blk_sz, layout.total_blks)
                pieces += 1
            _now, cut_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(layout.extents) == chunks and pieces > 5
    window = 1024 * 1024  # the walk's read window, released after it
    assert after_walk < 40 * chunks, after_walk
    assert walk_peak < 40 * chunks + window + 64 * 1024, walk_peak
    assert cut_peak - after_walk < 64 * 1024, (after_walk, cut_peak)


def test_raw_scan_mapped_or_read_finds_the_same_extents(tmp_path: Path) -> None:
    data = os.urandom(8192) + bytes(3 * 4096) + b"\x07\x00\x00\x07" * 2048 + os.urandom(5000)
    image = tmp_path / "r.img"
    image.write_bytes(data)
    with open(image, "rb") as f:
        mapped = list(layout_of_raw(f, len(data)).extents)
    read = list(layout_of_raw(io.BytesIO(data), len(data)).extents)
    assert mapped == read
    assert [(e.kind, e.blocks) for e in mapped] == [(RAW, 2), (FILL, 3), (FILL, 2), (RAW, 2)]


def test_extent_table_reads_back_what_was_added() -> None:
    table = ExtentTable()
    table.add(RAW, 0, 3, 4096)
    table.add(FILL, 5, 2, 0, 0x04030201)
    layout = ImageLayout(4096, 8, table)
    assert [tuple(e) for e in layout.extents] == [(RAW, 0, 3, 4096, b""), (FILL, 5, 2, 0, b"\1\2\3\4")]
    assert layout.extents[-1].fill == b"\1\2\3\4" and len(layout.extents[0:1]) == 1
