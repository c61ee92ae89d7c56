"""TCP transport against hand-written servers: handshake, frames, data spanning frames, failures."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest

from unlocker.errors import DeviceDisconnected, DeviceNotFound, ProtocolError, TransportTimeout, UsageError
from unlocker.transport.select import parse_device_name
from unlocker.transport.tcp import TcpTransport


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """Serve one connection with a custom script; returns the port."""
    sockets: list[socket.socket] = []

    def start(script: Callable[[socket.socket], None]) -> int:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        sockets.append(srv)

        def run() -> None:
            conn, _ = srv.accept()
            with conn:
                script(conn)

        threading.Thread(target=run, daemon=True).start()
        return srv.getsockname()[1]

    yield start
    for s in sockets:
        s.close()


def frame(payload: bytes) -> bytes:
    return struct.pack(">Q", len(payload)) + payload


def recv_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return data


def test_handshake_and_frames_on_the_wire(raw_server) -> None:
    seen: list[bytes] = []

    def script(conn: socket.socket) -> None:
        seen.append(recv_exact(conn, 4))
        conn.sendall(b"FB01")
        seen.append(recv_exact(conn, 8 + 14))
        conn.sendall(frame(b"OKAYlavender"))

    port = raw_server(script)
    t = TcpTransport("127.0.0.1", port)
    t.open()
    t.write(b"getvar:product")
    assert t.read(256, 2) == b"OKAYlavender"
    t.close()
    assert seen[0] == b"FB01"
    # OBS in the reference notes: 00 00 00 00 00 00 00 0e followed by the command.
    assert seen[1] == bytes.fromhex("000000000000000e") + b"getvar:product"


def test_large_frame_is_read_in_pieces(raw_server) -> None:
    payload = bytes(range(256)) * 100

    def script(conn: socket.socket) -> None:
        recv_exact(conn, 4)
        conn.sendall(b"FB01")
        conn.sendall(frame(payload))

    t = TcpTransport("127.0.0.1", raw_server(script))
    t.open()
    got = b""
    while len(got) < len(payload):
        got += t.read(1000, 2)
    assert got == payload


def test_unreachable_port_names_device() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(DeviceNotFound) as e:
        TcpTransport("127.0.0.1", port).open()
    assert f"tcp:127.0.0.1:{port}" in str(e.value)


def test_no_handshake_reply(raw_server) -> None:
    port = raw_server(lambda conn: recv_exact(conn, 4) and conn.recv(1))
    with pytest.raises(ProtocolError) as e:
        TcpTransport("127.0.0.1", port).open()
    assert "handshake" in str(e.value)


def test_wrong_handshake(raw_server) -> None:
    def script(conn: socket.socket) -> None:
        recv_exact(conn, 4)
        conn.sendall(b"HTTP/1.1 400")

    with pytest.raises(ProtocolError):
        TcpTransport("127.0.0.1", raw_server(script)).open()


def test_close_mid_response(raw_server) -> None:
    def script(conn: socket.socket) -> None:
        recv_exact(conn, 4)
        conn.sendall(b"FB01")
        recv_exact(conn, 8 + 14)
        conn.sendall(struct.pack(">Q", 12) + b"OKAY")  # promised 12 bytes, sent 4

    t = TcpTransport("127.0.0.1", raw_server(script))
    t.open()
    t.write(b"getvar:product")
    with pytest.raises(DeviceDisconnected) as e:
        t.read(256, 2)
    assert "mid-response" in str(e.value)


def test_silence_times_out(raw_server) -> None:
    done = threading.Event()

    def script(conn: socket.socket) -> None:
        recv_exact(conn, 4)
        conn.sendall(b"FB01")
        done.wait(5)

    t = TcpTransport("127.0.0.1", raw_server(script))
    t.open()
    with pytest.raises(TransportTimeout):
        t.read(256, 0.3)
    done.set()


def test_absurd_frame_length_is_protocol_error(raw_server) -> None:
    def script(conn: socket.socket) -> None:
        recv_exact(conn, 4)
        conn.sendall(b"FB01")
        conn.sendall(b"\xff" * 8)

    t = TcpTransport("127.0.0.1", raw_server(script))
    t.open()
    with pytest.raises(ProtocolError):
        t.read(256, 2)


@pytest.mark.parametrize(
    "name,kind,host,port,serial",
    [
        ("tcp:127.0.0.1", "tcp", "127.0.0.1", 5554, None),
        ("tcp:192.0.2.1:5556", "tcp", "192.0.2.1", 5556, None),
        ("tcp:[::1]:6000", "tcp", "::1", 6000, None),
        ("abc123", "usb", None, None, "abc123"),
        (None, "usb", None, None, None),
    ],
)
def test_device_names(name, kind, host, port, serial) -> None:
    d = parse_device_name(name)
    assert (d.kind, d.host, d.port, d.serial) == (kind, host, port, serial)


@pytest.mark.parametrize("name", ["tcp:", "tcp:host:99999", "tcp:host:abc", "udp:1.2.3.4"])
def test_bad_device_names(name: str) -> None:
    with pytest.raises(UsageError):
        parse_device_name(name)
