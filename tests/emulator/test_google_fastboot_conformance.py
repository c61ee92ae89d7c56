"""Conformance: Google's own fastboot client against the virtual phone, over TCP.

If Google's tool is happy, the virtual phone speaks the real wire protocol, and so every
other test that uses it exercises unlocker against something that behaves like hardware.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = [
    pytest.mark.google_tools,
    pytest.mark.skipif(
        shutil.which("fastboot") is None and not os.environ.get("CI"),
        reason="Debian 'fastboot' not installed",
    ),
]


def fastboot(name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["fastboot", "-s", name, *args], capture_output=True, text=True, timeout=timeout)


def test_getvar_product(phone) -> None:
    r = fastboot(phone.name, "getvar", "product")
    assert r.returncode == 0
    # Google's fastboot prints getvar results on stderr.
    assert "product: alioth" in r.stderr


def test_getvar_all(phone) -> None:
    r = fastboot(phone.name, "getvar", "all")
    assert r.returncode == 0
    assert "(bootloader) unlocked:no" in r.stderr
    assert "(bootloader) max-download-size:805306368" in r.stderr
    assert "(bootloader) partition-size:boot_a: 0x8000000" in r.stderr


def test_flash_raw_image(phone_factory, tmp_path) -> None:
    p = phone_factory("xiaomi-legacy", unlocked=True)
    image = tmp_path / "boot.img"
    data = os.urandom(3 * 1024 * 1024 + 123)
    image.write_bytes(data)
    r = fastboot(p.name, "flash", "boot", str(image))
    assert r.returncode == 0, r.stderr
    assert p.partition("boot") == data


def test_flash_sparse_image_split_by_google(phone_factory, tmp_path) -> None:
    """img2simg makes a sparse image; Google's fastboot resparses it to our 1 MiB limit."""
    if shutil.which("img2simg") is None or shutil.which("simg2img") is None:
        pytest.skip("android-sdk-libsparse-utils not installed")
    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=1024 * 1024)
    raw = tmp_path / "system.raw"
    with open(raw, "wb") as f:
        f.write(os.urandom(1024 * 1024))
        f.write(b"\0" * (2 * 1024 * 1024))
        f.write(b"\xab\xcd\xef\x01" * (256 * 1024))
        f.write(os.urandom(600 * 1024))
    sparse = tmp_path / "system.simg"
    subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
    r = fastboot(p.name, "flash", "system", str(sparse))
    assert r.returncode == 0, r.stderr
    assert "Sending sparse 'system' 1/" in r.stderr  # really split into several pieces
    expanded = tmp_path / "expanded.raw"
    subprocess.run(["simg2img", str(sparse), str(expanded)], check=True)
    assert p.partition("system") == expanded.read_bytes()


def test_flash_refused_when_locked(phone, tmp_path) -> None:
    image = tmp_path / "boot.img"
    image.write_bytes(b"\0" * 4096)
    r = fastboot(phone.name, "flash", "boot_a", str(image))
    assert r.returncode != 0
    assert "Flashing is not allowed in Lock State" in r.stderr


def test_reboot_bootloader(phone) -> None:
    before = phone.phone.boot_count
    r = fastboot(phone.name, "reboot-bootloader")
    assert r.returncode == 0, r.stderr
    assert phone.phone.boot_count == before + 1
    assert fastboot(phone.name, "getvar", "product").returncode == 0
