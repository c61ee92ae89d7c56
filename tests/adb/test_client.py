"""Our adb client against the virtual recovery: authentication, both protocol versions, streams."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from unlocker.adb.banner import parse_banner
from unlocker.adb.client import AdbClient
from unlocker.adb.message import A_CNXN, A_OPEN, A_VERSION_MIN, MessageReader, encode
from unlocker.device.adb_facts import parse_getprop
from unlocker.device.connect import connect_adb
from unlocker.emulator.recovery import RecoveryOptions
from unlocker.errors import AdbUnauthorized, DeviceNotFound, ServiceRefused
from unlocker.transport.tcp_stream import TcpStreamTransport


class Tap(TcpStreamTransport):
    """A TCP stream that keeps what we sent, to look at the wire."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.sent = bytearray()

    def write_parts(self, parts) -> None:  # noqa: ANN001
        for part in parts:
            self.sent += part
        super().write_parts(parts)

    def headers(self) -> list[tuple[bytes, int, int]]:
        """(command, payload length, check field) of every message we sent."""
        found, offset = [], 0
        while offset < len(self.sent):
            command, _a0, _a1, length, check, _magic = struct.unpack_from("<6I", self.sent, offset)
            found.append((struct.pack("<I", command), length, check))
            offset += 24 + length
        return found


def tapped(running, **kw: object) -> tuple[AdbClient, Tap]:
    tap = Tap("127.0.0.1", running.server.adb_port)
    tap.open()
    client = AdbClient(tap, response_timeout=5, **kw)  # type: ignore[arg-type]
    client.connect()
    return client, tap


def test_recovery_asks_for_auth_and_remembers_the_key(recovery_factory) -> None:
    running = recovery_factory(mode="recovery")
    notices: list[str] = []
    with connect_adb(running.name, notify=notices.append) as client:
        assert client.banner.mode == "recovery" and client.banner.codename == "alioth"
        assert client.getprop("ro.product.device") == "alioth"
    assert len(notices) == 1 and "allow USB debugging" in notices[0]
    assert running.phone.recovery.keys_path.read_text().count("\n") == 1
    # The phone trusts us now: a signature is enough, nobody is asked again.
    client, tap = tapped(running)
    kinds = [(cmd, length) for cmd, length, _check in tap.headers() if cmd == b"AUTH"]
    assert len(kinds) == 1 and kinds[0][1] == 256  # one RSA-2048 signature, no public key
    client.close()


def test_without_trust_and_without_offering_the_key_it_is_unauthorized(recovery_factory) -> None:
    running = recovery_factory(mode="recovery")
    with pytest.raises(AdbUnauthorized, match="does not trust"):
        connect_adb(running.name, send_public_key=False)
    assert not running.phone.recovery.keys_path.exists()


def test_no_auth_phone_and_sideload_mode_never_ask(recovery_factory) -> None:
    for running in (
        recovery_factory(mode="recovery", options=RecoveryOptions(auth=False)),
        recovery_factory(mode="sideload"),
    ):
        client, tap = tapped(running, send_public_key=False)
        assert b"AUTH" not in [cmd for cmd, _n, _c in tap.headers()]
        client.close()


@pytest.mark.parametrize(
    ("ours", "theirs", "checksums"),
    [
        (0x01000001, 0x01000001, False),
        (A_VERSION_MIN, 0x01000001, True),  # an old host: the phone falls back to checksums
        (0x01000001, A_VERSION_MIN, True),  # an Android <= 8.1 phone
    ],
)
def test_both_protocol_versions(
    recovery_factory, ours: int, theirs: int, checksums: bool, tmp_path: Path
) -> None:
    running = recovery_factory(mode="recovery", options=RecoveryOptions(adb_version=theirs))
    client, tap = tapped(running, version=ours)
    assert client.version == min(ours, theirs)
    output = client.shell("getprop")
    assert parse_getprop(output)["ro.product.device"] == "alioth"
    client.close()
    sent = tap.headers()
    # Before the phone's CNXN everything is checksummed; afterwards only in version 1.
    assert sent[0][0] == b"CNXN" and sent[0][2] != 0
    after = [check for cmd, length, check in sent[1:] if cmd in (b"OPEN", b"OKAY", b"CLSE") and length]
    assert after and all((check != 0) == checksums for check in after)


