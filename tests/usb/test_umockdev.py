"""Real libusb against an emulated USB phone (umockdev), with the CLI as a subprocess.

Catches what the fake pyusb backend cannot: ctypes and libusb themselves, URB splitting,
string descriptors over control transfers, claim/release, timeouts through DISCARDURB, and
hotplug when a rebooting phone leaves the bus and comes back at a new address.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.contracts import STATUS_KEYS

pytestmark = pytest.mark.umockdev


@pytest.fixture
def run_python(cli_env):
    """Run a short script with the project's interpreter (FastbootClient where no CLI command exists yet)."""

    def run(
        script: str, env: dict[str, str], *args: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            env={**cli_env, **env},
            timeout=timeout,
        )

    return run


def test_getvar_product(umockdev_phone_factory, run_cli) -> None:
    phone = umockdev_phone_factory()
    r = run_cli("getvar", "product", env=phone.env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "product: alioth\n"


def test_status_json_and_devices(umockdev_phone_factory, run_cli) -> None:
    phone = umockdev_phone_factory("--serial", "UMOCK0001", "--vendor-id", "2717")
    r = run_cli("status", "--json", env=phone.env)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert set(report) == STATUS_KEYS
    assert (report["serial"], report["product"], report["unlocked"]) == ("UMOCK0001", "alioth", False)
    r = run_cli("devices", "--json", env=phone.env)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert (row["serial"], row["path"], row["usb_id"], row["product"]) == (
        "UMOCK0001",
        "usb:1-1",
        "2717:d00d",
        "alioth",
    )


def test_serial_matching_through_string_descriptors(umockdev_phone_factory, run_cli) -> None:
    phone = umockdev_phone_factory("--serial", "UMOCK0002")
    assert run_cli("getvar", "product", "-s", "UMOCK0002", env=phone.env).returncode == 0
    assert run_cli("getvar", "product", "-s", "usb:1-1", env=phone.env).returncode == 0
    r = run_cli("getvar", "product", "-s", "NOTTHISONE", env=phone.env)
    assert r.returncode == 1
    assert r.stderr.startswith("unlocker: error: no phone 'NOTTHISONE' in fastboot mode on USB")
    assert "UMOCK0002 at usb:1-1" in r.stderr and "Traceback" not in r.stderr


def test_large_download_is_split_into_urbs_and_lands_byte_exact(
    umockdev_phone_factory, run_cli, tmp_path
) -> None:
    phone = umockdev_phone_factory("--unlocked")
    image = tmp_path / "boot.img"
    image.write_bytes(os.urandom(4 * 1024 * 1024 + 4096))
    r = run_cli("flash", "boot", str(image), "--yes", "--no-progress", env=phone.env)
    assert r.returncode == 0, r.stderr
    assert "boot_a" in r.stdout
    assert phone.partition("boot_a").read_bytes() == image.read_bytes()
    stats = dict(item.split("=") for item in phone.stop().split()[1:])
    # libusb cut our 1 MiB writes into 16 KiB URBs; the phone reassembled them by byte count.
    assert int(stats["largest_out_urb"]) == 16384
    assert int(stats["out_urbs"]) >= image.stat().st_size // 16384


def test_reboot_unplugs_and_the_next_command_finds_the_phone_again(umockdev_phone_factory, run_cli) -> None:
    phone = umockdev_phone_factory()
    token = run_cli("getvar", "token", env=phone.env).stdout
    r = run_cli("reboot", "bootloader", env=phone.env)
    assert r.returncode == 0, r.stderr
    phone.wait_for("UNPLUGGED")
    assert phone.wait_for("PLUGGED") == "PLUGGED 1 3"  # re-enumerated at a new address
    r = run_cli("getvar", "product", env=phone.env)
    assert r.returncode == 0, r.stderr
    assert run_cli("getvar", "token", env=phone.env).stdout != token  # it really rebooted


def test_one_process_waits_for_the_phone_across_a_reboot(umockdev_phone_factory, run_python) -> None:
    """A running process sees the phone leave and come back (libusb hotplug), as the flash engine needs.

    umockdev sends uevents in libudev's format, which only a libusb built with udev support
    hears (Debian's); the libusb-package build listens for kernel-format uevents, which real
    kernels send but umockdev does not. So this test uses the system libusb.
    """
    phone = umockdev_phone_factory()
    script = (
        "from unlocker.device.connect import connect_fastboot as open_client\n"
        "from unlocker.errors import DeviceDisconnected\n"
        "c = open_client(None)\n"
        "c.reboot('bootloader')\n"
        "try:\n"
        "    c.getvar('product')\n"
        "except DeviceDisconnected:\n"
        "    print('gone')\n"
        "c.close()\n"
        "with open_client(None, wait=15) as again:\n"
        "    print(again.getvar('product'))\n"
    )
    r = run_python(script, {**phone.env, "UNLOCKER_LIBUSB": "system"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["gone", "alioth"]


def test_silent_phone_times_out_with_one_line(umockdev_phone_factory, run_cli) -> None:
    phone = umockdev_phone_factory("--fault", "stall:getvar:product")
    r = run_cli("getvar", "product", env={**phone.env, "UNLOCKER_RESPONSE_TIMEOUT": "0.5"})
    assert r.returncode == 1
    assert r.stderr.startswith("unlocker: error: ") and "no answer to 'getvar:product'" in r.stderr
    assert "Traceback" not in r.stderr
