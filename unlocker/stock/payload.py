"""payload.bin, the A/B update file: its header and manifest, read without protoc.

Layout (AOSP update_engine, update_metadata.proto): ``CrAU``, major version (u64 BE, 2),
manifest size (u64 BE), metadata signature size (u32 BE), the ``DeltaArchiveManifest``
protobuf, the metadata signature, then the operation blobs. An operation's blob starts at
``data_offset + op.data_offset``. Only the manifest is read here (it is small); blobs are
streamed by :mod:`unlocker.stock.extract`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from unlocker import commands
from unlocker.errors import PackageError
from unlocker.i18n import _
from unlocker.stock import protobuf as pb

MAGIC = b"CrAU"
HEADER_SIZE = 24
MAJOR_VERSION = 2  # kBrilloMajorPayloadVersion; version 1 (Chrome OS) is deprecated
# Real manifests are a few MiB; a larger one is damage or an attack on memory.
MAX_MANIFEST = 64 * 1024 * 1024
MAX_METADATA_SIGNATURE = 1024 * 1024
SPARSE_HOLE = (1 << 64) - 1  # kSparseHole: an extent start that means "no blocks here"

# InstallOperation.Type numbers (update_metadata.proto). 14 is not in AOSP's schema: vendors
# (vivo, via payload-dumper-go and payload_dumper) use it for zstd-compressed REPLACE data.
REPLACE, REPLACE_BZ, MOVE, BSDIFF, SOURCE_COPY, SOURCE_BSDIFF = 0, 1, 2, 3, 4, 5
ZERO, DISCARD, REPLACE_XZ, PUFFDIFF, BROTLI_BSDIFF, ZUCCHINI = 6, 7, 8, 9, 10, 11
LZ4DIFF_BSDIFF, LZ4DIFF_PUFFDIFF, REPLACE_ZSTD = 12, 13, 14
OPERATION_NAMES = {
    REPLACE: "REPLACE",
    REPLACE_BZ: "REPLACE_BZ",
    MOVE: "MOVE",
    BSDIFF: "BSDIFF",
    SOURCE_COPY: "SOURCE_COPY",
    SOURCE_BSDIFF: "SOURCE_BSDIFF",
    ZERO: "ZERO",
    DISCARD: "DISCARD",
    REPLACE_XZ: "REPLACE_XZ",
    PUFFDIFF: "PUFFDIFF",
    BROTLI_BSDIFF: "BROTLI_BSDIFF",
    ZUCCHINI: "ZUCCHINI",
    LZ4DIFF_BSDIFF: "LZ4DIFF_BSDIFF",
    LZ4DIFF_PUFFDIFF: "LZ4DIFF_PUFFDIFF",
    REPLACE_ZSTD: "REPLACE_ZSTD",
}
# What a full payload may hold: data for the whole partition, never a reference to an old one.
FULL_OPERATIONS = frozenset({REPLACE, REPLACE_BZ, REPLACE_XZ, REPLACE_ZSTD, ZERO, DISCARD})


def operation_name(kind: int) -> str:
    return OPERATION_NAMES.get(kind, f"type {kind}")


@dataclass(frozen=True, slots=True)
class Extent:
    start_block: int
    num_blocks: int


@dataclass(slots=True)
class Operation:
    type: int
    data_offset: int
    data_length: int
    dst_extents: list[Extent]
    has_source: bool  # src_extents or src_sha256_hash: the operation reads the old partition
    data_sha256: bytes | None


@dataclass(slots=True)
class PartitionInfo:
    size: int | None = None
    hash: bytes | None = None


@dataclass(slots=True)
class PartitionUpdate:
    name: str
    new_info: PartitionInfo | None = None
    has_old_info: bool = False
    operations: list[Operation] = field(default_factory=list)
    has_verity: bool = False  # hash tree or FEC extents that the updater regenerates
    version: str | None = None

    @property
    def size(self) -> int | None:
        return self.new_info.size if self.new_info else None

    def operation_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.operations:
            name = operation_name(op.type)
            counts[name] = counts.get(name, 0) + 1
        return counts


@dataclass(slots=True)
class Manifest:
    block_size: int = 4096
    minor_version: int = 0
    partitions: list[PartitionUpdate] = field(default_factory=list)
    partial_update: bool = False
    max_timestamp: int | None = None
    security_patch_level: str | None = None
    # Dynamic (logical) partition groups: name -> partition names. Those partitions live in super.
    dynamic_groups: dict[str, list[str]] = field(default_factory=dict)

    def partition(self, name: str) -> PartitionUpdate | None:
        return next((p for p in self.partitions if p.name == name), None)

    @property
    def logical_partitions(self) -> set[str]:
        return {name for names in self.dynamic_groups.values() for name in names}

    def incremental_reasons(self) -> list[str]:
        """Why this payload needs the old partitions (empty for a full payload).

        update_engine's rule (delta_performer.cc ValidateManifest): delta when a partition has
        old_partition_info or partial_update is set; a full payload must have minor version 0.
        Operations reading the old partition are checked too, whatever the header says.
        """
        reasons = []
        if self.minor_version != 0:
            reasons.append(
                _("minor version {version} (full payloads have 0)").format(version=self.minor_version)
            )
        if self.partial_update:
            reasons.append(_("it updates only some partitions (partial update)"))
        old = [p.name for p in self.partitions if p.has_old_info]
        if old:
            reasons.append(_("it names the old contents of {partitions}").format(partitions=", ".join(old)))
        diffs = sorted(
            {
                operation_name(op.type)
                for p in self.partitions
                for op in p.operations
                if op.type not in FULL_OPERATIONS
            }
        )
        if diffs:
            reasons.append(
                _("it holds operations that patch old data ({operations})").format(
                    operations=", ".join(diffs)
                )
            )
        return reasons

    @property
    def full(self) -> bool:
        return not self.incremental_reasons()


@dataclass(slots=True)
class Payload:
    major_version: int
    manifest_size: int
    metadata_signature_size: int
    data_offset: int  # where blobs start, relative to the start of payload.bin
    manifest: Manifest


def read_payload(f: BinaryIO, size: int | None = None) -> Payload:
    """Header and manifest of the payload.bin that ``f`` is positioned at the start of."""
    head = f.read(HEADER_SIZE)
    if len(head) < 4 or head[:4] != MAGIC:
        raise PackageError(
            _("this is not an A/B update payload (payload.bin starts with 'CrAU')"),
            hint=_("Check the file; {command} says what a file is.").format(
                command=commands.show(commands.INSPECT, "FILE")
            ),
        )
    if len(head) < HEADER_SIZE:
        raise _truncated()
    major, manifest_size = struct.unpack(">QQ", head[4:20])
    if major != MAJOR_VERSION:
        raise PackageError(
            _("payload version {version} is not supported (only version 2 exists on Android)").format(
                version=major
            )
        )
    (signature_size,) = struct.unpack(">I", head[20:24])
    if manifest_size > MAX_MANIFEST or signature_size > MAX_METADATA_SIGNATURE:
        raise PackageError(
            _(
                "the payload header announces a manifest of {size} bytes, far more than any real update"
            ).format(size=manifest_size),
            hint=_("The file is damaged or was made to harm: do not use it."),
        )
    data_offset = HEADER_SIZE + manifest_size + signature_size
    if size is not None and data_offset > size:
        raise _truncated()
    raw = f.read(manifest_size)
    if len(raw) < manifest_size:
        raise _truncated()
    return Payload(major, manifest_size, signature_size, data_offset, parse_manifest(raw))


def _truncated() -> PackageError:
    return PackageError(
        _("the payload is truncated: it ends inside its header or manifest"),
        hint=_("Download the package again."),
    )


def parse_manifest(data: bytes | memoryview) -> Manifest:
    m = Manifest()
    for number, wire, value in pb.fields(data):
        if number == 3:
            m.block_size = pb.as_int(wire, value)
        elif number == 12:
            m.minor_version = pb.as_int(wire, value)
        elif number == 13:
            m.partitions.append(_partition(pb.as_bytes(wire, value)))
        elif number == 14:
            m.max_timestamp = pb.as_signed64(wire, value)
        elif number == 15:
            m.dynamic_groups = _dynamic_groups(pb.as_bytes(wire, value))
        elif number == 16:
            m.partial_update = bool(pb.as_int(wire, value))
        elif number == 18:
            m.security_patch_level = pb.as_text(wire, value)
    if m.block_size <= 0 or m.block_size % 512:
        raise PackageError(_("the payload's block size {size} is not valid").format(size=m.block_size))
    return m


def _partition(data: memoryview) -> PartitionUpdate:
    part = PartitionUpdate(name="")
    for number, wire, value in pb.fields(data):
        if number == 1:
            part.name = pb.as_text(wire, value)
        elif number == 6:
            part.has_old_info = True
        elif number == 7:
            part.new_info = _partition_info(pb.as_bytes(wire, value))
        elif number == 8:
            part.operations.append(_operation(pb.as_bytes(wire, value)))
        elif number in (11, 15):  # hash_tree_extent, fec_extent
            part.has_verity = True
        elif number == 17:
            part.version = pb.as_text(wire, value)
    if not part.name:
        raise PackageError(_("the payload manifest lists a partition without a name"))
    return part


def _partition_info(data: memoryview) -> PartitionInfo:
    info = PartitionInfo()
    for number, wire, value in pb.fields(data):
        if number == 1:
            info.size = pb.as_int(wire, value)
        elif number == 2:
            info.hash = bytes(pb.as_bytes(wire, value))
    return info


def _operation(data: memoryview) -> Operation:
    kind: int | None = None
    offset = length = 0
    dst: list[Extent] = []
    has_source = False
    digest: bytes | None = None
    for number, wire, value in pb.fields(data):
        if number == 1:
            kind = pb.as_int(wire, value)
        elif number == 2:
            offset = pb.as_int(wire, value)
        elif number == 3:
            length = pb.as_int(wire, value)
        elif number in (4, 9):  # src_extents, src_sha256_hash
            has_source = True
        elif number == 6:
            dst.append(_extent(pb.as_bytes(wire, value)))
        elif number == 8:
            digest = bytes(pb.as_bytes(wire, value)) or None
    if kind is None:
        raise PackageError(_("the payload manifest has an operation without a type"))
    return Operation(kind, offset, length, dst, has_source, digest)


def _extent(data: memoryview) -> Extent:
    start = blocks = 0
    for number, wire, value in pb.fields(data):
        if number == 1:
            start = pb.as_int(wire, value)
        elif number == 2:
            blocks = pb.as_int(wire, value)
    return Extent(start, blocks)


def _dynamic_groups(data: memoryview) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for number, wire, value in pb.fields(data):
        if number != 1:
            continue
        name = ""
        names: list[str] = []
        for n, w, v in pb.fields(pb.as_bytes(wire, value)):
            if n == 1:
                name = pb.as_text(w, v)
            elif n == 3:
                names.append(pb.as_text(w, v))
        groups[name] = names
    return groups
