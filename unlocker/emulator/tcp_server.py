"""The virtual phone on TCP: fastboot's TCP protocol (FB01 handshake, 8-byte big-endian frames).

Google's ``fastboot -s tcp:127.0.0.1:PORT`` talks to it like to a phone; so does unlocker.
One thread per connection; the phone's lock serialises commands. In recovery and sideload mode
nothing answers fastboot; adb is served on PORT+1 then (``adb_server``), like Android's emulator
(console 5554, adb 5555).
"""

from __future__ import annotations

import contextlib
import errno
import socket
import socketserver
import struct
import threading

from unlocker.emulator.adb_server import AdbTcpServer
from unlocker.emulator.faults import Disconnect
from unlocker.emulator.phone import VirtualPhone
from unlocker.emulator.recovery import ADB_MODES
from unlocker.emulator.session import MAX_COMMAND, Session

_LENGTH = struct.Struct(">Q")
# Frames bigger than this cannot come from a fastboot host; a bad client gets disconnected.
_MAX_FRAME = 1 << 32
_PIECE = 4 * 1024 * 1024
# A phone serves one host at a time. A new connection waits this long for the previous one to
# finish closing (a client that just disconnected), then is turned away.
_BUSY_WAIT = 1.0


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        phone = self.server.phone
        phone.check_controls()
        if phone.mode in ADB_MODES:
            return  # in recovery there is no fastboot to answer
        try:
            if _recv_exact(sock, 4) != b"FB01":
                return
        except (ConnectionError, OSError):
            return
        if not self.server.in_use.acquire(timeout=_BUSY_WAIT):
            # Like a real bootloader: one host at a time, so two hosts never interleave their
            # downloads and flashes. The second one gets no handshake.
            return
        try:
            sock.sendall(b"FB01")
            self._serve(sock)
        except (ConnectionError, OSError):
            return
        finally:
            self.server.in_use.release()

    def _serve(self, sock: socket.socket) -> None:
        session = Session(self.server.phone)
        pieces = memoryview(bytearray(_PIECE))
        try:
            while True:
                (length,) = _LENGTH.unpack(_recv_exact(sock, 8))
                if length > _MAX_FRAME:
                    return
                if not session.in_data_phase and length > MAX_COMMAND:
                    # Refused unread: a command frame is never buffered beyond the protocol's limit.
                    reply = b"FAILcommand too long"
                    sock.sendall(_LENGTH.pack(len(reply)) + reply)
                    return
                replies: list[bytes] = []
                if session.in_data_phase:
                    # Hosts may send a whole download as one frame (hundreds of MiB): stream it
                    # into the session's staging where it can take it, else through one buffer
                    # that the session has written out before the next piece.
                    left = length
                    while left:
                        size = min(left, _PIECE)
                        target = session.receive_buffer(size)
                        piece = _recv_into(sock, pieces if target is None else target, size)
                        left -= size
                        replies.extend(session.feed(piece))
                else:
                    replies = session.feed(_recv_exact(sock, length) if length else b"")
                for reply in replies:
                    sock.sendall(_LENGTH.pack(len(reply)) + reply)
                if session.reboot_target:
                    return  # a rebooting phone drops its link
        except (Disconnect, ConnectionError, OSError):
            return
        finally:
            session.close()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], phone: VirtualPhone) -> None:
        self.phone = phone
        self.in_use = threading.Semaphore(1)
        super().__init__(address, _Handler)

    def service_actions(self) -> None:
        self.phone.check_controls()


class EmulatorServer:
    """A running virtual phone on TCP; ``name`` is what to pass to ``-s`` (``adb_name`` in recovery)."""

    def __init__(self, phone: VirtualPhone, host: str = "127.0.0.1", port: int = 0) -> None:
        self.phone = phone
        self._server, self._adb = _bind(phone, host, port)
        self.host = host
        self.port = self._server.server_address[1]
        self.adb_port = self._adb.port
        self._threads: list[threading.Thread] = []

    @property
    def name(self) -> str:
        return f"tcp:{self.host}:{self.port}"

    @property
    def adb_name(self) -> str:
        return f"tcp:{self.host}:{self.adb_port}"

    def _serve_in_background(self, server: socketserver.BaseServer, name: str) -> None:
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def start(self) -> EmulatorServer:
        self._serve_in_background(self._server, "virtual-phone")
        self._serve_in_background(self._adb, "virtual-phone-adb")
        return self

    def serve_forever(self) -> None:
        self._serve_in_background(self._adb, "virtual-phone-adb")
        self._server.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        for server in (self._server, self._adb):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bind(phone: VirtualPhone, host: str, port: int) -> tuple[_Server, AdbTcpServer]:
    """The fastboot listener on ``port`` and adb on the next port (both free, when ``port`` is 0)."""
    for _attempt in range(50):
        fastboot = _Server((host, port), phone)
        adb_port = fastboot.server_address[1] + 1
        try:
            if adb_port > 65535:
                raise OSError(errno.EADDRNOTAVAIL, "no port after 65535 for adb")
            return fastboot, AdbTcpServer(phone, host, adb_port)
        except OSError:
            fastboot.server_close()
            if port:
                raise
    raise OSError(errno.EADDRINUSE, "no two free neighbouring ports")


def serve_tcp(phone: VirtualPhone, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Start serving in a background thread (for tests); returns the running server."""
    return EmulatorServer(phone, host, port).start()


def _recv_exact(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    _recv_into(sock, memoryview(buf), n)
    return buf  # no copy: sessions accept any bytes-like message


def _recv_into(sock: socket.socket, buf: memoryview, n: int) -> memoryview:
    """Exactly ``n`` bytes into the start of ``buf``; returns that part of it."""
    view = buf if len(buf) == n else buf[:n]  # the very view: sessions know their own by identity
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if not k:
            raise ConnectionError("peer closed")
        got += k
    return view
