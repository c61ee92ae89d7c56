"""Staging: where one connection's downloads land before a command uses them.

One file per connection, opened once and overwritten in place by every download: its pages stay
allocated between downloads (on tmpfs, allocating and zeroing them again cost more than the
writes), and nothing is truncated or renamed. Only ``size`` bytes of it are the staged data; the
tail beyond is stale and never read. The size is set only when a download completes, so a
half-received download is never staged, and a new download discards the old staged data at its
start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


class Staging:
    """The staging file of one connection at ``path`` (created on the first download)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0  # bytes of staged data; 0 when nothing is staged
        self._fd: int | None = None
        self._written = 0  # bytes of the download in progress
        self._expected = 0

    def begin(self, size: int) -> None:
        """A download of ``size`` bytes starts: the old staged data is gone."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        self.size = 0
        self._written = 0
        self._expected = size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append a piece of the download in progress (the caller keeps it within the announced size)."""
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, self._written)
            view = view[written:]
            self._written += written

    def complete(self) -> None:
        """The whole download has arrived: it becomes the staged data."""
        self.size = self._expected

    def abort(self) -> None:
        """The download in progress is dropped; nothing is staged."""
        self.size = 0
        self._expected = 0

    def read(self, limit: int | None = None) -> bytes:
        """The staged data, or its first ``limit`` bytes."""
        if self._fd is None or not self.size:
            return b""
        want = self.size if limit is None else min(limit, self.size)
        parts: list[bytes] = []
        got = 0
        while got < want:
            data = os.pread(self._fd, want - got, got)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The staged data as a file that ends where the data ends, its ``fileno()`` usable for copies."""
        with open(self.path, "rb") as f:
            yield Limited(f, self.size)  # type: ignore[misc]

    def close(self) -> None:
        """The connection is gone: staged or half-received, its data goes with it."""
        self.abort()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)


class Limited:
    """A file seen only up to ``size`` bytes: the staged download, not the stale tail after it."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self._end = f.tell() + size

    def _left(self) -> int:
        return max(0, self._end - self._f.tell())

    def read(self, n: int = -1) -> bytes:
        left = self._left()
        return self._f.read(left if n < 0 else min(n, left))

    def readinto(self, buf) -> int:  # noqa: ANN001 - buffer protocol
        return self._f.readinto(memoryview(buf)[: self._left()])

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 2:
            return self._f.seek(self._end + offset)
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def fileno(self) -> int:
        # Readers by descriptor bound themselves: apply_sparse by seek(0, 2), write_raw by its size.
        return self._f.fileno()
