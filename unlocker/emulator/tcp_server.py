"""The virtual phone on TCP: fastboot's TCP protocol (FB01 handshake, 8-byte big-endian frames).

Google's ``fastboot -s tcp:127.0.0.1:PORT`` talks to it like to a phone; so does unlocker.
One thread per connection; the phone's lock serialises commands.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading

from unlocker.emulator.faults import Disconnect
from unlocker.emulator.phone import VirtualPhone
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
                    # Hosts may send a whole download as one frame (hundreds of MiB): stream it through.
                    left = length
                    while left:
                        piece = _recv_exact(sock, min(left, _PIECE))
                        left -= len(piece)
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


class EmulatorServer:
    """A running virtual phone on TCP; ``name`` is what to pass to ``-s``."""

    def __init__(self, phone: VirtualPhone, host: str = "127.0.0.1", port: int = 0) -> None:
        self.phone = phone
        self._server = _Server((host, port), phone)
        self.host = host
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return f"tcp:{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="virtual-phone",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_tcp(phone: VirtualPhone, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Start serving in a background thread (for tests); returns the running server."""
    return EmulatorServer(phone, host, port).start()


def _recv_exact(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], min(n - got, 4 * 1024 * 1024))
        if not k:
            raise ConnectionError("peer closed")
        got += k
    return buf  # no copy: sessions accept any bytes-like message
