"""A plain TCP byte stream to a phone: how adb travels over a network (``adb connect HOST:PORT``).

Unlike fastboot over TCP (``tcp.py``: a handshake and length-prefixed frames) adb puts its own
messages straight onto the stream, so this transport adds nothing: ``write`` sends the bytes,
``read`` returns whatever has arrived, up to ``size`` (the protocol layer reassembles messages).
"""

from __future__ import annotations

import socket

from unlocker import commands
from unlocker.errors import DeviceDisconnected, DeviceNotFound, TransportTimeout
from unlocker.i18n import _
from unlocker.transport.base import Transport

CONNECT_TIMEOUT = 5.0
# One recv asks for at least this much: fewer system calls when small reads follow each other.
_RECV_SIZE = 256 * 1024


class TcpStreamTransport(Transport):
    max_write_size = 8 * 1024 * 1024

    def __init__(self, host: str, port: int, *, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.host = host
        self.port = port
        self.name = f"tcp:{host}:{port}"
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._pending = b""

    def open(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as e:
            raise DeviceNotFound(
                _("{phone}: cannot connect ({reason})").format(phone=self.name, reason=e.strerror or e),
                hint=_(
                    "Check the address and that the phone (or {command}) is listening on that port."
                ).format(command=commands.show(commands.EMULATE)),
            ) from e
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def write(self, data: bytes | bytearray | memoryview) -> None:
        sock = self._require()
        try:
            sock.settimeout(None)
            sock.sendall(data)
        except OSError as e:
            raise DeviceDisconnected(
                _("{phone}: connection lost while sending ({reason})").format(
                    phone=self.name, reason=e.strerror or e
                ),
                hint=_(
                    "The phone closed the connection: check that it is still in the same mode, then retry."
                ),
            ) from e

    def read(self, size: int, timeout: float) -> bytes:
        if not self._pending:
            sock = self._require()
            sock.settimeout(timeout)
            try:
                data = sock.recv(max(size, _RECV_SIZE))
            except TimeoutError as e:
                raise TransportTimeout(_("{phone}: no answer in time").format(phone=self.name)) from e
            except OSError as e:
                raise DeviceDisconnected(
                    _("{phone}: connection lost ({reason})").format(phone=self.name, reason=e.strerror or e),
                    hint=_("The phone went away: check that it is still in the same mode, then retry."),
                ) from e
            if not data:
                raise DeviceDisconnected(
                    _("{phone}: the phone closed the connection").format(phone=self.name),
                    hint=_("Check that the phone is still in the same mode, then retry."),
                )
            self._pending = data
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
