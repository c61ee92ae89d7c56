"""Android logical-partition (LP) metadata, as AOSP liblp reads and writes it (metadata_format.h).

A ``super_empty.img`` is what lpmake writes without partition images: the geometry (a 4096-byte
block) followed by one copy of the metadata (header and tables). It is read here the way liblp's
``ReadFromImageFile`` reads it, with every SHA-256 checked, so a damaged file is refused before
anything reaches a phone. :func:`serialize_geometry` and :func:`serialize_metadata` give the
bytes liblp's ``SerializeGeometry`` / ``SerializeMetadata`` give for the same metadata: that is
what ``fastboot wipe-super`` writes to the phone.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

from unlocker.errors import ImageError
from unlocker.i18n import _

GEOMETRY_MAGIC = 0x616C4467
GEOMETRY_SIZE = 4096  # LP_METADATA_GEOMETRY_SIZE: one geometry copy, padded with zeros
HEADER_MAGIC = 0x414C5030
MAJOR_VERSION = 10
MINOR_VERSION_MAX = 2
VERSION_FOR_UPDATED_ATTR = 1
VERSION_FOR_EXPANDED_HEADER = 2
SECTOR_SIZE = 512
RESERVED_BYTES = 4096  # LP_PARTITION_RESERVED_BYTES: zeros before the primary geometry
DEFAULT_SUPER_NAME = "super"

BLOCK_DEVICE_SLOT_SUFFIXED = 1 << 0
_ATTRIBUTES_V0 = 0x3  # READONLY | SLOT_SUFFIXED
_ATTRIBUTES_V1 = 0xC  # UPDATED | DISABLED

# magic, struct_size, checksum, metadata_max_size, metadata_slot_count, logical_block_size
GEOMETRY = struct.Struct("<II32sIII")
_TABLE = "III"  # offset, num_entries, entry_size
HEADER_V1_0 = struct.Struct("<IHHI32sI32s" + _TABLE * 4)  # 128 bytes
HEADER_V1_2_SIZE = 256  # v1.0 + flags (4) + reserved (124)
_CHECKSUM_AT = 12  # header_checksum's offset in the header
PARTITION = struct.Struct("<36sIIII")  # name, attributes, first_extent_index, num_extents, group_index
EXTENT = struct.Struct("<QIQI")  # num_sectors, target_type, target_data, target_source
GROUP = struct.Struct("<36sIQ")  # name, flags, maximum_size
BLOCK_DEVICE = struct.Struct(
    "<QIIQ36sI"
)  # first_logical_sector, alignment, alignment_offset, size, name, flags
TARGET_LINEAR = 0


@dataclass(frozen=True)
class Geometry:
    metadata_max_size: int
    metadata_slot_count: int
    logical_block_size: int
    raw: bytes  # the struct as stored (its checksum verified)


@dataclass(frozen=True)
class BlockDevice:
    first_logical_sector: int
    size: int
    partition_name: str
    flags: int

    @property
    def slot_suffixed(self) -> bool:
        return bool(self.flags & BLOCK_DEVICE_SLOT_SUFFIXED)


@dataclass(frozen=True)
class LpMetadata:
    geometry: Geometry
    header: bytes  # header_size bytes, as stored (offsets and checksums are recomputed on writing)
    # Each table's entries, entry_size bytes each, in table order: partitions, extents, groups,
    # block devices (what liblp's SerializeMetadata writes back, gaps dropped).
    partitions: tuple[bytes, ...]
    extents: tuple[bytes, ...]
    groups: tuple[bytes, ...]
    block_device_entries: tuple[bytes, ...]
    block_devices: tuple[BlockDevice, ...]

    @property
    def super_device(self) -> BlockDevice:
        """The block device holding the metadata: the first one (liblp's GetMetadataSuperBlockDevice)."""
        return self.block_devices[0]

    @property
    def partition_names(self) -> list[str]:
        return [_name(PARTITION.unpack(e)[0]) for e in self.partitions]


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def read_super_empty(path: Path) -> LpMetadata:
    """The metadata of a super_empty.img, every checksum and bound checked (ImageError otherwise)."""
    try:
        with open(path, "rb") as f:
            data = f.read(GEOMETRY_SIZE + HEADER_V1_2_SIZE + 16 * 1024 * 1024 + 1)
    except OSError as e:
        raise ImageError(
            _("cannot read image {path}: {reason}").format(path=path, reason=e.strerror or e)
        ) from e
    try:
        return parse_super_empty(data)
    except ImageError as e:
        raise ImageError(
            _("{file}: {problem}").format(file=path.name, problem=e),
            hint=_("This is not a usable super_empty.img: download it again from the ROM's build."),
        ) from e


def parse_super_empty(data: bytes) -> LpMetadata:
    """liblp's ReadFromImageBlob: geometry at offset 0, the metadata right after it."""
    if len(data) < GEOMETRY.size or struct.unpack_from("<I", data)[0] != GEOMETRY_MAGIC:
        raise ImageError(_("no logical partition metadata (wrong magic): not a super_empty.img"))
    if len(data) < GEOMETRY_SIZE:
        raise ImageError(_("the file is truncated ({size} bytes)").format(size=len(data)))
    geometry = parse_geometry(data[:GEOMETRY_SIZE])
    return parse_metadata(geometry, data[GEOMETRY_SIZE:], len(data))


def parse_geometry(block: bytes) -> Geometry:
    magic, struct_size, checksum, max_size, slots, block_size = GEOMETRY.unpack_from(block)
    if magic != GEOMETRY_MAGIC:
        raise ImageError(_("no logical partition metadata (wrong magic): not a super_empty.img"))
    if struct_size != GEOMETRY.size:
        raise ImageError(
            _("the logical partition metadata is invalid: {problem}").format(problem="struct_size")
        )
    raw = block[: GEOMETRY.size]
    if _sha256(raw[:8] + bytes(32) + raw[40:]) != checksum:
        raise ImageError(_("the {part} checksum does not match: the file is damaged").format(part="geometry"))
    if slots == 0 or max_size % SECTOR_SIZE or block_size == 0 or block_size % SECTOR_SIZE:
        raise ImageError(_("the logical partition metadata is invalid: {problem}").format(problem="geometry"))
    return Geometry(max_size, slots, block_size, raw)


def _truncated(total: int) -> ImageError:
    return ImageError(_("the file is truncated ({size} bytes)").format(size=total))


def _invalid(problem: str) -> ImageError:
    return ImageError(_("the logical partition metadata is invalid: {problem}").format(problem=problem))


def parse_metadata(geometry: Geometry, data: bytes, total: int) -> LpMetadata:
    """liblp's ParseMetadata over ``data`` (what follows the geometry); ``total``: the file's size."""
    if len(data) < HEADER_V1_0.size:
        raise _truncated(total)
    fields = HEADER_V1_0.unpack_from(data)
    magic, major, minor, header_size, header_checksum, tables_size, tables_checksum = fields[:7]
    tables = [fields[7 + 3 * i : 10 + 3 * i] for i in range(4)]  # (offset, count, entry_size) each
    if magic != HEADER_MAGIC:
        raise _invalid("header magic")
    if major != MAJOR_VERSION or minor > MINOR_VERSION_MAX:
        raise ImageError(
            _("logical partition metadata version {major}.{minor} is not supported").format(
                major=major, minor=minor
            )
        )
    expected = HEADER_V1_2_SIZE if minor >= VERSION_FOR_EXPANDED_HEADER else HEADER_V1_0.size
    if header_size != expected:
        raise _invalid("header_size")
    if len(data) < header_size:
        raise _truncated(total)
    header = data[:header_size]
    blank = header[:_CHECKSUM_AT] + bytes(32) + header[_CHECKSUM_AT + 32 :]
    if _sha256(blank) != header_checksum:
        raise ImageError(_("the {part} checksum does not match: the file is damaged").format(part="header"))
    for offset, count, entry_size in tables:
        if offset > tables_size or tables_size - offset < count * entry_size:
            raise _invalid("table bounds")
    sizes = (PARTITION.size, EXTENT.size, GROUP.size, BLOCK_DEVICE.size)
    if any(table[2] != size for table, size in zip(tables, sizes, strict=True)):
        raise _invalid("table entry size")
    if tables_size > geometry.metadata_max_size:
        raise _invalid("tables_size")
    if len(data) < header_size + tables_size:
        raise _truncated(total)
    body = data[header_size : header_size + tables_size]
    if _sha256(body) != tables_checksum:
        raise ImageError(_("the {part} checksum does not match: the file is damaged").format(part="tables"))
    entries = [
        tuple(body[offset + i * entry_size : offset + (i + 1) * entry_size] for i in range(count))
        for offset, count, entry_size in tables
    ]
    partitions, extents, groups, devices_raw = entries
    valid_attributes = _ATTRIBUTES_V0 | (_ATTRIBUTES_V1 if minor >= VERSION_FOR_UPDATED_ATTR else 0)
    for entry in partitions:
        _n, attributes, first, count, group = PARTITION.unpack(entry)
        if attributes & ~valid_attributes or first + count > len(extents) or group >= len(groups):
            raise _invalid("partition table")
    for entry in extents:
        _sectors, target_type, _data, source = EXTENT.unpack(entry)
        if target_type == TARGET_LINEAR and source >= len(devices_raw):
            raise _invalid("extent table")
    devices = []
    for entry in devices_raw:
        first_sector, _alignment, _offset, size, name, flags = BLOCK_DEVICE.unpack(entry)
        devices.append(BlockDevice(first_sector, size, _name(name), flags))
    if not devices:
        raise _invalid("no super block device")
    if metadata_region(geometry) > devices[0].first_logical_sector * SECTOR_SIZE:
        raise _invalid("metadata overlaps the partitions")
    return LpMetadata(geometry, header, partitions, extents, groups, devices_raw, tuple(devices))


def metadata_region(geometry: Geometry) -> int:
    """Bytes at the start of super taken by reserved zeros, both geometries and every metadata copy."""
    return RESERVED_BYTES + (GEOMETRY_SIZE + geometry.metadata_max_size * geometry.metadata_slot_count) * 2


def serialize_geometry(geometry: Geometry) -> bytes:
    """liblp's SerializeGeometry: the struct with its checksum recomputed, padded to 4096 bytes."""
    raw = geometry.raw
    blank = raw[:8] + bytes(32) + raw[40:]
    return (raw[:8] + _sha256(blank) + raw[40:]).ljust(GEOMETRY_SIZE, b"\0")


def serialize_metadata(metadata: LpMetadata) -> bytes:
    """liblp's SerializeMetadata: tables packed in order, offsets, sizes and checksums recomputed."""
    parts = [b"".join(t) for t in (metadata.partitions, metadata.extents, metadata.groups)]
    parts.append(b"".join(metadata.block_device_entries))
    counts = (
        len(metadata.partitions),
        len(metadata.extents),
        len(metadata.groups),
        len(metadata.block_device_entries),
    )
    entry_sizes = (PARTITION.size, EXTENT.size, GROUP.size, BLOCK_DEVICE.size)
    tables = b"".join(parts)
    descriptors = []
    offset = 0
    for part, count, entry_size in zip(parts, counts, entry_sizes, strict=True):
        descriptors += [offset, count, entry_size]
        offset += len(part)
    old = HEADER_V1_0.unpack_from(metadata.header)
    fixed = HEADER_V1_0.pack(*old[:4], bytes(32), len(tables), _sha256(tables), *descriptors)
    header = fixed + metadata.header[HEADER_V1_0.size :]
    checksum = _sha256(header)
    header = header[:_CHECKSUM_AT] + checksum + header[_CHECKSUM_AT + 32 :]
    return header + tables
