"""A fastboot device on loopback TCP that throws every downloaded byte away.

Benchmarks of the client need a device that is not itself the limit: the virtual phone (`unlocker
emulate`) parses and writes what it receives, which is slower than either client sends. This one
answers like the virtual phone's profile would (the same getvar table, computed once at start-up,
so `status` and the flash preflight see a real unlocked phone) and otherwise does the least a
fastboot device can: `download` reads and drops the data, `flash`/`erase`/`reboot`/`set_active`/
`oem` answer OKAY at once.

Usage: python benchmarks/discard_device.py [--profile NAME] [--max-download-size BYTES] [--port N]
       [--var NAME=VALUE ...]   (e.g. --var partition-size:system=0x200000000 for a 4 GiB image)
Prints `listening tcp:127.0.0.1:PORT` on its first line, then serves until killed.
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_LENGTH = struct.Struct(">Q")
# Big enough that the kernel, not the interpreter, sets the pace: each recv_into call moves
# whatever the socket buffer holds, up to this many bytes.
_SINK = 8 * 1024 * 1024


def variable_table(profile: str, max_download_size: int | None) -> tuple[dict[str, str], list[str]]:
    """getvar answers and getvar:all lines of an unlocked virtual phone with this profile."""
    from unlocker.emulator.phone import VirtualPhone
    from unlocker.emulator.variables import all_lines, partition_variables, simple_variables

    with tempfile.TemporaryDirectory() as state:
        phone = VirtualPhone(state, profile, unlocked=True, max_download_size=max_download_size)
        values = {**simple_variables(phone), **partition_variables(phone)}
        # The preflight reads the battery where the bootloader reports one: say it is full.
        values.setdefault("battery-voltage", "4300")
        values.setdefault("battery-soc-ok", "yes")
        return values, all_lines(phone)


class _Connection:
    def __init__(self, sock: socket.socket, values: dict[str, str], all_lines: list[str]) -> None:
        self.sock = sock
        self.values = values
        self.all_lines = all_lines
        # Made at the first download: filling 8 MiB of fresh memory takes about a millisecond,
        # which `status` (it downloads nothing) would otherwise wait for at its handshake. A new
        # one per connection, as the flash benchmarks were first measured with: a sink reused
        # across connections made both clients' transfers measurably slower here.
        self.sink: memoryview | None = None

    def serve(self) -> None:
        sock = self.sock
        if self._exact(4) != b"FB01":
            return
        sock.sendall(b"FB01")
        expecting = 0  # bytes of a download still to come
        while True:
            (length,) = _LENGTH.unpack(self._exact(8))
            if expecting:
                self._drop(length)
                expecting -= length
                if expecting <= 0:
                    expecting = 0
                    self._reply(b"OKAY")
                continue
            command = self._exact(length).decode("ascii", "replace")
            if command.startswith("download:"):
                expecting = int(command[9:], 16)
                self._reply(b"DATA%08x" % expecting)
                if not expecting:
                    self._reply(b"OKAY")
            elif command == "getvar:all":
                for line in self.all_lines:
                    self._reply(b"INFO" + line.encode())
                self._reply(b"OKAY")
            elif command.startswith("getvar:"):
                value = self.values.get(command[7:])
                self._reply(b"FAILGetVar Variable Not found" if value is None else b"OKAY" + value.encode())
            else:
                self._reply(b"OKAY")
                if command.startswith("reboot"):
                    return

    def _reply(self, message: bytes) -> None:
        self.sock.sendall(_LENGTH.pack(len(message)) + message)

    def _exact(self, n: int) -> bytes:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = self.sock.recv_into(view[got:])
            if not k:
                raise ConnectionError("host closed")
            got += k
        return bytes(buf)

    def _drop(self, n: int) -> None:
        if self.sink is None:
            self.sink = memoryview(bytearray(_SINK))
        sink, recv_into = self.sink, self.sock.recv_into
        while n:
            k = recv_into(sink, min(n, _SINK))
            if not k:
                raise ConnectionError("host closed")
            n -= k


# Connections served at once. Each has a thread already waiting in accept(): starting one per
# connection delayed every handshake, which the start-up benchmark (`status`, against `python3 -c
# pass`) would count as the client's. A connection beyond these waits in the listen queue until
# one ends; the benchmarks open one at a time.
_ACCEPTORS = 4


def serve(port: int, values: dict[str, str], all_lines: list[str]) -> None:
    listener = socket.create_server(("127.0.0.1", port), backlog=_ACCEPTORS)
    print(f"listening tcp:127.0.0.1:{listener.getsockname()[1]}", flush=True)

    def accept_and_serve() -> None:
        while True:
            sock, _ = listener.accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                _Connection(sock, values, all_lines).serve()
            except (ConnectionError, OSError):
                pass
            finally:
                sock.close()

    workers = [threading.Thread(target=accept_and_serve, daemon=True) for _ in range(_ACCEPTORS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="xiaomi-legacy")
    parser.add_argument("--max-download-size", type=int, default=None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="override one getvar answer"
    )
    args = parser.parse_args()
    values, lines = variable_table(args.profile, args.max_download_size)
    for override in args.var:
        name, _, value = override.partition("=")
        values[name] = value
    serve(args.port, values, lines)


if __name__ == "__main__":
    main()
