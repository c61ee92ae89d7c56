"""payload.bin: our protobuf reader against Google's encoder, streamed extraction, and every refusal."""

from __future__ import annotations

import hashlib
import lzma
import struct
import zipfile
from pathlib import Path

import pytest

from tests.stock.builders import PayloadSpec, build_ota, build_payload, sample
from tests.stock.update_metadata import OPERATION_TYPES, DeltaArchiveManifest
from unlocker.errors import PackageError, UsageError
from unlocker.stock import extract as extract_module
from unlocker.stock import protobuf as pb
from unlocker.stock.ota_zip import extract_partitions, read_ota
from unlocker.stock.payload import parse_manifest

IMAGES = {
    "abl": sample(40960, 1),
    "xbl": sample(20000, 2),  # not a multiple of the block size: REPLACE data stops short
    "system": sample(65536, 3),
}


def test_manifest_read_matches_googles_encoder() -> None:
    m = DeltaArchiveManifest()
    m.block_size = 4096
    m.minor_version = 0
    m.max_timestamp = -5  # int64: two's complement varint
    m.security_patch_level = "2024-05-01"
    m.signatures_offset = 123456789012
    part = m.partitions.add(partition_name="modem", version="1687250000", run_postinstall=True)
    part.new_partition_info.size = 1 << 33
    part.new_partition_info.hash = bytes(range(32))
    part.estimate_cow_size = 99  # a field our reader does not use: skipped
    op = part.operations.add(type=OPERATION_TYPES["REPLACE_XZ"], data_offset=1 << 40, data_length=300)
    op.dst_extents.add(start_block=7, num_blocks=2)
    op.dst_extents.add(start_block=1, num_blocks=1)
    op.data_sha256_hash = b"\x01" * 32
    m.partitions.add(partition_name="boot").operations.add(type=OPERATION_TYPES["ZERO"])
    group = m.dynamic_partition_metadata.groups.add(name="qti_dynamic_partitions", size=9 << 30)
    group.partition_names.extend(["system", "vendor"])
    m.dynamic_partition_metadata.snapshot_enabled = True

    ours = parse_manifest(m.SerializeToString())

    assert (ours.block_size, ours.minor_version, ours.max_timestamp) == (4096, 0, -5)
    assert ours.security_patch_level == "2024-05-01"
    assert [p.name for p in ours.partitions] == ["modem", "boot"]
    modem = ours.partitions[0]
    assert modem.size == 1 << 33 and modem.new_info and modem.new_info.hash == bytes(range(32))
    assert modem.version == "1687250000" and not modem.has_old_info
    (first,) = modem.operations
    assert (first.type, first.data_offset, first.data_length) == (8, 1 << 40, 300)
    assert [(e.start_block, e.num_blocks) for e in first.dst_extents] == [(7, 2), (1, 1)]
    assert first.data_sha256 == b"\x01" * 32
    assert ours.partitions[1].operations[0].type == 6
    assert ours.dynamic_groups == {"qti_dynamic_partitions": ["system", "vendor"]}
    assert ours.logical_partitions == {"system", "vendor"} and ours.full


@pytest.mark.parametrize(
    "damaged",
    [
        b"\x08",  # a varint cut short
        b"\x0a\x05ab",  # a string running past the end
        b"\x0b",  # wire type 3 (groups)
        b"\x08" + b"\xff" * 11,  # a varint longer than 64 bits
    ],
)
def test_protobuf_reader_refuses_damage(damaged: bytes) -> None:
    with pytest.raises(PackageError, match="manifest is damaged"):
        list(pb.fields(damaged))


def _ota(tmp_path: Path, **spec: object) -> Path:
    images = spec.pop("images", IMAGES)
    return build_ota(tmp_path / "ota.zip", build_payload(PayloadSpec(images, **spec)))  # type: ignore[arg-type]


def test_every_operation_kind_extracts_byte_identical(tmp_path: Path) -> None:
    ota = _ota(tmp_path, logical={"main": ["system"]})
    kinds = {k for p in read_ota(ota).payload.manifest.partitions for k in p.operation_counts()}
    assert {"REPLACE", "REPLACE_XZ", "REPLACE_BZ", "ZERO"} <= kinds
    written = extract_partitions(ota, list(IMAGES), tmp_path / "out")
    for name, image in IMAGES.items():
        assert written[name].read_bytes() == image, name
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["abl.img", "system.img", "xbl.img"]


def test_bare_payload_and_a_deflated_entry_read_the_same(tmp_path: Path) -> None:
    payload = build_payload(PayloadSpec(IMAGES))
    bare = tmp_path / "payload.bin"
    bare.write_bytes(payload)
    assert extract_partitions(bare, ["xbl"], tmp_path / "a")["xbl"].read_bytes() == IMAGES["xbl"]
    deflated = tmp_path / "deflated.zip"
    with zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("payload.bin", payload)
    assert extract_partitions(deflated, ["abl"], tmp_path / "b")["abl"].read_bytes() == IMAGES["abl"]


