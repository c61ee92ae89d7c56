"""Fastboot over TCP (AOSP fastboot/README.md "TCP Protocol v1", tcp.cpp).

Handshake: host sends b"FB01", device answers b"FB" + two version digits within 2 s.
Every message in both directions is an 8-byte big-endian length plus payload; a data phase
is one byte stream that may span several frames.
"""

from __future__ import annotations

import time

from unlocker.errors import DeviceDisconnected, ProtocolError, TransportTimeout
from unlocker.i18n import _
from unlocker.transport.socket_link import CONNECT_TIMEOUT, FileRange, SocketTransport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

DEFAULT_PORT = 5554
HANDSHAKE_TIMEOUT = 2.0
# Frame lengths: 8 bytes, big-endian (int.to_bytes rather than struct, which costs start-up time).
_LENGTH_SIZE = 8
# A frame length beyond this is garbage on the wire, not data: refuse rather than allocate it.
MAX_FRAME = 256 * 1024 * 1024
# Reading a frame may take its timeout plus the time its bytes need at this slowest rate: a
# large data frame may arrive slowly, a reply trickled a byte at a time may not.
SLOWEST_RATE = 1024 * 1024  # bytes per second


class TcpTransport(SocketTransport):
    # Large frames: fewer per-frame costs on both ends (a frame may carry a whole data phase).
    max_write_size = 8 * 1024 * 1024

    def __init__(
        self, host: str, port: int = DEFAULT_PORT, *, connect_timeout: float = CONNECT_TIMEOUT
    ) -> None:
        super().__init__(host, port, connect_timeout=connect_timeout)

    def open(self) -> None:
        sock = self._connect()
        try:
            sock.settimeout(HANDSHAKE_TIMEOUT)
            sock.sendall(b"FB01")
            reply = self._recv_exact(4, time.monotonic() + HANDSHAKE_TIMEOUT)
        except (TransportTimeout, DeviceDisconnected) as e:
            self.close()
            raise ProtocolError(
                _(
                    "{phone}: no fastboot handshake (the phone may be busy with another connection, "
                    "or the target does not speak TCP fastboot)"
                ).format(phone=self.name),
                hint=_(
                    "Close other fastboot tools using this phone; check this port really is a phone in fastboot mode."
                ),
            ) from e
        if reply[:2] != b"FB" or not reply[2:].isdigit() or int(reply[2:]) < 1:
            self.close()
            raise ProtocolError(
                _("{phone}: unrecognized handshake {reply}; not a fastboot device").format(
                    phone=self.name, reply=repr(reply)
                )
            )

    sends_files = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._frame(data, len(data))

    def send_file(self, fileobj: BinaryIO, offset: int, count: int) -> int:
        # One frame, its length header first: the kernel sends the file's bytes after it.
        return self._frame(FileRange(fileobj, offset, count), count)

    def _frame(self, payload: bytes | bytearray | memoryview | FileRange, length: int) -> int:
        return (
            self._send(
                length.to_bytes(_LENGTH_SIZE, "big"),
                payload,
                stalled_hint=_(
                    "Check that the phone still shows the fastboot screen and the cable is firm, then retry."
                ),
                lost_hint=_("The phone closed the connection: check it is still in fastboot mode and retry."),
            )
            - _LENGTH_SIZE
        )

    def read(self, size: int, timeout: float) -> bytes:
        if not self._pending:
            deadline = time.monotonic() + timeout
            length = int.from_bytes(self._recv_exact(_LENGTH_SIZE, deadline), "big")
            if length > MAX_FRAME:
                raise ProtocolError(
                    _("{phone}: impossible frame length {length}; this is not fastboot over TCP").format(
                        phone=self.name, length=length
                    ),
                    hint=_("Check the address points at a phone in fastboot mode."),
                )
            self._pending = self._recv_exact(length, deadline + length / SLOWEST_RATE) if length else b""
            if not length:
                return b""
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def _recv_exact(self, n: int, deadline: float) -> bytes:
        """``n`` bytes by ``deadline`` (time.monotonic()): a reply trickled byte by byte still ends."""
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        lost = _("The phone went away: check it is still in fastboot mode and retry.")
        while got < n:
            k = self._recv_into(view[got:], deadline - time.monotonic(), lost_hint=lost)
            if not k:
                if got:
                    message = _("{phone}: the phone closed the connection mid-response")
                else:
                    message = _("{phone}: the phone closed the connection before answering")
                raise DeviceDisconnected(
                    message.format(phone=self.name),
                    hint=_("Check the phone is still in fastboot mode, then retry."),
                )
            got += k
        return bytes(buf)
