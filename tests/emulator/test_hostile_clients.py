"""The virtual phone against hostile and careless clients (issue 9, item 2; issue 10, item 8).

Names that are paths, absurd sizes, endless commands, a second host at the same time and the
critical-partition lock: the virtual phone answers FAIL (or refuses the connection) like a real
bootloader, and nothing outside its state dir is ever touched.
"""

from __future__ import annotations

import io
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unlocker.device.connect import connect_fastboot
from unlocker.errors import FastbootFailure, ProtocolError, TransportError

FRAME = struct.Struct(">Q")


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def raw_connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"FB01")
    assert _recv(sock, 4) == b"FB01"
    return sock


def raw_reply(sock: socket.socket) -> bytes:
    (length,) = FRAME.unpack(_recv(sock, 8))
    return _recv(sock, length)


def raw_command(sock: socket.socket, command: bytes, data: bytes | None = None) -> bytes:
    """Send one command (Google's fastboot allows up to 4096 bytes; ours stops at 64), with an
    optional data phase, and return the final reply."""
    sock.sendall(FRAME.pack(len(command)) + command)
    reply = raw_reply(sock)
    if data is not None and reply.startswith(b"DATA"):
        sock.sendall(FRAME.pack(len(data)) + data)
        reply = raw_reply(sock)
    return reply


def test_partition_names_that_are_paths_are_refused(phone_factory, tmp_path: Path) -> None:
    p = phone_factory("fastbootd", unlocked=True, state_dir=tmp_path / "state")
    outside = tmp_path / "x"
    outside.mkdir()
    victim = tmp_path / "victim.img"
    victim.write_bytes(b"precious")
    hostile = [
        b"../../x/pwned",
        b"../victim",
        b"/tmp/pwned",
        b"a/b",
        b"..",
        b"x" * 65,
        b"",
        b"boot\\x00",
        b"na me",
        b"a\\b",
    ]
    with raw_connect(p.port) as sock:
        for name in hostile:
            for command in (
                b"create-logical-partition:" + name + b":4096",
                b"resize-logical-partition:" + name + b":0",
                b"delete-logical-partition:" + name,
                b"erase:" + name,
            ):
                assert raw_command(sock, command) == b"FAILInvalid partition name", command
            assert raw_command(sock, b"download:00001000", b"p" * 4096) == b"OKAY"
            assert raw_command(sock, b"flash:" + name) == b"FAILInvalid partition name"
        # a plain name still works, so the refusals above are about the names
        assert raw_command(sock, b"create-logical-partition:fresh_a:4096") == b"OKAY"
        assert raw_command(sock, b"download:00001000", b"f" * 4096) == b"OKAY"
        assert raw_command(sock, b"flash:fresh_a") == b"OKAY"
    assert list(outside.iterdir()) == []
    assert victim.read_bytes() == b"precious"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["state", "victim.img", "x"]
    assert p.partition("fresh_a") == b"f" * 4096


@pytest.mark.parametrize(
    "command,reply",
    [
        ("create-logical-partition:big:-1", "Invalid partition size"),
        ("create-logical-partition:big:lots", "Invalid partition size"),
        ("create-logical-partition:big:0x" + "f" * 30, "Not enough space"),
        ("create-logical-partition:big", "Invalid partition name and size"),
        ("resize-logical-partition:system_a:-4096", "Invalid partition size"),
        ("resize-logical-partition:system_a:99999999999999999999", "Not enough space"),
    ],
)
def test_logical_sizes_are_bounded(phone_factory, command: str, reply: str) -> None:
    p = phone_factory("fastbootd", unlocked=True)
    before = dict(p.phone.logical_partitions())
    with connect_fastboot(p.name) as c:
        with pytest.raises(FastbootFailure) as e:
            c.command(command)
        assert reply in e.value.device_message
        assert c.getvar("product") == "alioth"  # the phone still answers
    assert p.phone.logical_partitions() == before


