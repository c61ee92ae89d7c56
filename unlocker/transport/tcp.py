"""Fastboot over TCP (AOSP fastboot/README.md "TCP Protocol v1", tcp.cpp).

Handshake: host sends b"FB01", device answers b"FB" + two version digits within 2 s.
Every message in both directions is an 8-byte big-endian length plus payload; a data phase
is one byte stream that may span several frames.
"""

from __future__ import annotations

import socket
import struct

from unlocker import commands
from unlocker.errors import DeviceDisconnected, DeviceNotFound, ProtocolError, TransportTimeout
from unlocker.i18n import _
from unlocker.transport.base import Transport

DEFAULT_PORT = 5554
HANDSHAKE_TIMEOUT = 2.0
CONNECT_TIMEOUT = 5.0
_LENGTH = struct.Struct(">Q")
# A frame length beyond this is garbage on the wire, not data: refuse rather than allocate it.
MAX_FRAME = 256 * 1024 * 1024


class TcpTransport(Transport):
    # Large frames: fewer per-frame costs on both ends (a frame may carry a whole data phase).
    max_write_size = 8 * 1024 * 1024

    def __init__(
        self, host: str, port: int = DEFAULT_PORT, *, connect_timeout: float = CONNECT_TIMEOUT
    ) -> None:
        self.host = host
        self.port = port
        self.name = f"tcp:{host}:{port}"
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._pending = b""  # rest of a frame larger than the caller's read size

    def open(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except (OSError, UnicodeError) as e:  # UnicodeError: a host name IDNA cannot encode
            reason = getattr(e, "strerror", None) or e
            raise DeviceNotFound(
                _("{phone}: cannot connect ({reason})").format(phone=self.name, reason=reason),
                hint=_(
                    "Check the address and that the phone (or {command}) is listening on that port."
                ).format(command=commands.show(commands.EMULATE)),
            ) from e
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        try:
            sock.settimeout(HANDSHAKE_TIMEOUT)
            sock.sendall(b"FB01")
            reply = self._recv_exact(4)
        except (TransportTimeout, DeviceDisconnected) as e:
            self.close()
            raise ProtocolError(
                _("{phone}: no fastboot handshake (the target may not support TCP fastboot)").format(
                    phone=self.name
                ),
                hint=_("Is this port really a phone in fastboot mode?"),
            ) from e
        if reply[:2] != b"FB" or not reply[2:].isdigit() or int(reply[2:]) < 1:
            self.close()
            raise ProtocolError(
                _("{phone}: unrecognized handshake {reply}; not a fastboot device").format(
                    phone=self.name, reply=repr(reply)
                )
            )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        sock = self._require()
        try:
            sock.settimeout(None)
            sock.sendall(_LENGTH.pack(len(data)))
            sock.sendall(data)
        except OSError as e:
            raise DeviceDisconnected(
                _("{phone}: connection lost while sending ({reason})").format(
                    phone=self.name, reason=e.strerror or e
                ),
                hint=_("The phone closed the connection: check it is still in fastboot mode and retry."),
            ) from e

    def read(self, size: int, timeout: float) -> bytes:
        if not self._pending:
            self._require().settimeout(timeout)
            (length,) = _LENGTH.unpack(self._recv_exact(8))
            if length > MAX_FRAME:
                raise ProtocolError(
                    _("{phone}: impossible frame length {length}; this is not fastboot over TCP").format(
                        phone=self.name, length=length
                    ),
                    hint=_("Check the address points at a phone in fastboot mode."),
                )
            self._pending = self._recv_exact(length) if length else b""
            if not length:
                return b""
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._pending = b""

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise DeviceDisconnected(_("{phone}: not connected").format(phone=self.name))
        return self._sock

    def _recv_exact(self, n: int) -> bytes:
        sock = self._require()
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            try:
                k = sock.recv_into(view[got:])
            except TimeoutError as e:
                raise TransportTimeout(_("{phone}: no answer in time").format(phone=self.name)) from e
            except OSError as e:
                raise DeviceDisconnected(
                    _("{phone}: connection lost ({reason})").format(phone=self.name, reason=e.strerror or e),
                    hint=_("The phone went away: check it is still in fastboot mode and retry."),
                ) from e
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
