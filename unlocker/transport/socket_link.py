"""What both TCP transports share: connecting to a phone by host and port, sending with a
progress-based deadline, and closing. ``tcp.py`` adds fastboot's handshake and frames on top;
``tcp_stream.py`` sends adb's messages as they are.

The sockets are the C module's (``_socket``): ``socket.py`` adds Python wrappers around it and
imports enum, functools, collections and selectors to build them, several milliseconds of every
start (issue 15) for two helpers used here, ``create_connection`` and ``sendfile``, which
:meth:`SocketTransport._connect` and :meth:`SocketTransport._send_range` do themselves.
"""

from __future__ import annotations

import _socket
import os

from unlocker import commands
from unlocker.errors import DeviceDisconnected, DeviceNotFound, TransportTimeout
from unlocker.i18n import _
from unlocker.record import Record
from unlocker.transport.base import Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO

CONNECT_TIMEOUT = 5.0
_GATHER = hasattr(_socket.socket, "sendmsg")  # not on Windows
_MORE = getattr(_socket, "MSG_MORE", 0)  # Linux only; elsewhere the header leaves on its own
# One os.sendfile asks for at most this much (socket.sendfile's cap: larger counts overflow, bpo-38319).
_SENDFILE_MAX = 1 << 30
# Where the system cannot send from a file (Windows), a range is read and sent in blocks this big.
_READ_BLOCK = 1024 * 1024


class FileRange(Record):
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
        self._sock: _socket.socket | None = None
        self._pending = b""  # bytes received but not yet handed to the caller

    def _connect(self) -> _socket.socket:
        try:
            # An ASCII name goes to the resolver as bytes: a str would load the IDNA codec (and
            # unicodedata's tables) at every connect, for names that need no conversion.
            host = self.host.encode("ascii") if self.host.isascii() else self.host
            sock = _create_connection(host, self.port, self.connect_timeout)
        except (OSError, UnicodeError) as e:  # UnicodeError: a host name IDNA cannot encode
            reason = getattr(e, "strerror", None) or e
            raise DeviceNotFound(
                _("{phone}: cannot connect ({reason})").format(phone=self.name, reason=reason),
                hint=_(
                    "Check the address and that the phone (or {command}) is listening on that port."
                ).format(command=commands.show(commands.EMULATE)),
            ) from e
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
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

    def _send_all(self, sock: _socket.socket, *parts: bytes | bytearray | memoryview, flags: int = 0) -> None:
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

    def _send_range(self, sock: _socket.socket, part: FileRange) -> int:
        """The range by sendfile; like ``_send_all``, each step must make progress within
        ``write_timeout``. Returns the bytes sent, fewer than asked only when the file ends first.
        Leaves the file's position after the bytes sent, as ``socket.sendfile`` does."""
        if sock.gettimeout() != self.write_timeout:
            sock.settimeout(self.write_timeout)
        file, offset, count = part
        if hasattr(os, "sendfile"):  # looked up here, not at import: tests take it away
            try:
                return self._sendfile(sock, file, offset, count)
            except _NoSendfile:
                pass  # nothing sent yet: the same bytes by reading them
        return self._send_by_reads(sock, file, offset, count)

    def _sendfile(self, sock: _socket.socket, file: BinaryIO, offset: int, count: int) -> int:
        """os.sendfile from the file to the socket until ``count`` bytes or the file's end. The
        socket has a timeout, so it does not block underneath: once its buffer is full, wait for
        room up to ``write_timeout`` (TimeoutError after that). Raises _NoSendfile when the file
        cannot be sent this way (no descriptor, or the system refuses it before any byte left)."""
        try:
            fileno = file.fileno()
        except (AttributeError, OSError, ValueError) as e:  # io.UnsupportedOperation is both
            raise _NoSendfile from e
        sockno = sock.fileno()
        wait = _writable_waiter(sockno)
        timeout = self.write_timeout
        sent = 0
        full = False  # the last call filled the socket's buffer: wait for room before the next
        try:
            while sent < count:
                if full and not wait(timeout):
                    raise TimeoutError("timed out")  # _send words it for people
                asked = min(count - sent, _SENDFILE_MAX)
                try:
                    n = os.sendfile(sockno, fileno, offset + sent, asked)
                except BlockingIOError:
                    full = True
                    continue
                except OSError as e:
                    if not sent:
                        # Not a file the kernel can send from (socket.sendfile's reason to fall back):
                        # if the socket is what failed, the plain sends fail the same way.
                        raise _NoSendfile from e
                    raise
                if not n:
                    break  # the file ended early
                sent += n
                # Fewer bytes than asked: the buffer is full (or the file ends, which the next call
                # finds). Calling again at once would mostly move a few bytes or none.
                full = n < asked
        finally:
            _leave_position(file, offset, sent)
        return sent

    def _send_by_reads(self, sock: _socket.socket, file: BinaryIO, offset: int, count: int) -> int:
        """The range read into a buffer block by block and sent as ``_send_all`` sends: where
        os.sendfile is missing (Windows) or refuses the file."""
        buffer = bytearray(min(count, _READ_BLOCK) or 1)
        view = memoryview(buffer)
        file.seek(offset)
        sent = 0
        try:
            while sent < count:
                got = file.readinto(view[: min(count - sent, len(view))])
                if not got:
                    break  # the file ended early
                self._send_all(sock, view[:got])
                sent += got
        finally:
            _leave_position(file, offset, sent)
        return sent

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

    def _require(self) -> _socket.socket:
        if self._sock is None:
            raise DeviceDisconnected(_("{phone}: not connected").format(phone=self.name))
        return self._sock


class _NoSendfile(Exception):
    """os.sendfile cannot send this file; nothing was sent (the caller reads and sends instead)."""


def _leave_position(file: BinaryIO, offset: int, sent: int) -> None:
    """Put the file's position after the bytes sent, as socket.sendfile does, errors included."""
    if sent and hasattr(file, "seek"):
        file.seek(offset + sent)


def _create_connection(host: str | bytes, port: int, timeout: float) -> _socket.socket:
    """A connected TCP socket with ``timeout``, as socket.create_connection makes: each address
    the resolver gives, in its order, until one connects; the last failure when none does."""
    error: OSError | None = None
    for family, kind, protocol, _canonical, address in _socket.getaddrinfo(
        host, port, 0, _socket.SOCK_STREAM
    ):
        sock = None
        try:
            sock = _socket.socket(family, kind, protocol)
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as e:
            error = e
            if sock is not None:
                sock.close()
    if error is not None:
        try:
            raise error
        finally:
            error = None  # the traceback refers to this frame: break the cycle, as socket.py does
    raise OSError("getaddrinfo returns an empty list")  # as socket.py words it


def _writable_waiter(fd: int) -> Callable[[float | None], bool]:
    """A function that waits up to its argument in seconds (None: for ever) for room to write on
    ``fd``; False when the time ran out. poll where the system has it (no limit on descriptor
    numbers), select elsewhere, as socket.sendfile chooses."""
    import select  # only when sending a file (a flash): status never waits for room

    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLOUT)

        def wait(timeout: float | None) -> bool:
            return bool(poller.poll(None if timeout is None else timeout * 1000))

        return wait

    def wait_select(timeout: float | None) -> bool:
        return bool(select.select([], [fd], [], timeout)[1])

    return wait_select
