"""A scripted Transport: replays replies and records writes, to test the protocol layer byte by byte."""

from __future__ import annotations

from unlocker.errors import TransportTimeout
from unlocker.transport.base import Transport


class ScriptedTransport(Transport):
    def __init__(self, replies: list[bytes | BaseException], *, max_write_size: int = 1024 * 1024) -> None:
        self.name = "scripted"
        self.replies = list(replies)
        self.writes: list[bytes] = []
        self.max_write_size = max_write_size
        self.read_timeouts: list[float] = []
        self.closed = False

    def open(self) -> None:
        pass

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def read(self, size: int, timeout: float) -> bytes:
        self.read_timeouts.append(timeout)
        if not self.replies:
            raise TransportTimeout("scripted: no more replies")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply[:size]

    def close(self) -> None:
        self.closed = True
