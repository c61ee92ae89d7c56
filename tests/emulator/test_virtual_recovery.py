"""The virtual phone's recovery: how it is entered and left, what answers where, the owner's control."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adb.zips import make_rom_zip
from unlocker.device.connect import connect_fastboot
from unlocker.emulator.faults import parse_fault
from unlocker.errors import ProtocolError, TransportTimeout, UsageError


def test_fastboot_reboot_recovery_and_nothing_speaks_fastboot_there(phone) -> None:
    with connect_fastboot(phone.name) as client:
        client.reboot("recovery")
    assert phone.phone.mode == "recovery"
    with pytest.raises(ProtocolError, match="no fastboot handshake"):
        connect_fastboot(phone.name)


@pytest.mark.parametrize(
    ("image", "mode"), [(b"ANDROID!" + bytes(4088), "recovery"), (bytes(4096), "bootloader")]
)
def test_boot_of_a_boot_image_starts_the_recovery(phone_factory, image: bytes, mode: str) -> None:
    running = phone_factory(unlocked=True)
    with connect_fastboot(running.name) as client:
        client.download(io.BytesIO(image), len(image))
        client.boot()
    assert running.phone.mode == mode


def test_adb_port_is_silent_outside_recovery(phone) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", phone.server.adb_port), timeout=5) as sock:
        sock.sendall(b"CNXN" + bytes(20))
        assert sock.recv(100) == b""  # closed at once: no adbd in the bootloader


def test_stall_after_bytes_in_a_fastboot_download(phone_factory) -> None:
    from unlocker.fastboot.client import FastbootClient
    from unlocker.transport.tcp import TcpTransport

    running = phone_factory(unlocked=True, faults=[parse_fault("stall@100000")])
    transport = TcpTransport("127.0.0.1", running.port)
    transport.open()
    client = FastbootClient(transport, response_timeout=0.5, long_timeout=0.5)
    with client, pytest.raises(TransportTimeout):
        client.download(io.BytesIO(bytes(300000)), 300000)


def test_fault_specs_with_byte_counts() -> None:
    assert (parse_fault("stall@123").kind, parse_fault("stall@123").after_bytes) == ("stall", 123)
    with pytest.raises(UsageError, match="stall@BYTES needs a byte count"):
        parse_fault("stall@soon")


def test_emulate_practice_journey(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """`unlocker emulate` as a person runs it: into recovery, choose "Apply from ADB" by the
    documented control, sideload, and see what was installed."""
    state = tmp_path / "vp"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "unlocker", *args], capture_output=True, text=True, env=cli_env, timeout=60
        )

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "unlocker",
            "emulate",
            "--port",
            "0",
            "--state-dir",
            str(state),
            "--adb-no-auth",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        assert proc.stdout is not None
        name = proc.stdout.readline().split()[1]
        adb_name = proc.stdout.readline().split()[1]
        assert int(adb_name.rpartition(":")[2]) == int(name.rpartition(":")[2]) + 1
        assert cli("reboot", "recovery", "-s", name).returncode == 0
        assert json.loads(cli("status", "-s", name, "--json").stdout)["mode"] == "recovery"
        (state / "apply-from-adb").touch()  # the person picks "Apply from ADB" on the screen
        deadline = time.monotonic() + 10
        while (state / "apply-from-adb").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert json.loads(cli("status", "-s", name, "--json").stdout)["mode"] == "sideload"
        rom = make_rom_zip(tmp_path / "rom.zip")
        r = cli("sideload", str(rom), "-s", name, "--yes")
        assert r.returncode == 0, r.stderr
        assert (state / "sideloaded.zip").read_bytes() == rom.read_bytes()
        assert json.loads((state / "state.json").read_text())["last_install"]["ok"] is True
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert "touch " + str(state / "apply-from-adb") in err  # the screen told the person how
    assert "installed the sideloaded package" in err
