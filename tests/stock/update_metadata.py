"""AOSP update_engine's update_metadata.proto, built as a descriptor in Python (no protoc), so the
tests encode manifests with Google's protobuf library: an encoder independent of our reader.

Schema transcribed from update_metadata.proto (Apache-2.0, AOSP update_engine, as in
LineageOS android_system_update_engine lineage-21.0): only the messages and fields the payload
format needs. InstallOperation.Type has one addition, REPLACE_ZSTD = 14, the vendor operation
(vivo) that payload-dumper-go and payload_dumper decode as zstd; AOSP's enum has no 14.
"""

from __future__ import annotations

from typing import Any

import pytest

protobuf = pytest.importorskip("google.protobuf", reason="the protobuf package (test extra) is missing")

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402

F = descriptor_pb2.FieldDescriptorProto
OPTIONAL, REQUIRED, REPEATED = F.LABEL_OPTIONAL, F.LABEL_REQUIRED, F.LABEL_REPEATED
U64, U32, I64, BYTES, STRING, BOOL, ENUM, MSG, FIXED32 = (
    F.TYPE_UINT64,
    F.TYPE_UINT32,
    F.TYPE_INT64,
    F.TYPE_BYTES,
    F.TYPE_STRING,
    F.TYPE_BOOL,
    F.TYPE_ENUM,
    F.TYPE_MESSAGE,
    F.TYPE_FIXED32,
)
PACKAGE = "chromeos_update_engine"

# message -> [(name, number, label, type, type_name)]
MESSAGES: dict[str, list[tuple[str, int, int, int, str | None]]] = {
    "Extent": [("start_block", 1, OPTIONAL, U64, None), ("num_blocks", 2, OPTIONAL, U64, None)],
    "Signatures": [("signatures", 1, REPEATED, MSG, "Signatures.Signature")],
    "Signatures.Signature": [
        ("version", 1, OPTIONAL, U32, None),
        ("data", 2, OPTIONAL, BYTES, None),
        ("unpadded_signature_size", 3, OPTIONAL, FIXED32, None),
    ],
    "PartitionInfo": [("size", 1, OPTIONAL, U64, None), ("hash", 2, OPTIONAL, BYTES, None)],
    "InstallOperation": [
        ("type", 1, REQUIRED, ENUM, "InstallOperation.Type"),
        ("data_offset", 2, OPTIONAL, U64, None),
        ("data_length", 3, OPTIONAL, U64, None),
        ("src_extents", 4, REPEATED, MSG, "Extent"),
        ("src_length", 5, OPTIONAL, U64, None),
        ("dst_extents", 6, REPEATED, MSG, "Extent"),
        ("dst_length", 7, OPTIONAL, U64, None),
        ("data_sha256_hash", 8, OPTIONAL, BYTES, None),
        ("src_sha256_hash", 9, OPTIONAL, BYTES, None),
    ],
    "PartitionUpdate": [
        ("partition_name", 1, REQUIRED, STRING, None),
        ("run_postinstall", 2, OPTIONAL, BOOL, None),
        ("postinstall_path", 3, OPTIONAL, STRING, None),
        ("filesystem_type", 4, OPTIONAL, STRING, None),
        ("new_partition_signature", 5, REPEATED, MSG, "Signatures.Signature"),
        ("old_partition_info", 6, OPTIONAL, MSG, "PartitionInfo"),
        ("new_partition_info", 7, OPTIONAL, MSG, "PartitionInfo"),
        ("operations", 8, REPEATED, MSG, "InstallOperation"),
        ("postinstall_optional", 9, OPTIONAL, BOOL, None),
        ("hash_tree_data_extent", 10, OPTIONAL, MSG, "Extent"),
        ("hash_tree_extent", 11, OPTIONAL, MSG, "Extent"),
        ("hash_tree_algorithm", 12, OPTIONAL, STRING, None),
        ("hash_tree_salt", 13, OPTIONAL, BYTES, None),
        ("fec_data_extent", 14, OPTIONAL, MSG, "Extent"),
        ("fec_extent", 15, OPTIONAL, MSG, "Extent"),
        ("fec_roots", 16, OPTIONAL, U32, None),
        ("version", 17, OPTIONAL, STRING, None),
        ("estimate_cow_size", 19, OPTIONAL, U64, None),
    ],
    "DynamicPartitionGroup": [
        ("name", 1, REQUIRED, STRING, None),
        ("size", 2, OPTIONAL, U64, None),
        ("partition_names", 3, REPEATED, STRING, None),
    ],
    "DynamicPartitionMetadata": [
        ("groups", 1, REPEATED, MSG, "DynamicPartitionGroup"),
        ("snapshot_enabled", 2, OPTIONAL, BOOL, None),
        ("vabc_enabled", 3, OPTIONAL, BOOL, None),
        ("vabc_compression_param", 4, OPTIONAL, STRING, None),
        ("cow_version", 5, OPTIONAL, U32, None),
    ],
    "DeltaArchiveManifest": [
        ("block_size", 3, OPTIONAL, U32, None),
        ("signatures_offset", 4, OPTIONAL, U64, None),
        ("signatures_size", 5, OPTIONAL, U64, None),
        ("minor_version", 12, OPTIONAL, U32, None),
        ("partitions", 13, REPEATED, MSG, "PartitionUpdate"),
        ("max_timestamp", 14, OPTIONAL, I64, None),
        ("dynamic_partition_metadata", 15, OPTIONAL, MSG, "DynamicPartitionMetadata"),
        ("partial_update", 16, OPTIONAL, BOOL, None),
        ("security_patch_level", 18, OPTIONAL, STRING, None),
    ],
}
OPERATION_TYPES = {
    "REPLACE": 0, "REPLACE_BZ": 1, "MOVE": 2, "BSDIFF": 3, "SOURCE_COPY": 4, "SOURCE_BSDIFF": 5,
    "ZERO": 6, "DISCARD": 7, "REPLACE_XZ": 8, "PUFFDIFF": 9, "BROTLI_BSDIFF": 10, "ZUCCHINI": 11,
    "LZ4DIFF_BSDIFF": 12, "LZ4DIFF_PUFFDIFF": 13, "REPLACE_ZSTD": 14,
}  # fmt: skip


def _build() -> dict[str, Any]:
    file = descriptor_pb2.FileDescriptorProto(name="update_metadata.proto", package=PACKAGE, syntax="proto2")
    protos: dict[str, descriptor_pb2.DescriptorProto] = {}
    for name in MESSAGES:
        outer, _, inner = name.partition(".")
        if inner:
            protos[name] = protos[outer].nested_type.add(name=inner)
        else:
            protos[name] = file.message_type.add(name=name)
    enum = protos["InstallOperation"].enum_type.add(name="Type")
    for value_name, number in OPERATION_TYPES.items():
        enum.value.add(name=value_name, number=number)
    for name, fields in MESSAGES.items():
        for field_name, number, label, kind, type_name in fields:
            f = protos[name].field.add(name=field_name, number=number, label=label, type=kind)
            if type_name:
                f.type_name = f".{PACKAGE}.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {
        name.replace(".", "_"): message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{PACKAGE}.{name}")
        )
        for name in MESSAGES
    }


CLASSES = _build()
DeltaArchiveManifest = CLASSES["DeltaArchiveManifest"]
