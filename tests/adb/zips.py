"""ROM-like zips for the sideload tests: an updater, metadata naming the device, random payload."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

UPDATE_BINARY = "META-INF/com/google/android/update-binary"
METADATA = "META-INF/com/android/metadata"


def make_rom_zip(
    path: Path,
    *,
    payload: int = 300_000,
    device: str | None = "alioth",
    update_binary: bool = True,
    post_build: str = "Xiaomi/alioth/alioth:14/UQ1A.240205.004/1:user/release-keys",
) -> Path:
    """A zip a recovery takes (or, with ``update_binary=False``, one it refuses after the transfer)."""
    with zipfile.ZipFile(path, "w") as archive:
        if device is not None:
            archive.writestr(METADATA, f"ota-type=BLOCK\npost-build={post_build}\npre-device={device}\n")
        if update_binary:
            archive.writestr(UPDATE_BINARY, b"#!/sbin/sh\necho installing\n" * 40)
        # Stored, not deflated: random data does not compress, and the zip gets the size asked for.
        with archive.open("system.new.dat", "w", force_zip64=payload > 0xFFFF0000) as entry:
            left = payload
            while left:
                piece = os.urandom(min(left, 1024 * 1024))
                entry.write(piece)
                left -= len(piece)
    return path
