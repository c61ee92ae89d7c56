"""The rollback index an image carries, read from its Android Verified Boot metadata.

AOSP ``libavb`` formats, all big-endian:

- a vbmeta image (``vbmeta.img``) starts with the 256-byte ``AvbVBMetaImageHeader``: magic
  ``AVB0``, then required libavb version (2 x u32), authentication and auxiliary block sizes
  (2 x u64), algorithm (u32), nine u64 offsets/sizes, and ``rollback_index`` (u64) at byte 112;
- any other verified image (boot, dtbo, ...) ends with the 64-byte ``AvbFooter``: magic
  ``AVBf``, version (2 x u32), original image size, vbmeta offset and vbmeta size (3 x u64),
  28 reserved bytes; its vbmeta header sits at the vbmeta offset.

Only raw images are read (a few hundred bytes at known places). Anything that does not parse is
"no rollback index": the caller then asks the person instead of guessing.
"""

from __future__ import annotations

import os
import struct

VBMETA_MAGIC = b"AVB0"
FOOTER_MAGIC = b"AVBf"
VBMETA_HEADER = struct.Struct(">4sII QQ I QQQQQQQQQQ Q II 48s 80s")
FOOTER = struct.Struct(">4sII QQQ 28s")
assert VBMETA_HEADER.size == 256 and FOOTER.size == 64


def _rollback_at(f, offset: int, size: int) -> int | None:  # noqa: ANN001 - an open binary file
    if offset < 0 or offset + VBMETA_HEADER.size > size:
        return None
    f.seek(offset)
    header = f.read(VBMETA_HEADER.size)
    if len(header) != VBMETA_HEADER.size or header[:4] != VBMETA_MAGIC:
        return None
    return int(VBMETA_HEADER.unpack(header)[16])


def rollback_index(path: str | os.PathLike[str]) -> int | None:
    """The image's AVB rollback index, or None when it carries none (or cannot be read)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            found = _rollback_at(f, 0, size)
            if found is not None or size < FOOTER.size:
                return found
            f.seek(size - FOOTER.size)
            footer = f.read(FOOTER.size)
            if footer[:4] != FOOTER_MAGIC:
                return None
            _magic, _major, _minor, _original, vbmeta_offset, _vbmeta_size, _reserved = FOOTER.unpack(footer)
            return _rollback_at(f, vbmeta_offset, size)
    except OSError:
        return None
