"""What both TCP transports share: connecting to a phone by host and port, sending with a
progress-based deadline, and closing. ``tcp.py`` adds fastboot's handshake and frames on top;
``tcp_stream.py`` sends adb's messages as they are."""

from __future__ import annotations

import socket
from typing import BinaryIO, NamedTuple

from unlocker import commands
from unlocker.errors import DeviceDisconnected, DeviceNotFound, TransportTimeout
from unlocker.i18n import _
from unlocker.transport.base import Transport

CONNECT_TIMEOUT = 5.0
_GATHER = hasattr(socket.socket, "sendmsg")  # not on Windows
_MORE = getattr(socket, "MSG_MORE", 0)  # Linux only; elsewhere the header leaves on its own


class FileRange(NamedTuple):
    """Bytes of a file to send as they are, by the kernel (sendfile): no copy through Python."""

    file: BinaryIO
    offset: int
    count: int


class SocketTransport(Transport):
    """A TCP connection to ``host:port``, named ``tcp:HOST:PORT`` like Google's tools name it."""

    max_write_size = 8 * 1024 * 1024

    def __init__(self, host: str, port: int, *, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.host = host
        self.port = port
        self.name = f"tcp:{host}:{port}"
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._pending = b""  # bytes received but not yet handed to the caller

    def _connect(self) -> socket.socket:
        try:
            # An ASCII name goes to the resolver as bytes: a str would load the IDNA codec (and
            # unicodedata's tables) at every connect, for names that need no conversion.
            host = self.host.encode("ascii") if self.host.isascii() else self.host
            sock = socket.create_connection((host, self.port), timeout=self.connect_timeout)
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
        return sock

    def _send(
        self, *parts: bytes | bytearray | memoryview | FileRange, stalled_hint: str, lost_hint: str
    ) -> int:
        """Send ``parts`` in order; a phone that stops taking data or goes away becomes
        TransportTimeout or DeviceDisconnected, with the caller's (protocol's) next step.
        Returns the bytes sent (fewer than asked only when a file range ends early)."""
        sock = self._require()
        sent = 0
        try:
            pending: list[bytes | bytearray | memoryview] = []
            for part in parts:
                if isinstance(part, FileRange):
                    if pending:
                        # More follows: let the kernel put these (a frame header) in the same segment.
                        self._send_all(sock, *pending, flags=_MORE)
                        sent += sum(memoryview(p).nbytes for p in pending)
                        pending = []
                    sent += self._send_range(sock, part)
                else:
                    pending.append(part)
            if pending:
                self._send_all(sock, *pending)
                sent += sum(memoryview(p).nbytes for p in pending)
        except TimeoutError as e:
            raise TransportTimeout(
                _("{phone}: the phone took no data for {seconds} s").format(
                    phone=self.name, seconds=f"{self.write_timeout:g}"
                ),
                hint=stalled_hint,
            ) from e
        except OSError as e:
            raise DeviceDisconnected(
                _("{phone}: connection lost while sending ({reason})").format(
                    phone=self.name, reason=e.strerror or e
                ),
                hint=lost_hint,
            ) from e
        return sent

    def _send_all(self, sock: socket.socket, *parts: bytes | bytearray | memoryview, flags: int = 0) -> None:
        """Send every byte of ``parts``, gathered into one system call where the platform has
        sendmsg (a header leaves with its payload, which is not copied), where each send must make
        progress within ``write_timeout`` (sendall's own timeout would bound the whole transfer
        instead, however fast it goes). Raises TimeoutError when the phone stops taking data."""
        views = [view for view in (memoryview(part).cast("B") for part in parts) if view.nbytes]
        if sock.gettimeout() != self.write_timeout:  # each settimeout is a system call
            sock.settimeout(self.write_timeout)
        while views:
            sent = (
                sock.sendmsg(views, (), flags) if len(views) > 1 and _GATHER else sock.send(views[0], flags)
            )
            while views and sent >= views[0].nbytes:
                sent -= views.pop(0).nbytes
            if sent:
                views[0] = views[0][sent:]

    def _send_range(self, sock: socket.socket, part: FileRange) -> int:
        """The range by sendfile; like ``_send_all``, each step must make progress within
        ``write_timeout`` (socket.sendfile waits for the socket with that timeout)."""
        if sock.gettimeout() != self.write_timeout:
            sock.settimeout(self.write_timeout)
        return sock.sendfile(part.file, part.offset, part.count)

    def _recv_into(self, view: memoryview | bytearray, timeout: float, *, lost_hint: str) -> int:
        """One receive into ``view`` within ``timeout`` s (0 when the phone closed the link); a
        silent phone becomes TransportTimeout, a lost one DeviceDisconnected with the protocol's
        next step."""
        sock = self._require()
        try:
            if timeout <= 0:
                raise TimeoutError
            if sock.gettimeout() != timeout:
                sock.settimeout(timeout)
            return sock.recv_into(view)
        except TimeoutError as e:
            raise TransportTimeout(_("{phone}: no answer in time").format(phone=self.name)) from e
        except OSError as e:
            raise DeviceDisconnected(
                _("{phone}: connection lost ({reason})").format(phone=self.name, reason=e.strerror or e),
                hint=lost_hint,
            ) from e

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