def test_flow_control_with_small_messages(recovery_factory) -> None:
    """An Android 4.4 recovery takes 4 KiB messages: a long answer comes in many WRTEs, each acked."""
    running = recovery_factory(mode="recovery", options=RecoveryOptions(legacy=True, auth=False))
    client, tap = tapped(running)
    assert client.max_payload == 4096 and client.version == A_VERSION_MIN
    assert client.banner.codename == "alioth"  # the old ';'-ended banner with a NUL
    for _ in range(3):
        assert client.getprop("ro.serialno") == running.phone.serial
    okays = [cmd for cmd, _n, _c in tap.headers() if cmd == b"OKAY"]
    assert len(okays) >= 3  # every WRTE from the phone was acknowledged
    client.close()


def test_refused_service_and_wrong_mode(recovery_factory) -> None:
    running = recovery_factory(mode="sideload")
    with connect_adb(running.name) as client:
        with pytest.raises(ServiceRefused, match="refused 'shell:getprop'"):
            client.shell("getprop")
        with pytest.raises(ServiceRefused):
            client.open("reboot:sideload")  # minadbd reboots only to bootloader/recovery/fastboot
    assert running.phone.mode == "sideload"


def test_phone_in_fastboot_has_no_adb(phone) -> None:
    with pytest.raises(DeviceNotFound, match="no adb there") as caught:
        connect_adb(phone.name)
    assert "unlocker reboot recovery" in caught.value.hint


def test_named_by_its_fastboot_port_or_its_adb_port(recovery_factory) -> None:
    running = recovery_factory(mode="sideload")
    for name in (running.name, running.server.adb_name):
        with connect_adb(name) as client:
            assert client.name == running.server.adb_name


def test_reboot_to_bootloader_goes_back_to_fastboot(recovery_factory) -> None:
    from unlocker.device.connect import connect_fastboot

    running = recovery_factory(mode="recovery", options=RecoveryOptions(auth=False))
    with connect_adb(running.name) as client:
        assert client.reboot("bootloader") == ""
    assert running.phone.mode == "bootloader"
    with connect_fastboot(running.name) as fastboot:
        assert fastboot.getvar("product") == "alioth"


def test_phone_ignores_everything_but_cnxn_and_auth_before_the_handshake(recovery_factory) -> None:
    import socket

    running = recovery_factory(mode="sideload")
    with socket.create_connection(("127.0.0.1", running.server.adb_port), timeout=5) as sock:
        sock.sendall(encode(A_OPEN, 1, 0, b"reboot:bootloader\0"))
        sock.sendall(encode(A_CNXN, 0x01000001, 1 << 20, b"host::"))
        reply = MessageReader(peer="phone", verify_checksum=False).feed(sock.recv(4096))
    assert [m.command for m in reply] == [A_CNXN]
    assert parse_banner(reply[0].data).mode == "sideload"
    assert running.phone.mode == "sideload"  # the early OPEN did nothing


def test_a_sideload_block_leaves_in_one_send(recovery_factory, tmp_path: Path) -> None:
    """Over TCP the OKAY for a block request waits for the block: acknowledgement, header and data
    leave in one send (one wakeup of the phone per block, not three), and nothing is held back
    when we wait for the phone."""
    from tests.adb.zips import make_rom_zip
    from unlocker.adb.sideload import DONE, sideload_host

    running = recovery_factory(mode="sideload")
    rom = make_rom_zip(tmp_path / "rom.zip", payload=40 * 65536)
    client, tap = tapped(running)
    sends: list[int] = []
    real = tap.write_parts

    def counting(parts) -> None:  # noqa: ANN001
        sends.append(len(parts))
        real(parts)

    tap.write_parts = counting  # type: ignore[method-assign]
    sent_before = len(tap.headers())
    result = sideload_host(client, rom)
    client.close()
    assert result.outcome == DONE
    assert running.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()
    headers = tap.headers()[sent_before:]
    okays = sum(1 for cmd, _n, _c in headers if cmd == b"OKAY")
    assert okays >= result.requests  # every request the phone wrote was acknowledged
    # OPEN, one send per block served, CLSE, and the acknowledgements of the phone's OKAY/CLSE
    assert len(sends) <= result.requests + 4, (len(sends), result.requests)
