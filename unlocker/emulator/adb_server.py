"""The virtual phone's adb on TCP (its fastboot port + 1), as ``adb connect HOST:PORT`` reaches it.

adb over TCP is the messages on a plain byte stream (AOSP transport.cpp ``FdConnection``). The
port is open whatever the mode, like the emulator's; outside recovery and sideload mode nothing
answers on it (the connection is closed at once), as on a phone whose adbd is not running.
One thread per connection; while idle it looks every ``TICK`` seconds whether the phone
changed mode (the person chose "Apply from ADB", or it rebooted), which ends the link.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver

from unlocker.emulator.adb_device import AdbDeviceSession
from unlocker.emulator.faults import Disconnect
from unlocker.emulator.phone import VirtualPhone
from unlocker.emulator.recovery import ADB_MODES

TICK = 0.1
_RECV = 1024 * 1024


class _AdbHandler(socketserver.BaseRequestHandler):
    server: AdbTcpServer

    def handle(self) -> None:
        phone = self.server.phone
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        phone.check_controls()
        if phone.mode not in ADB_MODES:
            return
        session = AdbDeviceSession(phone)
        buffer = bytearray(_RECV)
        view = memoryview(buffer)
        sock.settimeout(TICK)
        try:
            while True:
                try:
                    count = sock.recv_into(buffer)
                except TimeoutError:
                    phone.check_controls()
                    if session.expired():
                        return
                    continue
                if not count:
                    return
                replies = session.feed(view[:count])
                if replies:
                    sock.sendall(b"".join(replies))
                if session.drop:
                    return
        except (Disconnect, OSError):
            return
        finally:
            session.close()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class AdbTcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, phone: VirtualPhone, host: str, port: int) -> None:
        self.phone = phone
        super().__init__((host, port), _AdbHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def service_actions(self) -> None:
        # Runs between accepts: the recovery's screen changes even while nobody is connected.
        self.phone.check_controls()
