"""How the virtual phone stores what it receives (issue 15, item 6): downloads land in place in one
staging file that is never truncated or recreated, sparse flashes write only what they must (holes
for DONT_CARE and zeros), and the results are byte-identical to what a phone would hold."""

from __future__ import annotations

import io
import os
import tempfile

import pytest

from tests.emulator.test_hostile_clients import raw_command, raw_connect
from tests.sparse.test_fileranges import keeps_holes
from tests.sparse.test_reader_apply import build
from unlocker.device.connect import connect_fastboot
from unlocker.emulator import staging
from unlocker.emulator.faults import parse_fault
from unlocker.emulator.session import Session
from unlocker.errors import FastbootFailure
from unlocker.sparse.format import DONT_CARE, FILL, RAW

BLOCK = 4096
MiB = 1024 * 1024
PER_MiB = MiB // BLOCK
PATTERN = b"\x12\x34\x56\x78"


@pytest.fixture
def legacy(phone_factory):  # noqa: ANN001, ANN201 - a RunningPhone with a 'system' of 1.5 GiB
    return phone_factory("xiaomi-legacy", unlocked=True)


def flash(name: str, partition: str, data: bytes) -> None:
    with connect_fastboot(name) as c:
        c.download(data)
        c.flash(partition)


def test_sparse_flash_over_old_data(legacy) -> None:  # noqa: ANN001
    """RAW, zero FILL, pattern FILL and DONT_CARE over a partition that held other data."""
    old = os.urandom(5 * MiB)
    flash(legacy.name, "system", old)
    raw = os.urandom(MiB)
    image = build(
        [
            (RAW, PER_MiB, raw),
            (FILL, PER_MiB, bytes(4)),
            (FILL, PER_MiB, PATTERN),
            (DONT_CARE, PER_MiB, b""),
            (RAW, 1, b"t" * BLOCK),
        ]
    )
    flash(legacy.name, "system", image)
    held = legacy.partition("system")
    assert held[: 4 * MiB] == raw + bytes(MiB) + PATTERN * (MiB // 4) + old[3 * MiB : 4 * MiB]
    assert held[4 * MiB : 4 * MiB + BLOCK] == b"t" * BLOCK
    assert held[4 * MiB + BLOCK :] == old[4 * MiB + BLOCK :]  # a sparse image never shrinks a partition


def test_dont_care_and_zeros_leave_holes(legacy) -> None:  # noqa: ANN001
    image = build(
        [
            (RAW, 1, b"a" * BLOCK),
            (DONT_CARE, 8 * PER_MiB, b""),
            (FILL, 8 * PER_MiB, bytes(4)),
            (RAW, 1, b"z" * BLOCK),
        ]
    )
    flash(legacy.name, "system", image)
    path = legacy.phone.partition_path("system")
    assert legacy.partition("system") == b"a" * BLOCK + bytes(16 * MiB) + b"z" * BLOCK
    if path.stat().st_blocks * 512 >= 16 * MiB:
        pytest.skip("this file system does not keep holes")
    assert path.stat().st_blocks * 512 <= MiB


def test_raw_flash_replaces_a_longer_partition(legacy) -> None:  # noqa: ANN001
    flash(legacy.name, "boot", os.urandom(3 * MiB))
    new = os.urandom(MiB + 5)
    flash(legacy.name, "boot", new)
    assert legacy.partition("boot") == new


def test_one_staging_file_kept_across_downloads_and_connections(
    legacy,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    created: list[int] = []
    real = tempfile.TemporaryFile

    def counting(*args: object, **kwargs: object):  # noqa: ANN202
        f = real(*args, **kwargs)  # type: ignore[call-overload]
        created.append(os.fstat(f.fileno()).st_ino)
        return f

    monkeypatch.setattr(staging.tempfile, "TemporaryFile", counting)
    big, small = os.urandom(2 * MiB), b"small"
    with connect_fastboot(legacy.name) as c:
        c.download(big)
        c.download(small)
        sink = io.BytesIO()
        c.upload(sink)
        assert sink.getvalue() == small  # the stale tail of the bigger download is never seen
    with connect_fastboot(legacy.name) as c:
        with pytest.raises(FastbootFailure):
            c.upload(io.BytesIO())  # nothing staged on a new connection, though the file is reused
        c.download(big)
        c.flash("boot")
    assert legacy.partition("boot") == big
    assert len(created) == 1
    assert not list(legacy.state_dir.glob("download*"))  # anonymous: nothing left in the state dir


def test_downloads_are_received_in_place(legacy, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """No second copy: the data goes from the socket into the staging file's memory."""
    writes: list[int] = []
    real = os.pwrite

    def counting(fd: int, data: bytes, offset: int) -> int:
        writes.append(len(data))
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", counting)
    windows: list[int] = []
    real_buffer = Session.receive_buffer

    def spying(self: Session, size: int) -> memoryview | None:
        view = real_buffer(self, size)
        windows.append(0 if view is None else len(view))
        return view

    monkeypatch.setattr(Session, "receive_buffer", spying)
    data = os.urandom(9 * MiB)
    with connect_fastboot(legacy.name) as c:
        c.download(data)
        sink = io.BytesIO()
        c.upload(sink)
    assert sink.getvalue() == data
    assert sum(windows) == len(data) and 0 not in windows
    assert writes == []


def test_a_disconnect_fault_fires_at_the_same_piece(phone_factory) -> None:  # noqa: ANN001
    """Data is taken in pieces of 4 MiB, in place or not: the piece that crosses the count drops the link."""
    running = phone_factory("xiaomi-legacy", unlocked=True, faults=[parse_fault(f"disconnect@{5 * MiB}")])
    with raw_connect(running.port) as sock, pytest.raises(ConnectionError):
        raw_command(sock, b"download:%08x" % (9 * MiB), os.urandom(9 * MiB))
    assert running.phone.download_bytes_seen == 4 * MiB
    with raw_connect(running.port) as sock:
        assert raw_command(sock, b"flash:boot") == b"FAILno image downloaded"


def test_a_half_received_download_is_never_staged(legacy) -> None:  # noqa: ANN001
    with raw_connect(legacy.port) as sock:
        assert raw_command(sock, b"download:00000004", b"keep") == b"OKAY"
        assert raw_command(sock, b"upload").startswith(b"DATA")
    with raw_connect(legacy.port) as sock:
        assert raw_command(sock, b"download:00000004", b"keep") == b"OKAY"
        # More than announced: the download fails, and the one before it is gone too.
        assert raw_command(sock, b"download:00000004", b"toolong").startswith(b"FAIL")
        assert raw_command(sock, b"flash:boot") == b"FAILno image downloaded"


def test_zero_padding_of_a_raw_flash_becomes_holes(legacy) -> None:  # noqa: ANN001
    """A boot image padded with zeros to its partition (as avbtool pads it), and a sparse RAW
    chunk holding zeros, each into a new partition file: the zeros cost no storage."""
    image = os.urandom(MiB) + bytes(8 * MiB)
    flash(legacy.name, "boot", image)
    payload = os.urandom(BLOCK) + bytes(8 * MiB) + os.urandom(BLOCK)
    flash(legacy.name, "system", build([(RAW, len(payload) // BLOCK, payload)]))
    assert legacy.partition("boot") == image
    assert legacy.partition("system")[: len(payload)] == payload
    if not keeps_holes(legacy.state_dir):
        pytest.skip("this file system does not keep holes")
    for name in ("boot", "system"):
        assert legacy.phone.partition_path(name).stat().st_blocks * 512 <= 2 * MiB


def test_zero_runs_over_old_data_read_back_as_zeros(legacy) -> None:  # noqa: ANN001
    """Raw and sparse: zeros inside the data replace what the partition held there."""
    flash(legacy.name, "boot", os.urandom(6 * MiB))
    raw = os.urandom(BLOCK) + bytes(4 * MiB) + os.urandom(BLOCK)
    flash(legacy.name, "boot", raw)
    assert legacy.partition("boot") == raw
    old = os.urandom(6 * MiB)
    flash(legacy.name, "system", old)
    payload = os.urandom(BLOCK) + bytes(2 * MiB) + os.urandom(BLOCK)
    flash(legacy.name, "system", build([(RAW, len(payload) // BLOCK, payload)]))
    assert legacy.partition("system") == payload + old[len(payload) :]


def test_flashes_write_from_the_received_memory(legacy, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """No descriptor copy: raw and sparse flashes write from the pages the download arrived in."""
    if not hasattr(os, "copy_file_range"):
        pytest.skip("no copy_file_range to avoid here")
    copies: list[int] = []
    real = os.copy_file_range

    def counting(src: int, dst: int, count: int, *offsets: int) -> int:
        copies.append(count)
        return real(src, dst, count, *offsets)

    monkeypatch.setattr(os, "copy_file_range", counting)
    raw = os.urandom(3 * MiB)
    flash(legacy.name, "boot", raw)
    payload = os.urandom(2 * MiB)
    flash(legacy.name, "system", build([(RAW, len(payload) // BLOCK, payload)]))
    assert legacy.partition("boot") == raw
    assert legacy.partition("system")[: len(payload)] == payload
    assert copies == []
