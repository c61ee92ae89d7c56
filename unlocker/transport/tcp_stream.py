"""A plain TCP byte stream to a phone: how adb travels over a network (``adb connect HOST:PORT``).

Unlike fastboot over TCP (``tcp.py``: a handshake and length-prefixed frames) adb puts its own
messages straight onto the stream, so this transport adds nothing: ``write`` sends the bytes,
``read`` returns whatever has arrived, up to ``size`` (the protocol layer reassembles messages).
A sideload is tens of thousands of small exchanges, so each costs as few system calls and
copies as it can: received bytes land in one reused buffer, and a message's parts leave in one send.
"""

from __future__ import annotations

from unlocker.errors import DeviceDisconnected
from unlocker.i18n import _
from unlocker.transport.socket_link import CONNECT_TIMEOUT, SocketTransport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# One recv asks for this much: fewer system calls when small reads follow each other.
_RECV_SIZE = 256 * 1024


class TcpStreamTransport(SocketTransport):
    def __init__(self, host: str, port: int, *, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        super().__init__(host, port, connect_timeout=connect_timeout)
        self._buffer = bytearray(_RECV_SIZE)
        self._view = memoryview(self._buffer)
        self._start = self._end = 0  # the received bytes not yet handed out: _buffer[_start:_end]
        self._hints: tuple[str, str] | None = None

    def open(self) -> None:
        self._connect()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.write_parts((data,))

    def write_parts(self, parts: Sequence[bytes | bytearray | memoryview]) -> None:
        if self._hints is None:  # translated once, not for every message
            self._hints = (
                _(
                    "Check that the phone's screen still shows the same mode and the cable is firm, then retry."
                ),
                _("The phone closed the connection: check that it is still in the same mode, then retry."),
            )
        stalled, lost = self._hints
        self._send(*parts, stalled_hint=stalled, lost_hint=lost)

    def read(self, size: int, timeout: float) -> bytes:
        if self._start == self._end:
            count = self._recv_into(
                self._buffer,
                timeout,
                lost_hint=_("The phone went away: check that it is still in the same mode, then retry."),
            )
            if not count:
                raise DeviceDisconnected(
                    _("{phone}: the phone closed the connection").format(phone=self.name),
                    hint=_("Check that the phone is still in the same mode, then retry."),
                )
            self._start, self._end = 0, count
        end = min(self._end, self._start + size)
        data = bytes(self._view[self._start : end])
        self._start = end
        return data

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._start = self._end = 0
