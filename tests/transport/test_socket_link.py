"""The TCP transports' own socket work (``_socket``, no ``socket.py``): connecting address by address
as socket.create_connection does, and sending file ranges by os.sendfile or, without it, by reads.
What is checked is what arrives on the other end, which path carried it and where the file's
position is left, never how long anything took."""

from __future__ import annotations

import _socket
import gc
import io
import os
import socket
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from unlocker.errors import DeviceNotFound, TransportTimeout
from unlocker.transport.tcp import TcpTransport

MiB = 1024 * 1024


class Receiver:
    """A fastboot-over-TCP peer that answers the handshake, then keeps every byte it receives."""

    def __init__(self, *, read: bool = True) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port: int = self.server.getsockname()[1]
        self.received = bytearray()
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(read,), daemon=True)
        self._thread.start()

    def _run(self, read: bool) -> None:
        conn, _address = self.server.accept()
        with conn:
            conn.recv(4)
            conn.sendall(b"FB01")
            if not read:  # a phone that stopped taking data
                self.stop.wait(30)
                return
            while chunk := conn.recv(1 << 20):
                self.received += chunk

    def all_received(self) -> bytes:
        self._thread.join(10)
        return bytes(self.received)

    def close(self) -> None:
        self.stop.set()
        self.server.close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(**kwargs: bool) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def sendfile_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The byte counts os.sendfile moved, call by call."""
    moved: list[int] = []
    original = os.sendfile

    def counting(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        n = original(out_fd, in_fd, offset, count)
        moved.append(n)
        return n

    monkeypatch.setattr(os, "sendfile", counting)
    return moved


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "image.bin"
    path.write_bytes(data)
    return path


def _frame(payload: bytes) -> bytes:
    return struct.pack(">Q", len(payload)) + payload


DATA = bytes(range(256)) * (3 * MiB // 256 + 17)


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="the system has no sendfile")
def test_a_file_range_goes_by_sendfile_after_its_frame_header(receiver, tmp_path, sendfile_calls) -> None:
    peer = receiver()
    t = TcpTransport("127.0.0.1", peer.port)
    t.open()
    with open(_file(tmp_path, DATA), "rb") as f:
        f.seek(5)
        assert t.send_file(f, 1000, 2 * MiB) == 2 * MiB
        # Where socket.sendfile leaves it: after the bytes sent, whatever it was before.
        assert f.tell() == 1000 + 2 * MiB
    t.close()
    assert peer.all_received() == _frame(DATA[1000 : 1000 + 2 * MiB])
    assert sum(sendfile_calls) == 2 * MiB  # every byte by the kernel


@pytest.mark.skipif(not hasattr(os, "sendfile"), reason="the system has no sendfile")
def test_a_file_that_ends_early_returns_what_was_sent(receiver, tmp_path, sendfile_calls) -> None:
    peer = receiver()
    t = TcpTransport("127.0.0.1", peer.port)
    t.open()
    with open(_file(tmp_path, DATA[:100_000]), "rb") as f:
        assert t.send_file(f, 90_000, 64 * 1024) == 10_000
        assert f.tell() == 100_000
    t.close()
    assert peer.all_received() == struct.pack(">Q", 64 * 1024) + DATA[90_000:100_000]
    assert sum(sendfile_calls) == 10_000


@pytest.mark.parametrize("why", ["no sendfile on the system", "no file descriptor"])
def test_without_sendfile_the_range_is_read_and_sent(
    receiver, tmp_path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    peer = receiver()
    if why == "no sendfile on the system":  # Windows
        monkeypatch.delattr(os, "sendfile", raising=False)
        source: io.BufferedIOBase = open(_file(tmp_path, DATA), "rb")  # noqa: SIM115
    else:
        source = io.BytesIO(DATA)
    t = TcpTransport("127.0.0.1", peer.port)
    t.open()
    with source:
        assert t.send_file(source, 1000, 2 * MiB + 3) == 2 * MiB + 3
        assert source.tell() == 1000 + 2 * MiB + 3
        assert t.send_file(source, len(DATA) - 10, 64 * 1024) == 10  # ends early here too
    t.close()
    assert peer.all_received() == (
        _frame(DATA[1000 : 1000 + 2 * MiB + 3]) + struct.pack(">Q", 64 * 1024) + DATA[-10:]
    )


def test_a_phone_that_stops_reading_is_a_timeout_during_sendfile(receiver, tmp_path) -> None:
    peer = receiver(read=False)
    image = tmp_path / "big.img"
    with open(image, "wb") as f:
        f.truncate(64 * MiB)  # more than loopback's buffers hold; a hole, so no disk is written
    t = TcpTransport("127.0.0.1", peer.port)
    t.open()
    t.write_timeout = 0.3
    with open(image, "rb") as f:
        with pytest.raises(TransportTimeout) as e:
            t.send_file(f, 0, 64 * MiB)
        assert 0 < f.tell() < 64 * MiB  # after what the buffers took, as socket.sendfile leaves it
    assert "took no data" in str(e.value)
    t.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_connecting_tries_each_address_in_turn_and_closes_the_failed(
    receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = receiver()
    refused = ("127.0.0.1", _closed_port())
    monkeypatch.setattr(
        _socket,
        "getaddrinfo",
        lambda *_args: [
            (_socket.AF_INET, _socket.SOCK_STREAM, _socket.IPPROTO_TCP, "", address)
            for address in (refused, ("127.0.0.1", peer.port))
        ],
    )
    t = TcpTransport("phone.example", 1)
    gc.collect()  # what earlier tests left behind warns now, not below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t.open()  # the handshake needs the listening address: the refused one did not end it
        gc.collect()
    # A socket left open warns when it is collected: the refused one was closed.
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert t._require().getsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY)
    t.close()


@pytest.mark.parametrize("found", [0, 2])
def test_no_address_that_connects_is_device_not_found(monkeypatch: pytest.MonkeyPatch, found: int) -> None:
    address = ("127.0.0.1", _closed_port())
    monkeypatch.setattr(
        _socket,
        "getaddrinfo",
        lambda *_args: [(_socket.AF_INET, _socket.SOCK_STREAM, _socket.IPPROTO_TCP, "", address)] * found,
    )
    with pytest.raises(DeviceNotFound) as e:
        TcpTransport("phone.example", 5554).open()
    assert "tcp:phone.example:5554" in str(e.value)
    assert isinstance(e.value.__cause__, ConnectionRefusedError if found else OSError)