def _nothing_left(directory: Path) -> bool:
    return not directory.exists() or not any(directory.iterdir())


def test_a_blob_whose_hash_does_not_match_is_refused(tmp_path: Path) -> None:
    ota = _ota(tmp_path, corrupt_blob="system")
    out = tmp_path / "out"
    with pytest.raises(PackageError, match="system: the data of operation 1 does not match its hash"):
        extract_partitions(ota, ["system"], out)
    assert _nothing_left(out)  # no image, no .part file


def test_an_image_whose_hash_does_not_match_is_refused(tmp_path: Path) -> None:
    ota = _ota(tmp_path, wrong_image_hash="abl")
    with pytest.raises(PackageError, match="abl: the image does not match the hash"):
        extract_partitions(ota, ["xbl", "abl"], tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["xbl.img"]  # the good one, written first


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"incremental": True}, "incremental update"),
        ({"minor_version": 7}, "incremental update"),
        ({"verity": True}, "verity data"),
    ],
)
def test_what_cannot_be_written_alone_is_refused(
    tmp_path: Path, spec: dict[str, object], message: str
) -> None:
    with pytest.raises(PackageError, match=message):
        extract_partitions(_ota(tmp_path, **spec), ["abl"], tmp_path / "out")
    assert _nothing_left(tmp_path / "out")


def test_a_truncated_payload_is_refused(tmp_path: Path) -> None:
    payload = build_payload(PayloadSpec(IMAGES))
    for cut in (10, 30, len(payload) - 100):
        bare = tmp_path / f"cut{cut}.bin"
        bare.write_bytes(payload[:cut])
        with pytest.raises(PackageError, match="truncated"):
            extract_partitions(bare, ["system"], tmp_path / "out")
    assert _nothing_left(tmp_path / "out")


def _handmade(tmp_path: Path, name: str, op_type: int, blob: bytes, blocks: int, size: int = 8192) -> Path:
    m = DeltaArchiveManifest()
    part = m.partitions.add(partition_name=name)
    part.new_partition_info.size = size
    part.new_partition_info.hash = bytes(32)
    op = part.operations.add(type=op_type, data_offset=0, data_length=len(blob))
    op.dst_extents.add(start_block=0, num_blocks=blocks)
    raw = m.SerializeToString()
    path = tmp_path / f"{name}.bin"
    path.write_bytes(b"CrAU" + struct.pack(">QQI", 2, len(raw), 0) + raw + blob)
    return path


def test_a_decompression_bomb_stops_at_its_destination_size(tmp_path: Path) -> None:
    bomb = lzma.compress(bytes(8 * 1024 * 1024), format=lzma.FORMAT_XZ, preset=0)  # 8 MiB of zeros in ~1 KiB
    path = _handmade(tmp_path, "abl", OPERATION_TYPES["REPLACE_XZ"], bomb, blocks=2)
    with pytest.raises(PackageError, match="more data than its destination holds"):
        extract_partitions(path, ["abl"], tmp_path / "out")
    assert _nothing_left(tmp_path / "out")


def test_writes_outside_the_partition_are_refused(tmp_path: Path) -> None:
    path = _handmade(tmp_path, "abl", OPERATION_TYPES["REPLACE"], b"x" * 4096, blocks=1 << 40)
    with pytest.raises(PackageError, match="outside the partition"):
        extract_partitions(path, ["abl"], tmp_path / "out")


def test_partition_names_are_checked(tmp_path: Path) -> None:
    path = _handmade(tmp_path, "../../evil", OPERATION_TYPES["REPLACE"], b"x" * 4096, blocks=1)
    with pytest.raises(PackageError, match="not a plain name"):
        extract_partitions(path, ["../../evil"], tmp_path / "out")
    assert not (tmp_path.parent / "evil.img").exists()
    with pytest.raises(UsageError, match="has no partition 'boot'"):
        extract_partitions(_ota(tmp_path), ["boot"], tmp_path / "out")


def test_zstd_operations_need_a_zstd_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract_module, "zstd_decompressor", lambda: None)
    path = _handmade(
        tmp_path, "abl", OPERATION_TYPES["REPLACE_ZSTD"], b"\x28\xb5\x2f\xfd" + bytes(8), blocks=1
    )
    with pytest.raises(PackageError, match="zstd") as caught:
        extract_partitions(path, ["abl"], tmp_path / "out")
    assert "zstandard" in (caught.value.hint or "")


def test_zstd_operations_extract_when_a_module_is_there(tmp_path: Path) -> None:
    pytest.importorskip("zstandard")
    written = extract_partitions(_ota(tmp_path, zstd=True), ["abl"], tmp_path / "out")
    assert hashlib.sha256(written["abl"].read_bytes()).digest() == hashlib.sha256(IMAGES["abl"]).digest()
