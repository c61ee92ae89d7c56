"""A plain TCP byte stream to a phone: how adb travels over a network (``adb connect HOST:PORT``).

Unlike fastboot over TCP (``tcp.py``: a handshake and length-prefixed frames) adb puts its own
messages straight onto the stream, so this transport adds nothing: ``write`` sends the bytes,
``read`` returns whatever has arrived, up to ``size`` (the protocol layer reassembles messages).
"""

from __future__ import annotations

from unlocker.errors import DeviceDisconnected, TransportTimeout
from unlocker.i18n import _
from unlocker.transport.socket_link import CONNECT_TIMEOUT, SocketTransport

# One recv asks for at least this much: fewer system calls when small reads follow each other.
_RECV_SIZE = 256 * 1024


class TcpStreamTransport(SocketTransport):
    def __init__(self, host: str, port: int, *, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        super().__init__(host, port, connect_timeout=connect_timeout)

    def open(self) -> None:
        self._connect()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._send(
            data,
            stalled_hint=_(
                "Check that the phone's screen still shows the same mode and the cable is firm, then retry."
            ),
            lost_hint=_(
                "The phone closed the connection: check that it is still in the same mode, then retry."
            ),
        )

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
