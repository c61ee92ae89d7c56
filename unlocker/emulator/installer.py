"""The virtual recovery's side of a sideload: which blocks it asks for, and what it makes of them.

A real recovery never holds the package: minadbd shows it as a file (``/sideload/package.zip``,
fuse_sideload) and every read of that file becomes a block request to the host. So the order of
requests is the order a recovery reads a zip (AOSP bootable/recovery otautil/verifier.cpp,
install/install.cpp; shared reference adb-sideload.md sections 9 and 11):

1. the end of the file (signature footer and the zip's end-of-central-directory record);
2. the central directory;
3. every block in order (the signature covers the whole file: the verification pass);
4. the entries the installer opens: the metadata and the updater (read again: a block cache of
   one, so some blocks are fetched twice).

The first copy of each block is kept (SHA-256 per block); a later copy that differs fails the
install, as fuse_sideload's EIO does. The package is valid when it is a zip that carries
``META-INF/com/google/android/update-binary`` (or, on an A/B phone, an A/B payload) and whose
metadata ``pre-device`` names this phone. Everything streams through a file in the state dir.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
import zipfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unlocker.emulator.recovery import SIDELOAD_PACKAGE
from unlocker.sparse.fileranges import pread, pwrite

if TYPE_CHECKING:
    from unlocker.emulator.phone import VirtualPhone

UPDATE_BINARY = "META-INF/com/google/android/update-binary"
METADATA = "META-INF/com/android/metadata"
AB_ENTRIES = ("payload.bin", "payload_properties.txt")
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_EOCD_SEARCH = 0xFFFF + _EOCD_SIZE  # the record, plus a zip comment of up to 64 KiB
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_LOCAL_HEADER = 30


@dataclass(frozen=True)
class Verdict:
    ok: bool
    error: str = ""  # the recovery's words (English, like a real recovery's log)


class TooMuchData(Exception):
    """The host sent more bytes than the block it was asked for."""


class PackageFile:
    """The package as the recovery holds it (``STATE_DIR/sideload.part``), hashed as it arrives in order."""

    def __init__(self, phone: VirtualPhone, size: int) -> None:
        self.phone = phone
        self.size = size
        self.path = phone.recovery.part_path()
        self._fd: int | None = os.open(
            self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644
        )
        os.ftruncate(self._fd, size)
        self._whole = hashlib.sha256()
        self._hashed = 0  # bytes [0, _hashed) are in the whole-file hash

    def write(self, offset: int, data: bytes) -> None:
        assert self._fd is not None
        pwrite(self._fd, data, offset)

    def hash_in_order(self, offset: int, data: bytes) -> None:
        """Feed the whole-file SHA-256 when ``data`` is the next piece of it (the verification pass)."""
        if offset == self._hashed:
            self._whole.update(data)
            self._hashed += len(data)

    def read(self, start: int, end: int) -> bytes:
        assert self._fd is not None
        return pread(self._fd, end - start, start)

    def finish(self, verdict: Verdict, metadata: dict[str, str]) -> None:
        """Keep the package (``sideloaded.zip``) or throw it away, and record the install."""
        if self._fd is None:
            return
        os.close(self._fd)
        self._fd = None
        recovery = self.phone.recovery
        record: dict[str, Any] = {
            "package": SIDELOAD_PACKAGE,
            "ok": verdict.ok,
            "size": self.size,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if verdict.ok:
            record["sha256"] = self._whole.hexdigest() if self._hashed == self.size else None
            record["post_build"] = metadata.get("post-build")
            record["pre_device"] = metadata.get("pre-device")
            os.replace(self.path, recovery.sideloaded_path)
        else:
            record["error"] = verdict.error
            recovery.discard_part()
        recovery.record_install(record)


def check_package(phone: VirtualPhone, path: Path) -> tuple[Verdict, dict[str, str]]:
    """What the installer makes of the package: the verdict and the package's metadata."""
    profile = phone.profile
    metadata: dict[str, str] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if METADATA in names:
                for line in archive.read(METADATA).decode("utf-8", "replace").splitlines():
                    key, sep, value = line.partition("=")
                    if sep:
                        metadata[key.strip()] = value.strip()
            devices = [d.strip() for d in metadata.get("pre-device", "").split(",") if d.strip()]
            if devices and profile.product not in devices:
                # AOSP install.cpp CheckPackageMetadata's words
                error = f"Package is for product {','.join(devices)} but expected {profile.product}"
                return Verdict(False, error), metadata
            if UPDATE_BINARY in names:
                archive.read(UPDATE_BINARY)  # the CRC is checked as it is read
            elif not (profile.ab and all(n in names for n in AB_ENTRIES)):
                return Verdict(False, f"Failed to find update binary {UPDATE_BINARY}"), metadata
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        return Verdict(False, f"Failed to open package: {e}"), metadata
    return Verdict(True), metadata


