"""adb over USB on the fake pyusb bus: the recovery's interface, re-enumeration, 16 KiB URBs, ZLPs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adb.zips import make_rom_zip
from unlocker.adb.client import ADB_USB
from unlocker.adb.sideload import DONE, sideload_host
from unlocker.cli.main import main
from unlocker.device.connect import connect_adb
from unlocker.emulator.faults import parse_fault
from unlocker.emulator.recovery import RecoveryOptions
from unlocker.errors import DeviceDisconnected
from unlocker.fastboot.protocol import FASTBOOT_USB
from unlocker.transport.usb import list_usb_devices


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UNLOCKER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)


def test_reboot_recovery_reenumerates_as_adb_and_sideloads_in_16k_urbs(usb_bench, tmp_path: Path) -> None:
    usb_bench.backend.urb_size = 16384  # as libusb cuts transfers on Linux
    usb = usb_bench.plug(recovery=RecoveryOptions(auto_apply_from_adb=True))
    usb_bench.client().reboot("recovery")
    rom = make_rom_zip(tmp_path / "rom.zip", payload=5 * 1024 * 1024 + 99)
    with connect_adb(None, wait=5) as client:  # the phone left the bus and came back speaking adb
        assert client.banner.mode == "sideload" and client.name == usb.serial
        assert [d.usb_id for d in list_usb_devices(ADB_USB)] == ["18d1:d001"]
        assert list_usb_devices(FASTBOOT_USB) == []
        before = len(usb_bench.backend.out_transfers)
        result = sideload_host(client, rom)
    assert result.outcome == DONE
    assert usb.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()
    sent = usb_bench.backend.out_transfers[before:]
    # Header and payload are separate transfers; a 64 KiB block (a multiple of 512) ends with a ZLP.
    full_blocks = [i for i, size in enumerate(sent) if size == 65536]
    assert full_blocks and all(sent[i + 1] == 0 for i in full_blocks)
    assert 24 in sent


def test_owner_choosing_apply_from_adb_reenumerates_the_phone(usb_bench) -> None:
    usb = usb_bench.plug(recovery=RecoveryOptions(auth=False))
    usb.phone.reboot("recovery")
    usb.unplug(replug_after=0.0)
    with connect_adb(None, wait=5) as client:
        assert client.banner.mode == "recovery"
        assert client.getprop("ro.product.device") == "alioth"
    unplugs = usb.unplugs
    usb.phone.recovery.control_path.touch()
    with connect_adb(None, wait=5) as client:
        assert client.banner.mode == "sideload"
    assert usb.unplugs == unplugs + 1  # the recovery restarted its USB gadget for minadbd


def test_auth_over_usb(usb_bench) -> None:
    usb = usb_bench.plug()
    usb.phone.reboot("recovery")
    usb.unplug(replug_after=0.0)
    notices: list[str] = []
    with connect_adb(None, wait=5, notify=notices.append) as client:
        assert client.banner.mode == "recovery"
    assert notices and usb.phone.recovery.trusted_keys()


def test_disconnect_mid_sideload_over_usb(usb_bench, tmp_path: Path) -> None:
    usb = usb_bench.plug(faults=[parse_fault("disconnect@400000")])
    usb.phone.reboot("sideload")
    usb.unplug(replug_after=0.0)
    with connect_adb(None, wait=5) as client, pytest.raises(DeviceDisconnected, match="during the sideload"):
        sideload_host(client, make_rom_zip(tmp_path / "rom.zip", payload=2 * 1024 * 1024))
    assert not usb.phone.recovery.sideloaded_path.exists()


def test_cli_adb_devices_and_status_on_usb(usb_bench, capsys) -> None:
    usb = usb_bench.plug(serial="USBADB01")
    usb.phone.reboot("sideload")
    usb.unplug(replug_after=0.0)
    with pytest.raises(SystemExit) as done:
        main(["adb", "devices", "--json"])
    assert done.value.code == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["serial"], row["mode"], row["product"], row["usb_id"]) == (
        "USBADB01",
        "sideload",
        "alioth",
        "18d1:d001",
    )
    with pytest.raises(SystemExit) as done:
        main(["status", "--json"])  # no fastboot phone on USB: the one in sideload mode answers
    assert done.value.code == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["mode"], report["serial"], report["product"]) == ("sideload", "USBADB01", "alioth")
