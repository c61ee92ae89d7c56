"""A tiny, scriptable fastboot-over-TCP device that misbehaves on purpose.

The virtual phone behaves like hardware; this one does what broken hardware, cables and hostile
devices do: stop reading mid-download, talk forever, trickle replies, send oversized or
escape-laden answers, never confirm a flash. Tests hand it a ``hook`` that sees each command
first and may take it over::

    def hook(conn, command):
        if command.startswith("flash:"):
            conn.hang()          # never answer
            return True
        return False             # the default answers

    with FakeFastboot(variables, hook=hook) as fake:
        run_cli("flash", "boot", img, "-s", fake.name, "--yes")
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable

FRAME = struct.Struct(">Q")

#: The answers of an unlocked, non-A/B phone with a 64 MiB boot partition.
DEFAULT_VARIABLES = {
    "product": "fakephone",
    "is-userspace": "no",
    "unlocked": "yes",
    "max-download-size": "0x10000000",
    "has-slot:boot": "no",
    "partition-size:boot": "0x4000000",
    "is-logical:boot": "no",
    "partition-type:boot": "raw",
}


class Conn:
    """One connection, as the hook sees it."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.commands: list[str] = []

    def send(self, payload: bytes) -> None:
        self.sock.sendall(FRAME.pack(len(payload)) + payload)

    def recv_exact(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(min(n - len(data), 1 << 20))
            if not chunk:
                raise ConnectionError("host closed")
            data += chunk
        return bytes(data)

    def recv_frame(self) -> bytes:
        (length,) = FRAME.unpack(self.recv_exact(8))
        return self.recv_exact(length)

    def receive_data(self, size: int) -> None:
        left = size
        while left:
            left -= len(self.recv_frame())

    def hang(self) -> None:
        """Stop reading and answering until the test ends (or the host hangs up)."""
        self.stop.wait()


Hook = Callable[[Conn, str], bool]


class FakeFastboot:
    def __init__(
        self,
        variables: dict[str, str] | None = None,
        *,
        hook: Hook | None = None,
        receive_buffer: int | None = None,
    ) -> None:
        self.variables = dict(DEFAULT_VARIABLES if variables is None else variables)
        self.hook = hook
        self.commands: list[str] = []
        self.stop = threading.Event()
        self.server = socket.socket()
        if receive_buffer:
            # Small buffers make "the device stopped reading" show within a few MiB.
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def name(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def __enter__(self) -> FakeFastboot:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.close()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Conn(sock, self.stop)
        try:
            with sock:
                if conn.recv_exact(4) != b"FB01":
                    return
                sock.sendall(b"FB01")
                while not self.stop.is_set():
                    command = conn.recv_frame().decode("ascii", errors="replace")
                    self.commands.append(command)
                    if self.hook is not None and self.hook(conn, command):
                        continue
                    self._default(conn, command)
        except OSError:
            return

    def _default(self, conn: Conn, command: str) -> None:
        name, _, arg = command.partition(":")
        if name == "getvar":
            value = self.variables.get(arg)
            conn.send(b"FAILVariable not found" if value is None else b"OKAY" + value.encode())
        elif name == "download":
            size = int(arg, 16)
            conn.send(b"DATA%08x" % size)
            conn.receive_data(size)
            conn.send(b"OKAY")
        else:
            conn.send(b"OKAY")


def trickle(conn: Conn, payload: bytes, every: float) -> None:
    """Send one frame a byte at a time, ``every`` seconds apart (until the host gives up)."""
    data = FRAME.pack(len(payload)) + payload
    for i in range(len(data)):
        if conn.stop.wait(every):
            return
        conn.sock.sendall(data[i : i + 1])


def info_forever(conn: Conn, every: float) -> None:
    """INFO lines without end: a phone that keeps saying it is busy."""
    n = 0
    while not conn.stop.wait(every):
        conn.send(b"INFOstill working %d" % n)
        n += 1


def elapsed(start: float) -> float:
    return time.monotonic() - start
