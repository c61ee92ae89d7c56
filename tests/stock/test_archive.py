"""Hostile and damaged .tgz archives are refused with a clear message, and nothing is written."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from tests.stock.builders import add_dir, add_file, build_rom
from unlocker.errors import PackageError
from unlocker.stock import archive
from unlocker.stock.xiaomi_rom import read_rom

ROOT = "alioth_global_images_V1_20230620.0000.00_13.0_global"
SCRIPT = b'fastboot $* getvar product 2>&1 | grep -E "^product: *alioth"\n'


def _tgz(path: Path, add: object) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        add_dir(tar, ROOT)
        add_file(tar, f"{ROOT}/flash_all.sh", SCRIPT)
        add_file(tar, f"{ROOT}/images/abl.elf", b"\x7fELF" + bytes(100))
        add(tar)  # type: ignore[operator]
    return path


def _special(name: str, kind: bytes, linkname: str = "") -> object:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        tar.addfile(info)

    return add


@pytest.mark.parametrize(
    ("add", "message"),
    [
        (lambda tar: add_file(tar, f"{ROOT}/../../evil.sh", b"x"), "climbs out of the target"),
        (lambda tar: add_file(tar, "/tmp/evil.sh", b"x"), "absolute path"),
        (_special(f"{ROOT}/images/boot.img", tarfile.SYMTYPE, "/etc/passwd"), "is a link"),
        (_special(f"{ROOT}/images/boot.img", tarfile.LNKTYPE, f"{ROOT}/flash_all.sh"), "is a link"),
        (_special(f"{ROOT}/images/boot.img", tarfile.CHRTYPE), "device or pipe"),
        (_special(f"{ROOT}/images/boot.img", tarfile.FIFOTYPE), "device or pipe"),
        (lambda tar: add_file(tar, f"{ROOT}/images/abl.elf", b"again"), "appears twice"),
    ],
)
def test_hostile_entries_refuse_the_whole_archive(tmp_path: Path, add: object, message: str) -> None:
    path = _tgz(tmp_path / "rom.tgz", add)
    with pytest.raises(PackageError, match=message) as caught:
        read_rom(path)
    assert "Nothing was written" in (caught.value.hint or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rom.tgz"]
    assert not Path("/tmp/evil.sh").exists()


def test_a_tiny_archive_claiming_terabytes_is_refused_from_its_headers(tmp_path: Path) -> None:
    info = tarfile.TarInfo(f"{ROOT}/images/super.img")
    info.size = 4 << 40  # 4 TiB declared, no data follows
    raw = info.tobuf(format=tarfile.GNU_FORMAT)
    path = tmp_path / "bomb.tgz"
    path.write_bytes(gzip.compress(raw))
    assert path.stat().st_size < 200
    with pytest.raises(PackageError, match="far more than a"):
        read_rom(path)


def test_data_beyond_what_the_headers_declare_is_stopped_as_it_grows(tmp_path: Path) -> None:
    """A PAX header record that never ends: tarfile would read it all into memory."""
    buffer = io.BytesIO()
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = 64 * 1024 * 1024
    buffer.write(header.tobuf(format=tarfile.USTAR_FORMAT))
    path = tmp_path / "pax.tgz"
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(buffer.getvalue())
        zeros = bytes(1024 * 1024)
        for _ in range(64):
            out.write(zeros)
    with pytest.raises(PackageError, match="unpacks to more data than its entries declare"):
        read_rom(path)


def test_data_after_the_end_of_the_archive_is_refused(tmp_path: Path) -> None:
    path = _tgz(tmp_path / "rom.tgz", lambda tar: None)
    tail = tmp_path / "tail.tgz"
    tail.write_bytes(
        gzip.compress(gzip.decompress(path.read_bytes()) + bytes(8 * 1024 * 1024), compresslevel=1)
    )
    with pytest.raises(PackageError, match="data follows the end of the archive"):
        read_rom(tail)


def test_truncated_and_corrupted_downloads_are_refused(tmp_path: Path) -> None:
    good = build_rom(tmp_path)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.tgz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(PackageError, match="damaged or truncated"):
        read_rom(truncated)
    corrupted = tmp_path / "corrupted.tgz"
    middle = len(data) // 2
    corrupted.write_bytes(data[:middle] + bytes([data[middle] ^ 0x55]) + data[middle + 1 :])
    with pytest.raises(PackageError, match="damaged or truncated"):
        read_rom(corrupted)
    not_tar = tmp_path / "not.tgz"
    not_tar.write_bytes(gzip.compress(b"hello, this is not a tar archive" * 100))
    with pytest.raises(PackageError):
        read_rom(not_tar)


def test_extract_writes_only_what_is_asked_inside_the_target(tmp_path: Path) -> None:
    rom = read_rom(build_rom(tmp_path))
    target = tmp_path / "target"
    target.mkdir()
    files = archive.extract(rom.index, {"images/abl.elf", "images/super.img"}, target)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == [
        "images/abl.elf",
        "images/super.img",
    ]
    assert files["images/abl.elf"].stat().st_size == rom.index.members["images/abl.elf"].size


def test_an_archive_swapped_between_reading_and_unpacking_is_refused(tmp_path: Path) -> None:
    path = build_rom(tmp_path)
    rom = read_rom(path)
    path.write_bytes(_tgz(tmp_path / "other.tgz", lambda tar: None).read_bytes())
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(PackageError):
        archive.extract(rom.index, {"images/abl.elf"}, target)
