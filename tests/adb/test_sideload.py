"""Sideload through our client into the virtual recovery: blocks, order, outcome, preflight, faults."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.adb.zips import make_rom_zip
from unlocker.adb.package import check_device, inspect_package
from unlocker.adb.sideload import DONE, UNKNOWN, sideload_host, sideload_legacy
from unlocker.device.connect import connect_adb
from unlocker.emulator.faults import parse_fault
from unlocker.emulator.recovery import RecoveryOptions
from unlocker.errors import (
    DeviceDisconnected,
    PreflightError,
    ProtocolError,
    ServiceRefused,
    SideloadFailed,
    TransportTimeout,
)

BLOCK = 65536


def test_sideload_lands_byte_identical_and_is_recorded(sideload_phone, tmp_path: Path) -> None:
    rom = make_rom_zip(tmp_path / "rom.zip", payload=3 * 1024 * 1024 + 777)
    seen: list[int] = []
    with connect_adb(sideload_phone.name) as client:
        result = sideload_host(client, rom, progress=seen.append)
    assert result.outcome == DONE
    size = rom.stat().st_size
    assert result.blocks == result.distinct_blocks == -(-size // BLOCK)
    assert sum(seen) == size  # the bar counts each block once, the short last one by its size
    assert result.requests > result.blocks  # the recovery asked for some blocks twice
    assert result.bytes_sent > size
    phone = sideload_phone.phone
    assert phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()
    record = phone.state["last_install"]
    assert record["ok"] and record["size"] == size and record["post_build"].startswith("Xiaomi/alioth")
    # minadbd exits once it sees the host close the stream, on the phone's own thread: the host
    # does not wait for that (neither does adb), so the menu comes back a moment later.
    deadline = time.monotonic() + 5
    while phone.mode != "recovery" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert phone.mode == "recovery"  # back at the recovery's menu


@pytest.mark.parametrize(("ours", "theirs"), [(0x01000000, 0x01000001), (0x01000001, 0x01000000)])
def test_sideload_with_checksums(recovery_factory, tmp_path: Path, ours: int, theirs: int) -> None:
    """Version 0x01000000 on either side: every message checksummed, and checked, both ways."""
    running = recovery_factory(options=RecoveryOptions(adb_version=theirs))
    rom = make_rom_zip(tmp_path / "rom.zip", payload=700_000)
    with connect_adb(running.name, version=ours) as client:
        assert client.version == 0x01000000
        assert sideload_host(client, rom).outcome == DONE
    assert running.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()


def test_journey_with_authentication(recovery_factory, tmp_path: Path) -> None:
    """Recovery (adbd asks who we are) -> reboot:sideload -> minadbd (asks nothing) -> sideload."""
    running = recovery_factory(mode="recovery")
    with connect_adb(running.name) as client:
        assert client.banner.mode == "recovery"
        client.reboot("sideload")
    assert running.phone.recovery.trusted_keys()  # the owner allowed us on the way
    rom = make_rom_zip(tmp_path / "rom.zip")
    with connect_adb(running.name, send_public_key=False) as client:
        assert client.banner.mode == "sideload"
        assert sideload_host(client, rom).outcome == DONE
    assert running.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()


def test_requests_follow_a_recovery_reading_a_zip(sideload_phone, tmp_path: Path, monkeypatch) -> None:
    """End of file first (EOCD), central directory, every block in order, then entries again."""
    from unlocker.emulator import installer

    asked: list[int] = []
    original = installer.SideloadInstaller.next_request

    def spy(self):  # noqa: ANN001, ANN202
        block = original(self)
        if block is not None:
            asked.append(block)
        return block

    monkeypatch.setattr(installer.SideloadInstaller, "next_request", spy)
    rom = make_rom_zip(tmp_path / "rom.zip", payload=1024 * 1024)
    blocks = -(-rom.stat().st_size // BLOCK)
    with connect_adb(sideload_phone.name) as client:
        sideload_host(client, rom)
    assert asked[0] == blocks - 1  # the last block first
    sweep_start = next(i for i in range(len(asked)) if asked[i : i + blocks] == list(range(blocks)))
    assert sweep_start > 0  # something before the verification pass: the end and the directory
    assert len(asked) > sweep_start + blocks  # the installer reads entries again afterwards
    assert asked[sweep_start + blocks :][0] == 0  # the metadata entry is at the start of this zip


def test_package_for_another_phone_is_refused_before_a_byte_is_sent(sideload_phone, tmp_path: Path) -> None:
    rom = make_rom_zip(tmp_path / "lavender.zip", device="lavender,lavender_in")
    package = inspect_package(rom)
    assert package.devices == ("lavender", "lavender_in") and package.kind == "updater"
    with pytest.raises(PreflightError, match=r"is for lavender, lavender_in.*'alioth'"):
        check_device(package, "alioth", phone="p")
    check_device(package, "lavender_in", phone="p")
    check_device(inspect_package(make_rom_zip(tmp_path / "any.zip", device=None)), "alioth", phone="p")
    not_zip = tmp_path / "rom.zip.part"
    not_zip.write_bytes(os.urandom(5000))
    with pytest.raises(PreflightError, match="not a zip"):
        inspect_package(not_zip)


def test_recovery_that_rejects_the_package(sideload_phone, tmp_path: Path) -> None:
    rom = make_rom_zip(tmp_path / "rom.zip", update_binary=False)  # nothing to run: the recovery aborts
    with connect_adb(sideload_phone.name) as client, pytest.raises(SideloadFailed, match="could not install"):
        sideload_host(client, rom)
    phone = sideload_phone.phone
    assert not phone.recovery.sideloaded_path.exists()
    assert "update-binary" in phone.state["last_install"]["error"]
    assert phone.recovery.last_install_text().splitlines()[1] == "0"


def test_not_a_zip_is_rejected_by_the_recovery_after_its_first_look(sideload_phone, tmp_path: Path) -> None:
    """Sent anyway (the library does not preflight): the recovery stops after reading the end."""
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(5 * BLOCK))
    with connect_adb(sideload_phone.name) as client, pytest.raises(SideloadFailed):
        sideload_host(client, junk)


def test_sideload_into_recovery_not_in_sideload_mode(recovery_factory, tmp_path: Path) -> None:
    running = recovery_factory(mode="recovery", options=RecoveryOptions(auth=False))
    with connect_adb(running.name) as client, pytest.raises(ServiceRefused):
        sideload_host(client, make_rom_zip(tmp_path / "rom.zip"))


def test_apply_from_adb_control_and_auto(recovery_factory, tmp_path: Path) -> None:
    running = recovery_factory(mode="recovery")
    phone = running.phone
    phone.recovery.control_path.touch()
    phone.check_controls()
    assert phone.mode == "sideload" and not phone.recovery.control_path.exists()
    auto = recovery_factory(mode="recovery", options=RecoveryOptions(auto_apply_from_adb=True))
    assert auto.phone.mode == "sideload"


def test_legacy_sideload_to_an_android_4_4_recovery(recovery_factory, tmp_path: Path) -> None:
    running = recovery_factory(options=RecoveryOptions(legacy=True))
    rom = make_rom_zip(tmp_path / "rom.zip", payload=200_000)
    sent: list[int] = []
    with connect_adb(running.name) as client:
        assert client.max_payload == 4096
        with pytest.raises(ServiceRefused):
            sideload_host(client, rom)  # an old recovery knows no sideload-host
        result = sideload_legacy(client, rom, progress=sent.append)
    assert result.outcome == DONE and sum(sent) == rom.stat().st_size
    assert running.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()


def test_modern_recovery_refuses_legacy_sideload(sideload_phone, tmp_path: Path) -> None:
    with connect_adb(sideload_phone.name) as client, pytest.raises(ServiceRefused):
        sideload_legacy(client, make_rom_zip(tmp_path / "rom.zip"))
    assert sideload_phone.phone.mode == "recovery"  # minadbd exited ("you need a newer adb")


# --- faults -------------------------------------------------------------------------------------


def test_disconnect_mid_sideload_is_an_error_never_success(recovery_factory, tmp_path: Path) -> None:
    running = recovery_factory(faults=[parse_fault(f"disconnect@{5 * BLOCK}")])
    rom = make_rom_zip(tmp_path / "rom.zip", payload=1024 * 1024)
    with connect_adb(running.name) as client, pytest.raises(DeviceDisconnected, match="during the sideload"):
        sideload_host(client, rom)
    assert not running.phone.recovery.sideloaded_path.exists()
    assert running.phone.state["last_install"]["ok"] is False


def test_stall_mid_sideload_times_out(recovery_factory, tmp_path: Path) -> None:
    running = recovery_factory(faults=[parse_fault(f"stall@{3 * BLOCK}")])
    rom = make_rom_zip(tmp_path / "rom.zip", payload=1024 * 1024)
    with (
        connect_adb(running.name) as client,
        pytest.raises(TransportTimeout, match="asked for nothing for 0.5 s"),
    ):
        sideload_host(client, rom, wait=0.5)


@pytest.mark.parametrize(
    ("spec", "error"),
    [("fail:sideload-host", ServiceRefused), ("garbage:sideload-host", ProtocolError)],
)
def test_refused_or_garbled_sideload(recovery_factory, tmp_path: Path, spec: str, error: type) -> None:
    running = recovery_factory(faults=[parse_fault(spec)])
    with connect_adb(running.name) as client, pytest.raises(error):
        sideload_host(client, make_rom_zip(tmp_path / "rom.zip"))


def test_link_gone_after_every_block_is_result_unknown(sideload_phone, tmp_path: Path, monkeypatch) -> None:
    """Pre-2020 minadbd exited before its DONEDONE reached the host: not a failure, not success."""
    from unlocker.adb.message import encode_block_request
    from unlocker.emulator import adb_device

    def ask_then_vanish(self) -> None:  # noqa: ANN001
        block = self.installer.next_request()
        if block is None:
            self.session.leave_sideload()  # gone without a word
        else:
            self.write(encode_block_request(block))

    monkeypatch.setattr(adb_device._SideloadHost, "_ask", ask_then_vanish)
    with connect_adb(sideload_phone.name) as client:
        result = sideload_host(client, make_rom_zip(tmp_path / "rom.zip"))
    assert result.outcome == UNKNOWN and result.distinct_blocks == result.blocks