def test_emulate_cli_bad_size_and_traversal_no_traceback(run_cli, cli_env, tmp_path: Path) -> None:
    """`unlocker emulate` as a person runs it: hostile commands get FAIL, never a traceback."""
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [sys.executable, "-m", "unlocker", "emulate", "--profile", "fastbootd", "--unlocked"]
        + ["--port", "0", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(line.rsplit(":", 1)[1])
        with connect_fastboot(f"tcp:127.0.0.1:{port}") as c:
            for command in (
                "create-logical-partition:bad:12abc",
                "create-logical-partition:../../pwned:4096",
                "resize-logical-partition:system_a:",
            ):
                with pytest.raises(FastbootFailure):
                    c.command(command)
            assert c.getvar("is-userspace") == "yes"
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert not (tmp_path / "pwned.img").exists()


def test_overlong_command_is_refused_without_reading_it(phone) -> None:
    with raw_connect(phone.port) as sock:
        # Announce a 1 GiB "command" and send only a few bytes of it: the phone must answer
        # at once, not wait for (or buffer) the rest.
        sock.sendall(FRAME.pack(1 << 30) + b"getvar:")
        start = time.monotonic()
        assert raw_reply(sock) == b"FAILcommand too long"
        assert time.monotonic() - start < 2
        sock.settimeout(2)
        assert sock.recv(1) == b""  # and hangs up
    with connect_fastboot(phone.name) as c:
        assert c.getvar("product") == "alioth"
    with raw_connect(phone.port) as sock:
        command = b"getvar:" + b"x" * 4089  # 4096 bytes: long, but allowed
        sock.sendall(FRAME.pack(len(command)) + command)
        assert raw_reply(sock).startswith(b"FAIL")


def test_critical_partitions_need_unlock_critical(phone_factory) -> None:
    p = phone_factory("xiaomi-qcom", unlocked=True)
    p.phone.set_state("critical_unlocked", False)
    with connect_fastboot(p.name) as c:
        c.download(b"a" * 4096)
        with pytest.raises(FastbootFailure) as e:
            c.flash("abl_a")
        assert e.value.device_message == "Flashing is not allowed for Critical Partitions"
        with pytest.raises(FastbootFailure) as e:
            c.erase("xbl_b")
        assert e.value.device_message == "Erase is not allowed for Critical Partitions"
        c.flash("boot_a")  # ordinary partitions are not affected
    assert not p.phone.partition_path("abl_a").exists()
    p.phone.set_state("critical_unlocked", True)
    with connect_fastboot(p.name) as c:
        c.download(b"a" * 4096)
        c.flash("abl_a")
    assert p.partition("abl_a") == b"a" * 4096


def test_generic_unlock_critical(phone_factory) -> None:
    p = phone_factory("generic")
    with connect_fastboot(p.name) as c:
        c.flashing("unlock")
        assert c.oem("device-info").info[2] == "Device critical unlocked: false"
        c.flashing("unlock_critical")
        assert c.oem("device-info").info[2] == "Device critical unlocked: true"


def test_a_second_host_is_refused_while_one_is_connected(phone) -> None:
    first = connect_fastboot(phone.name)
    try:
        assert first.getvar("product") == "alioth"
        start = time.monotonic()
        with pytest.raises((ProtocolError, TransportError)):
            connect_fastboot(phone.name)
        assert time.monotonic() - start < 5
        assert first.getvar("product") == "alioth"  # the first one is undisturbed
    finally:
        first.close()
    with connect_fastboot(phone.name) as second:  # free again once the first has gone
        assert second.getvar("product") == "alioth"


def test_staged_data_belongs_to_its_connection(unlocked_phone) -> None:
    with connect_fastboot(unlocked_phone.name) as c:
        c.stage(b"first connection")
    with connect_fastboot(unlocked_phone.name) as c:
        with pytest.raises(FastbootFailure):
            c.flash("boot_a")  # nothing staged on this connection
        with pytest.raises(FastbootFailure):
            c.upload(io.BytesIO())
    assert not unlocked_phone.phone.partition_path("boot_a").exists()
    assert not list(unlocked_phone.state_dir.glob("download.*"))  # nothing left behind


def test_non_loopback_host_warns_loudly(run_cli, tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is never this computer's: the warning comes before listening fails.
    r = run_cli("emulate", "--host", "192.0.2.1", "--port", "0", "--state-dir", str(tmp_path / "s"))
    assert r.returncode == 2
    assert "WARNING" in r.stderr and "192.0.2.1" in r.stderr
    quiet = run_cli("emulate", "--host", "256.1.1.1", "--port", "0", "--state-dir", str(tmp_path / "q"))
    assert "WARNING" in quiet.stderr  # not an address we can call loopback either