class SideloadInstaller:
    """One sideload, block by block: ``next_request()``, then ``receive()`` its bytes, repeat.

    ``next_request()`` returns None when the recovery has made up its mind: ``verdict`` says how
    it went, and the package is kept (``STATE_DIR/sideloaded.zip``) or thrown away.
    """

    def __init__(self, phone: VirtualPhone, size: int, block_size: int) -> None:
        self.phone = phone
        self.size = size
        self.block_size = block_size
        self.blocks = -(-size // block_size)
        self.requests = 0
        self.verdict: Verdict | None = None
        self.current: int | None = None
        self._file = PackageFile(phone, size)
        self._metadata: dict[str, str] = {}
        self._digests: dict[int, bytes] = {}
        self._changed: int | None = None
        self._buffer = bytearray()
        self._plan = self._requests()

    # --- the exchange ---------------------------------------------------------------------------

    def next_request(self) -> int | None:
        try:
            self.current = next(self._plan)
        except StopIteration as stop:
            self.current = None
            self._finish(stop.value)
            return None
        self.requests += 1
        self._buffer.clear()
        return self.current

    def receive(self, data: bytes) -> bool:
        """Bytes of the current block; True once it is complete."""
        assert self.current is not None
        length = min(self.block_size, self.size - self.current * self.block_size)
        if len(self._buffer) + len(data) > length:
            raise TooMuchData()
        self._buffer += data
        if len(self._buffer) < length:
            return False
        self._store(self.current, bytes(self._buffer))
        return True

    def abort(self, reason: str) -> None:
        """The host went away (or broke the protocol) before the recovery was done."""
        if self.verdict is None:
            self._finish(Verdict(False, reason))

    def _finish(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self._file.finish(verdict, self._metadata)

    # --- storage --------------------------------------------------------------------------------

    def _store(self, block: int, data: bytes) -> None:
        digest = hashlib.sha256(data).digest()
        known = self._digests.get(block)
        offset = block * self.block_size
        if known is None:
            self._digests[block] = digest
            self._file.write(offset, data)
        elif known != digest:
            if self._changed is None:
                self._changed = block
            return
        self._file.hash_in_order(offset, data)

    # --- the order a recovery reads a zip in ----------------------------------------------------

    def _cover(self, start: int, end: int) -> range:
        """The blocks holding bytes [start, end)."""
        end = min(end, self.size)
        if end <= start:
            return range(0)
        return range(start // self.block_size, (end - 1) // self.block_size + 1)

    def _requests(self) -> Generator[int, None, Verdict]:
        read = self._file.read
        # 1. verify_file: the footer and the end-of-central-directory record, last block first.
        tail = max(0, self.size - _EOCD_SEARCH)
        yield from reversed(self._cover(tail, self.size))
        directory = self._central_directory(read(tail, self.size), tail)
        if directory is None:
            return Verdict(False, "Failed to open package: not a zip file (no end of central directory)")
        # 2. the central directory
        yield from self._cover(*directory)
        # 3. the verification pass over the whole package
        yield from range(self.blocks)
        if self._changed is not None:
            return self._eio()
        # 4. the installer opens the zip: metadata, then the updater (fetched again)
        try:
            with zipfile.ZipFile(self._file.path) as archive:
                entries = [archive.getinfo(n) for n in (METADATA, UPDATE_BINARY) if n in archive.namelist()]
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as e:
            return Verdict(False, f"Failed to open package: {e}")
        for info in entries:
            header = read(info.header_offset, info.header_offset + _LOCAL_HEADER)
            if len(header) < _LOCAL_HEADER or header[:4] != b"PK\x03\x04":
                return Verdict(False, f"Failed to open package: bad local header for {info.filename}")
            name_length, extra_length = struct.unpack_from("<HH", header, 26)
            data_start = info.header_offset + _LOCAL_HEADER + name_length + extra_length
            yield from self._cover(info.header_offset, data_start + info.compress_size)
        if self._changed is not None:
            return self._eio()
        verdict, self._metadata = check_package(self.phone, self._file.path)
        return verdict

    def _eio(self) -> Verdict:
        return Verdict(False, f"block {self._changed} changed between two reads (EIO)")

    def _central_directory(self, data: bytes, tail: int) -> tuple[int, int] | None:
        """(start, end) of the central directory, from the end of the file (``data``, read at ``tail``)."""
        at = data.rfind(_EOCD)
        if at < 0 or len(data) - at < _EOCD_SIZE:
            return None
        size, offset = struct.unpack_from("<II", data, at + 12)
        if 0xFFFFFFFF in (size, offset) and at >= 20 and data[at - 20 : at - 16] == _ZIP64_LOCATOR:
            (record,) = struct.unpack_from("<Q", data, at - 20 + 8)
            zip64 = self._file.read(record, record + 56)
            if zip64[:4] != _ZIP64_EOCD:
                return None
            size, offset = struct.unpack_from("<QQ", zip64, 40)
        if offset + size > self.size:
            return None
        return offset, offset + size


class LegacyReceiver:
    """``sideload:SIZE`` of Android 4.4 recoveries: the whole file in one stream, checked at the end."""

    def __init__(self, phone: VirtualPhone, size: int) -> None:
        self.phone = phone
        self.size = size
        self.received = 0
        self.verdict: Verdict | None = None
        self._file = PackageFile(phone, size)

    def receive(self, data: bytes) -> Verdict | None:
        """Bytes of the package; the verdict once all of them arrived."""
        if self.received + len(data) > self.size:
            raise TooMuchData()
        self._file.write(self.received, data)
        self._file.hash_in_order(self.received, data)
        self.received += len(data)
        if self.received < self.size:
            return None
        self.verdict, metadata = check_package(self.phone, self._file.path)
        self._file.finish(self.verdict, metadata)
        return self.verdict

    def abort(self, reason: str) -> None:
        if self.verdict is None:
            self.verdict = Verdict(False, reason)
            self._file.finish(self.verdict, {})
