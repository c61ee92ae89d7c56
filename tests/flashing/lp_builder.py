"""A super_empty.img writer for the tests, written from AOSP liblp's metadata_format.h and
builder.cpp/writer.cpp without using unlocker's own LP code: what lpmake writes when given block
devices, groups and partitions but no images (geometry, then one metadata copy).

Google's fastboot reads these files too (``fastboot wipe-super``), which checks this writer.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

SECTOR = 512
ALIGNMENT = 1024 * 1024  # lpmake's default partition alignment


@dataclass
class Layout:
    devices: list[tuple[str, int]]  # block devices (partition name, size); the first holds super
    slot_suffixed: bool = False  # retrofit: names get the slot suffix on the phone
    metadata_max_size: int = 65536
    slots: int = 2
    block_size: int = 4096
    minor: int = 0  # header v10.0 (128 bytes) or v10.2 (256 bytes)
    groups: list[tuple[str, int]] = field(default_factory=lambda: [("main", 0)])
    partitions: list[tuple[str, int]] = field(default_factory=lambda: [("system", 1), ("vendor", 1)])


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def _name(text: str) -> bytes:
    return text.encode().ljust(36, b"\0")


def build_super_empty(layout: Layout) -> bytes:
    reserved = 4096 + (4096 + layout.metadata_max_size * layout.slots) * 2
    geometry = struct.pack(
        "<II32sIII", 0x616C4467, 52, bytes(32), layout.metadata_max_size, layout.slots, layout.block_size
    )
    geometry = geometry[:8] + hashlib.sha256(geometry).digest() + geometry[40:]

    suffixed = 1 if layout.slot_suffixed else 0
    partitions = b"".join(
        struct.pack("<36sIIII", _name(name), 1 | (2 if layout.slot_suffixed else 0), 0, 0, group)
        for name, group in layout.partitions
    )
    extents = b""
    groups = struct.pack("<36sIQ", _name("default"), 0, 0) + b"".join(
        struct.pack("<36sIQ", _name(name), suffixed, size) for name, size in layout.groups
    )
    devices = b""
    for index, (name, size) in enumerate(layout.devices):
        first = _align(reserved if index == 0 else SECTOR, ALIGNMENT) // SECTOR
        devices += struct.pack("<QIIQ36sI", first, ALIGNMENT, 0, size, _name(name), suffixed)
    tables = partitions + extents + groups + devices
    counts = [
        (0, len(layout.partitions), 52),
        (len(partitions), 0, 24),
        (len(partitions), len(groups) // 48, 48),
        (len(partitions) + len(groups), len(layout.devices), 64),
    ]
    descriptors = b"".join(struct.pack("<III", *c) for c in counts)
    header_size = 256 if layout.minor >= 2 else 128

    def header(checksum: bytes) -> bytes:
        head = struct.pack(
            "<IHHI32sI32s",
            0x414C5030,
            10,
            layout.minor,
            header_size,
            checksum,
            len(tables),
            hashlib.sha256(tables).digest(),
        )
        return (head + descriptors).ljust(header_size, b"\0")

    head = header(bytes(32))
    head = header(hashlib.sha256(head).digest())
    return geometry.ljust(4096, b"\0") + head + tables


NB1 = Layout(devices=[("system", 3 * 1024**3), ("vendor", 1024**3)], slot_suffixed=True)
