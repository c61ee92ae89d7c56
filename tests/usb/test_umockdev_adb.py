"""adb sideload through real libusb against the emulated USB phone (umockdev), the CLI as a subprocess.

The phone starts in the bootloader; `unlocker reboot recovery` (fastboot) makes it leave the bus
and come back with adb's interface, its recovery waiting for a package; `unlocker sideload`
then finds it by that interface and sends a multi-MiB zip, which libusb cuts into 16 KiB URBs
that the phone reassembles by byte count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adb.zips import make_rom_zip

pytestmark = pytest.mark.umockdev


def test_reboot_recovery_then_sideload_over_libusb(umockdev_phone_factory, run_cli, tmp_path: Path) -> None:
    phone = umockdev_phone_factory("--serial", "UMOCKADB1", "--auto-apply-from-adb", "--adb-no-auth")
    r = run_cli("reboot", "recovery", env=phone.env)
    assert r.returncode == 0, r.stderr
    phone.wait_for("UNPLUGGED")
    phone.wait_for("PLUGGED")
    r = run_cli("adb", "devices", "--json", env=phone.env)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert (row["serial"], row["mode"], row["product"], row["usb_id"]) == (
        "UMOCKADB1",
        "sideload",
        "alioth",
        "18d1:d001",
    )
    rom = make_rom_zip(tmp_path / "rom.zip", payload=3 * 1024 * 1024 + 4321)
    r = run_cli("sideload", str(rom), "--yes", "--json", env=phone.env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["outcome"] == "done"
    assert (phone.state_dir / "sideloaded.zip").read_bytes() == rom.read_bytes()
    stats = dict(item.split("=") for item in phone.stop().split()[1:])
    assert int(stats["largest_out_urb"]) == 16384
    assert int(stats["out_bytes"]) > rom.stat().st_size
