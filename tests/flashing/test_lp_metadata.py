"""Reading super_empty.img (liblp's checks) and the empty super images wipe-super writes (ImageBuilder's layout)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path

import pytest

from tests.flashing.lp_builder import NB1, Layout, build_super_empty
from unlocker.errors import ImageError
from unlocker.flashing.lp_metadata import (
    parse_super_empty,
    read_super_empty,
    serialize_geometry,
    serialize_metadata,
)
from unlocker.flashing.wipe_super import metadata_blob, write_empty_images
from unlocker.sparse.format import DONT_CARE, FILL, RAW
from unlocker.sparse.reader import apply_sparse, iter_chunks, read_header

MiB = 1024 * 1024
SUPER = Layout(devices=[("super", 64 * MiB)], slots=3, minor=2, groups=[("main_a", 0), ("main_b", 0)])


@pytest.mark.parametrize("layout", [NB1, SUPER], ids=["retrofit-v10.0", "super-v10.2"])
def test_reads_what_lpmake_writes_and_writes_it_back_unchanged(layout: Layout) -> None:
    data = build_super_empty(layout)
    metadata = parse_super_empty(data)
    assert [d.partition_name for d in metadata.block_devices] == [name for name, _ in layout.devices]
    assert [d.size for d in metadata.block_devices] == [size for _, size in layout.devices]
    assert all(d.slot_suffixed is layout.slot_suffixed for d in metadata.block_devices)
    assert metadata.partition_names == [name for name, _ in layout.partitions]
    assert metadata.geometry.metadata_slot_count == layout.slots
    # liblp's SerializeGeometry/SerializeMetadata give back the bytes lpmake wrote
    assert serialize_geometry(metadata.geometry) == data[:4096]
    assert serialize_metadata(metadata) == data[4096:]


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


GOOD = build_super_empty(NB1)
TABLES_AT = 4096 + 128


@pytest.mark.parametrize(
    "data,words",
    [
        (_flip(GOOD, 44), "geometry checksum does not match"),  # metadata_slot_count
        (_flip(GOOD, 4096 + 6), "header checksum does not match"),  # minor version
        (_flip(GOOD, TABLES_AT + 3), "tables checksum does not match"),  # a partition's name
        (GOOD[:4000], "truncated (4000 bytes)"),
        (GOOD[: 4096 + 100], "truncated"),
        (GOOD[:-1], "truncated"),
        (b"\0" * 4096 + GOOD, "wrong magic"),  # a full super image: geometry at 4096, not 0
        (bytes.fromhex("3aff26ed") + bytes(8000), "wrong magic"),  # a sparse image
        (b"", "wrong magic"),
    ],
    ids=[
        "geometry",
        "header",
        "tables",
        "short-geometry",
        "short-header",
        "short-tables",
        "super.img",
        "sparse",
        "empty",
    ],
)
def test_damaged_files_are_refused(tmp_path: Path, data: bytes, words: str) -> None:
    path = tmp_path / "super_empty.img"
    path.write_bytes(data)
    with pytest.raises(ImageError) as caught:
        read_super_empty(path)
    assert words in str(caught.value) and "super_empty.img" in str(caught.value)
    assert "download it again" in str(caught.value.hint)


def test_checksums_recomputed_still_refuse_a_newer_version() -> None:
    header = bytearray(GOOD[4096 : 4096 + 128])
    header[6:8] = (3).to_bytes(2, "little")  # minor 3: newer than liblp knows
    header[12:44] = bytes(32)
    header[12:44] = hashlib.sha256(bytes(header)).digest()
    with pytest.raises(ImageError, match="version 10.3 is not supported"):
        parse_super_empty(GOOD[:4096] + bytes(header) + GOOD[4096 + 128 :])


def _chunks(path: Path) -> list[tuple[int, int, int]]:
    with open(path, "rb") as f:
        header = read_header(f)
        return [(c.kind, c.start_block, c.blocks) for c, _ in iter_chunks(f, header, payloads=False)]


def test_empty_images_layout(tmp_path: Path) -> None:
    """ImageBuilder::Build: zeros, both geometries, each slot's metadata twice; the rest untouched."""
    metadata = parse_super_empty(GOOD)
    written = write_empty_images(metadata, tmp_path)
    assert [p.name for _, p in written] == ["super_system.img", "super_vendor.img"]
    region = 2 * 4096 + 4 * 65536  # two geometries, 2 slots x (primary + backup)
    assert len(metadata_blob(metadata)) == region
    assert _chunks(written[0][1]) == [
        (FILL, 0, 1),
        (RAW, 1, region // 4096),
        (DONT_CARE, 1 + region // 4096, 3 * 1024**3 // 4096 - 1 - region // 4096),
    ]
    assert _chunks(written[1][1]) == [(DONT_CARE, 0, 1024**3 // 4096)]  # vendor: nothing written
    assert written[0][1].stat().st_size < 300 * 1024  # only the metadata region is in the file

    # applied over old contents, as a phone applies it
    old = bytes(range(256)) * (8 * MiB // 256)
    target = io.BytesIO(old)
    with open(written[0][1], "rb") as image:
        apply_sparse(image, target)
    out = target.getvalue()
    assert out[:4096] == bytes(4096)
    geometry = GOOD[:4096]
    assert out[4096:8192] == geometry and out[8192:12288] == geometry
    metadata_copy = GOOD[4096:].ljust(65536, b"\0")
    for copy in range(4):  # slot 0, slot 1, backup 0, backup 1
        start = 12288 + copy * 65536
        assert out[start : start + 65536] == metadata_copy
    assert out[12288 + region - 8192 :] == old[12288 + region - 8192 :]  # data region untouched


def test_block_size_and_sizes_follow_image_builder_rules(tmp_path: Path) -> None:
    odd = dataclasses.replace(NB1, devices=[("system", 3 * 1024**3 + 512), ("vendor", 1024**3)])
    with pytest.raises(ImageError, match="block device size"):
        write_empty_images(parse_super_empty(build_super_empty(odd)), tmp_path)
