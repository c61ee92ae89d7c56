"""Staging: where a connection's downloads land before a command uses them.

Downloads land in an anonymous file in the state dir, mapped into memory, so the transport can
receive straight into it (one copy per byte, as a phone's DMA into RAM) and the flash can write
from that memory into the partition file (one more copy; on tmpfs, copy_file_range goes through
splice and costs more). The file is never truncated or rewritten: each download overwrites it in
place, and the pages stay allocated for the next download and the next connection (on tmpfs,
allocating and freeing them cost more than the writes). Only ``size`` bytes of it are staged data;
the tail beyond is stale and never read. The size is set only when a download completes, so a
half-received download is never staged, a new download discards the old staged data at its start,
and a connection handed a file another one used sees none of its data.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from unlocker.sparse.fileranges import pread, pwrite


class StagingFile:
    """An anonymous file, mapped, that grows to the largest download it has held."""

    def __init__(self, directory: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed by close()
        self.fd = self._file.fileno()
        self._map: mmap.mmap | None = None
        self._reserved = 0  # bytes from the start that are allocated on the file system

    def reserve(self, size: int) -> None:
        """Make the first ``size`` bytes writable in place. Blocks are allocated up front, because a
        full file system must fail here (OSError) and never at a write into the mapping (SIGBUS)."""
        allocate = getattr(os, "posix_fallocate", None)
        if size <= self._reserved or allocate is None:
            return  # without it nothing is mapped: downloads are written with pwrite
        allocate(self.fd, 0, size)
        self._reserved = size
        # An old mapping is dropped, not closed: a transport may still hold a view of it.
        self._map = None

    def window(self, start: int, size: int) -> memoryview | None:
        """The bytes [start, start + size) as writable memory; None where files cannot be mapped."""
        if start + size > self._reserved:
            return None
        if self._map is None:
            try:
                self._map = mmap.mmap(self.fd, self._reserved)
            except (OSError, ValueError):
                return None
        return memoryview(self._map)[start : start + size]

    def close(self) -> None:
        self._map = None
        self._file.close()


class StagingPool:
    """The phone's staging files: one per connection at a time, and one kept for the next one."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._free: list[StagingFile] = []
        self._lock = threading.Lock()

    def take(self) -> StagingFile:
        with self._lock:
            if self._free:
                return self._free.pop()
        return StagingFile(self._directory)

    def give_back(self, staging_file: StagingFile) -> None:
        with self._lock:
            if not self._free:
                self._free.append(staging_file)
                return
        staging_file.close()


class Staging:
    """One connection's downloads, in a file taken from ``pool`` at the first download."""

    def __init__(self, pool: StagingPool) -> None:
        self._pool = pool
        self._file: StagingFile | None = None
        self.size = 0  # bytes of staged data; 0 when nothing is staged
        self._written = 0  # bytes of the download in progress
        self._expected = 0
        self._window: memoryview | None = None

    def begin(self, size: int) -> None:
        """A download of ``size`` bytes starts: the old staged data is gone."""
        self.size = 0
        self._written = 0
        self._expected = size
        if self._file is None:
            self._file = self._pool.take()
        self._file.reserve(size)

    def window(self, size: int) -> memoryview | None:
        """Where the next ``size`` bytes of the download may be received in place, then handed to
        ``write``; None when they do not fit in what was announced (or nothing can be mapped)."""
        if self._file is None or self._written + size > self._expected:
            return None
        self._window = self._file.window(self._written, size)
        return self._window

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append a piece of the download in progress (the caller keeps it within the announced size)."""
        assert self._file is not None
        if data is self._window and self._window is not None:
            self._written += len(data)  # received in place already
            self._window = None
            return
        view = memoryview(data)
        while view:
            written = pwrite(self._file.fd, view, self._written)
            view = view[written:]
            self._written += written

    def complete(self) -> None:
        """The whole download has arrived: it becomes the staged data."""
        self.size = self._expected

    def abort(self) -> None:
        """The download in progress is dropped; nothing is staged."""
        self.size = 0
        self._expected = 0
        self._window = None

    def read(self, limit: int | None = None) -> bytes:
        """The staged data, or its first ``limit`` bytes."""
        if self._file is None or not self.size:
            return b""
        want = self.size if limit is None else min(limit, self.size)
        parts: list[bytes] = []
        got = 0
        while got < want:
            data = pread(self._file.fd, want - got, got)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def memory(self) -> memoryview | None:
        """The staged data as memory: the very pages the download was received into, so writing
        from it is one copy per byte. None when nothing is staged or the file cannot be mapped."""
        if self._file is None or not self.size:
            return None
        return self._file.window(0, self.size)

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The staged data as a file that ends where the data ends, its ``fileno()`` usable for copies."""
        assert self._file is not None
        with open(os.dup(self._file.fd), "rb") as f:
            f.seek(0)  # the duplicate shares its position with the original, left anywhere
            yield _Limited(f, self.size)  # type: ignore[misc]

    def close(self) -> None:
        """The connection is gone: staged or half-received, its data goes with it."""
        self.abort()
        if self._file is not None:
            self._pool.give_back(self._file)
            self._file = None


class _Limited:
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
