"""Conformance: Google's own adb (Debian package) against the virtual phone's recovery, over TCP.

The adb server runs on a private port with a private HOME (its key is made there), and is
killed at the end. If Google's adb connects, lists the phone in recovery or sideload mode and
sideloads a zip into it byte for byte, the virtual recovery speaks real adb, and the tests of
our own client against it mean something.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.adb.zips import make_rom_zip
from unlocker.emulator.recovery import RecoveryOptions

pytestmark = [
    pytest.mark.google_tools,
    pytest.mark.skipif(
        shutil.which("adb") is None and not os.environ.get("CI"), reason="Debian 'adb' not installed"
    ),
]

Adb = Callable[..., subprocess.CompletedProcess[str]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def google_adb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Adb, Path]]:
    home = tmp_path_factory.mktemp("adb-home")
    port = str(_free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDROID_", "ADB_"))}
    env["HOME"] = str(home)

    def adb(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["adb", "-P", port, *args], capture_output=True, text=True, env=env, timeout=timeout
        )

    started = adb("start-server")
    assert started.returncode == 0, started.stderr
    try:
        yield adb, home / ".android" / "adbkey.pub"
    finally:
        adb("kill-server")


def connected(adb: Adb, serial: str) -> str:
    r = adb("connect", serial)
    assert r.returncode == 0, r.stderr
    return r.stdout


def state_of(adb: Adb, serial: str, wanted: str, timeout: float = 10) -> str:
    """The line `adb devices -l` shows for ``serial`` once it is ``wanted`` (or the last one seen)."""
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        lines = [x for x in adb("devices", "-l").stdout.splitlines() if x.startswith(serial + " ")]
        line = lines[0] if lines else ""
        if f" {wanted} " in line:
            break
        time.sleep(0.1)
    return line


def trust_googles_key(running, key_pub: Path) -> None:  # noqa: ANN001
    running.phone.recovery.keys_path.write_text(key_pub.read_text() + "\n")


def test_recovery_with_a_trusted_key(google_adb, phone_factory) -> None:
    adb, key_pub = google_adb
    running = phone_factory()
    running.phone.reboot("recovery")
    trust_googles_key(running, key_pub)  # Google's signature checked by the phone: no prompt
    serial = f"127.0.0.1:{running.server.adb_port}"
    assert connected(adb, serial).startswith("connected to")
    try:
        line = state_of(adb, serial, "recovery")
        assert "recovery product:alioth model:M2012K11AG device:alioth" in line
        r = adb("-s", serial, "shell", "getprop", "ro.product.device")
        assert r.returncode == 0 and r.stdout.strip() == "alioth"
    finally:
        adb("disconnect", serial)


def test_new_key_is_offered_and_allowed(google_adb, phone_factory) -> None:
    adb, key_pub = google_adb
    running = phone_factory()
    running.phone.reboot("recovery")
    serial = f"127.0.0.1:{running.server.adb_port}"
    connected(adb, serial)
    try:
        assert " recovery " in state_of(adb, serial, "recovery")
        trusted = running.phone.recovery.keys_path.read_text()
        assert key_pub.read_text().split()[0] in trusted  # the phone now keeps Google adb's key
    finally:
        adb("disconnect", serial)


def test_reboot_sideload_then_sideload_byte_identical(google_adb, phone_factory, tmp_path: Path) -> None:
    adb, key_pub = google_adb
    running = phone_factory()
    running.phone.reboot("recovery")
    trust_googles_key(running, key_pub)
    serial = f"127.0.0.1:{running.server.adb_port}"
    connected(adb, serial)
    try:
        assert " recovery " in state_of(adb, serial, "recovery")
        assert adb("-s", serial, "reboot", "sideload").returncode == 0
        assert running.phone.mode == "sideload"
        adb("disconnect", serial)  # the link dropped with the mode change; connect again
        connected(adb, serial)
        assert " sideload " in state_of(adb, serial, "sideload")
        rom = make_rom_zip(tmp_path / "rom.zip", payload=2 * 1024 * 1024 + 5)
        r = adb("-s", serial, "sideload", str(rom), timeout=60)
        assert r.returncode == 0, r.stderr
        assert "Total xfer:" in r.stdout
        assert running.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()
        # adb's server closes the stream after its client exits; then minadbd ends.
        deadline = time.monotonic() + 5
        while running.phone.mode != "recovery" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running.phone.mode == "recovery"
    finally:
        adb("disconnect", serial)


def in_sideload(phone_factory, **options: object):  # noqa: ANN001, ANN201
    running = phone_factory(recovery=RecoveryOptions(**options))  # type: ignore[arg-type]
    running.phone.reboot("sideload")
    return running


def test_rejected_package_fails_googles_sideload_too(google_adb, phone_factory, tmp_path: Path) -> None:
    adb, _key = google_adb
    running = in_sideload(phone_factory)
    serial = f"127.0.0.1:{running.server.adb_port}"
    connected(adb, serial)
    try:
        assert " sideload " in state_of(adb, serial, "sideload")
        rom = make_rom_zip(tmp_path / "rom.zip", update_binary=False)
        r = adb("-s", serial, "sideload", str(rom))
        assert r.returncode == 1  # FAILFAIL
        assert not running.phone.recovery.sideloaded_path.exists()
    finally:
        adb("disconnect", serial)


def test_old_recovery_gets_googles_pre_kitkat_sideload(google_adb, phone_factory, tmp_path: Path) -> None:
    adb, _key = google_adb
    running = in_sideload(phone_factory, legacy=True)
    serial = f"127.0.0.1:{running.server.adb_port}"
    connected(adb, serial)
    try:
        assert " sideload " in state_of(adb, serial, "sideload")
        rom = make_rom_zip(tmp_path / "rom.zip", payload=300_000)
        r = adb("-s", serial, "sideload", str(rom))
        assert r.returncode == 0, r.stderr
        assert "pre-KitKat" in r.stderr  # sideload-host refused, then the 4.4 service
        assert running.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()
    finally:
        adb("disconnect", serial)
