"""Every phase has a deadline (issue 9, item 7), and what a device says is checked and shown safely.

A misbehaving device (tests/fake_fastboot.py) stops reading, talks forever, trickles its reply,
answers too much or sends terminal escapes; each command through the CLI ends in bounded time
with a message naming the phase that stalled.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fake_fastboot import Conn, FakeFastboot, info_forever, trickle
from tests.support_transport import ScriptedTransport
from unlocker.device.connect import connect_fastboot
from unlocker.errors import ProtocolError, TransportTimeout
from unlocker.fastboot.client import MAX_INFO_LINES, FastbootClient

FAST = {"UNLOCKER_RESPONSE_TIMEOUT": "1"}


def test_device_that_stops_reading_during_a_download(run_cli, tmp_path: Path) -> None:
    image = tmp_path / "boot.img"
    image.write_bytes(b"\x5a" * (32 * 1024 * 1024))

    def hook(conn: Conn, command: str) -> bool:
        if command.startswith("download:"):
            conn.send(b"DATA" + command.split(":")[1].encode())
            conn.hang()  # takes not one byte of the data
            return True
        return False

    with FakeFastboot(hook=hook, receive_buffer=4096) as fake:
        start = time.monotonic()
        r = run_cli("flash", "boot", str(image), "-s", fake.name, "--yes", env=FAST, timeout=60)
    assert time.monotonic() - start < 20
    assert r.returncode == 1, r.stderr
    assert "stalled after" in r.stderr and "stopped reading" in r.stderr
    assert "Traceback" not in r.stderr


def test_info_lines_forever_end_within_the_budget() -> None:
    def hook(conn: Conn, command: str) -> bool:
        if command == "getvar:product":
            info_forever(conn, 0.05)
            return True
        return False

    with FakeFastboot(hook=hook) as fake, connect_fastboot(fake.name) as client:
        client.response_timeout = 0.5
        start = time.monotonic()
        with pytest.raises(TransportTimeout) as e:
            client.getvar("product")
    assert time.monotonic() - start < 5  # INFO restarts the wait, but only within the budget
    assert "kept sending messages" in str(e.value) and "getvar:product" in str(e.value)


def test_too_many_info_lines_is_a_protocol_error() -> None:
    replies = [b"INFOline"] * (MAX_INFO_LINES + 1) + [b"OKAY"]
    client = FastbootClient(ScriptedTransport(list(replies)))  # type: ignore[arg-type]
    with pytest.raises(ProtocolError) as e:
        client.command("oem flood")
    assert "message lines" in str(e.value)


def test_a_reply_trickled_byte_by_byte_still_times_out(run_cli) -> None:
    def hook(conn: Conn, command: str) -> bool:
        if command == "getvar:product":
            trickle(conn, b"OKAY" + b"p" * 200, every=0.2)
            return True
        return False

    with FakeFastboot(hook=hook) as fake, connect_fastboot(fake.name) as client:
        client.response_timeout = 0.5
        start = time.monotonic()
        with pytest.raises(TransportTimeout) as e:
            client.getvar("product")
    assert time.monotonic() - start < 5
    assert "no answer to 'getvar:product'" in str(e.value)


def test_a_stall_after_the_data_names_that_phase() -> None:
    def hook(conn: Conn, command: str) -> bool:
        if command.startswith("download:"):
            size = int(command.split(":")[1], 16)
            conn.send(b"DATA%08x" % size)
            conn.receive_data(size)
            conn.hang()  # takes the data, never confirms it
            return True
        return False

    with FakeFastboot(hook=hook) as fake, connect_fastboot(fake.name) as client:
        client.long_timeout = 0.5
        with pytest.raises(TransportTimeout) as e:
            client.download(b"\x01" * 8192)
    assert "received all 8192 bytes" in str(e.value) and "did not confirm" in str(e.value)


def test_replies_longer_than_256_bytes_are_refused(run_cli) -> None:
    with FakeFastboot({"product": "p" * 300}) as fake:
        r = run_cli("getvar", "product", "-s", fake.name)
    assert r.returncode == 1
    assert "longer than 256 bytes" in r.stderr
    with FakeFastboot({"product": "p" * 252}) as fake:  # 4 + 252 = 256: the longest reply allowed
        r = run_cli("getvar", "product", "-s", fake.name)
    assert r.returncode == 0 and r.stdout.strip() == "product: " + "p" * 252


def test_terminal_escapes_from_the_device_are_made_visible(run_cli) -> None:
    def hook(conn: Conn, command: str) -> bool:
        if command == "getvar:evil":
            conn.send(b"INFO\x1b]0;owned\x07 title")
            conn.send(b"FAIL\x1b[2J\x1b[1;1Hall good\rreally")
            return True
        return False

    with FakeFastboot({"product": "\x1b[31mred\x1b[0m"}, hook=hook) as fake:
        r = run_cli("getvar", "product", "-s", fake.name)
        bad = run_cli("getvar", "evil", "-s", fake.name)
    assert r.returncode == 0
    assert "\x1b" not in r.stdout and "\\x1b[31mred\\x1b[0m" in r.stdout
    assert bad.returncode == 1
    assert "\x1b" not in bad.stderr and "\r" not in bad.stderr
    assert "\\x1b[2J\\x1b[1;1Hall good\\rreally" in bad.stderr
