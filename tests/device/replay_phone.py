"""A phone that answers from a recorded `fastboot getvar all` (tests/device/fixtures/*.txt).

It speaks fastboot's TCP protocol (FB01 handshake, 8-byte big-endian frame lengths), so the real
client and CLI talk to it as to a phone: ``getvar:all`` replays the recorded INFO lines,
``getvar:NAME`` answers the recorded value (FAIL when the bootloader did not publish it), and
every other command fails as an unknown command. It parses the posts on its own, with rules of
its own, so a bug in unlocker's parsers cannot hide in both.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_LENGTH = struct.Struct(">Q")


def info_lines(posted: str) -> list[str]:
    """The INFO payloads of a posted output: every '(bootloader) ' line, indentation before the
    tag dropped (a quirk of wrapped values), indentation after it kept (MediaTek's LK)."""
    lines = []
    for line in posted.splitlines():
        text = line.lstrip()
        if text.startswith("(bootloader)"):
            payload = text[len("(bootloader)") :]
            lines.append(payload[1:] if payload.startswith(" ") else payload)
    return lines


def recorded_values(lines: list[str]) -> dict[str, str]:
    """name (with its argument, 'partition-size:boot_a') -> value, as a person reads the post."""
    values = {}
    for line in lines:
        text = line.strip()
        if ": " in text:
            name, value = text.split(": ", 1)
        elif text.endswith(":"):
            name, value = text[:-1], ""
        else:
            name, _sep, value = text.partition(":")
        values.setdefault(name.strip(), value.strip())
    return values


class ReplayPhone:
    """Serve one recorded bootloader on 127.0.0.1; ``name`` is what `-s` takes."""

    def __init__(self, fixture: str, *, unknown: str = "GetVar Variable Not found") -> None:
        self.lines = info_lines((FIXTURES / fixture).read_text(encoding="utf-8"))
        self.values = recorded_values(self.lines)
        self.unknown = unknown
        self.commands: list[str] = []
        phone = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                try:
                    if _recv(sock, 4) != b"FB01":
                        return
                    sock.sendall(b"FB01")
                    while True:
                        (length,) = _LENGTH.unpack(_recv(sock, 8))
                        command = _recv(sock, length).decode("utf-8", "replace")
                        phone.commands.append(command)
                        for reply in phone.answer(command):
                            sock.sendall(_LENGTH.pack(len(reply)) + reply)
                except (ConnectionError, OSError):
                    return

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.name = f"tcp:127.0.0.1:{self._server.server_address[1]}"

    def answer(self, command: str) -> list[bytes]:
        if command == "getvar:all":
            return [b"INFO" + line.encode() for line in self.lines] + [b"OKAY"]
        if command.startswith("getvar:"):
            value = self.values.get(command[len("getvar:") :])
            return [b"OKAY" + value.encode()] if value is not None else [b"FAIL" + self.unknown.encode()]
        return [b"FAILunknown command"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data
