"""Critical partitions through the CLI (issue 9, item 1): the bootloader chain and each phone's own
data are never written by accident, and never in a way that leaves no slot to start from."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from unlocker.flashing.avb import FOOTER, VBMETA_HEADER, rollback_index
from unlocker.flashing.critical import CHAIN, IRREPLACEABLE, classify, in_any_table

KiB = 1024


def avb_image(path: Path, size: int, rollback: int) -> Path:
    """A raw image with an AVB footer whose vbmeta header carries ``rollback`` (AOSP libavb layout)."""
    header = bytearray(VBMETA_HEADER.size)
    header[:4] = b"AVB0"
    struct.pack_into(">Q", header, 112, rollback)
    data = bytearray(os.urandom(size))
    data[4096 : 4096 + len(header)] = header
    footer = FOOTER.pack(b"AVBf", 1, 0, 4096, 4096, len(header), bytes(28))
    data[-FOOTER.size :] = footer
    path.write_bytes(bytes(data))
    return path


def sent_downloads(p) -> list[str]:
    return [c for c in p.phone.commands_received if c.startswith(("download:", "flash:", "erase:"))]


def test_bootloader_chain_refused_without_force_even_with_yes(
    unlocked_phone, run_cli, tmp_path: Path
) -> None:
    image = tmp_path / "small.img"
    image.write_bytes(os.urandom(4 * KiB))
    r = run_cli("flash", "abl", str(image), "--slot", "all", "--yes", "-s", unlocked_phone.name)
    assert r.returncode == 1
    assert "bootloader chain" in r.stderr and "--force-critical" in r.stderr
    assert sent_downloads(unlocked_phone) == []
    for name in ("abl_a", "abl_b"):
        assert not unlocked_phone.phone.partition_path(name).exists()


def test_critical_never_both_slots_at_once(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "abl.img"
    image.write_bytes(os.urandom(256 * KiB))
    r = run_cli(
        "flash", "abl", str(image), "--slot", "all", "--yes", "--force-critical", "-s", unlocked_phone.name
    )
    assert r.returncode == 1
    assert "both slots" in r.stderr and "abl_a" in r.stderr and "abl_b" in r.stderr
    assert sent_downloads(unlocked_phone) == []


def test_critical_image_much_smaller_than_partition(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "small.img"
    image.write_bytes(os.urandom(4 * KiB))
    r = run_cli("flash", "abl", str(image), "--yes", "--force-critical", "-s", unlocked_phone.name)
    assert r.returncode == 1 and "far too small" in r.stderr
    assert sent_downloads(unlocked_phone) == []


def test_anti_rollback_without_index_needs_a_confirmation(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "abl.img"
    data = os.urandom(256 * KiB)
    image.write_bytes(data)
    r = run_cli("flash", "abl", str(image), "--force-critical", "-s", unlocked_phone.name)
    assert r.returncode == 1
    assert "anti-rollback index is 1" in r.stderr and "no rollback index" in r.stderr
    assert sent_downloads(unlocked_phone) == []
    r = run_cli("flash", "abl", str(image), "--force-critical", "--yes", "-s", unlocked_phone.name)
    assert r.returncode == 0, r.stderr
    assert unlocked_phone.partition("abl_a") == data
    assert not unlocked_phone.phone.partition_path("abl_b").exists()


def test_anti_rollback_compared_with_the_avb_rollback_index(unlocked_phone, run_cli, tmp_path: Path) -> None:
    old = avb_image(tmp_path / "old.img", 256 * KiB, rollback=0)
    r = run_cli("flash", "xbl", str(old), "--force-critical", "--yes", "-s", unlocked_phone.name)
    assert r.returncode == 1
    assert "rollback index 0" in r.stderr and "anti-rollback index 1" in r.stderr
    assert sent_downloads(unlocked_phone) == []
    good = avb_image(tmp_path / "good.img", 256 * KiB, rollback=1)
    r = run_cli(
        "flash", "xbl", str(good), "--force-critical", "--yes", "--slot", "b", "-s", unlocked_phone.name
    )
    assert r.returncode == 0, r.stderr
    assert unlocked_phone.partition("xbl_b") == good.read_bytes()


def test_erase_of_irreplaceable_data_needs_force(unlocked_phone, run_cli) -> None:
    r = run_cli("erase", "persist", "--yes", "-s", unlocked_phone.name)
    assert r.returncode == 1
    assert "calibration or identity" in r.stderr and "--force-critical" in r.stderr
    assert sent_downloads(unlocked_phone) == []
    r = run_cli("erase", "persist", "--yes", "--force-critical", "-s", unlocked_phone.name)
    assert r.returncode == 0, r.stderr
    assert unlocked_phone.partition("persist") == b""


def test_mediatek_preloader(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory("xiaomi-mtk", unlocked=True)
    image = tmp_path / "preloader.img"
    image.write_bytes(os.urandom(256 * KiB))
    r = run_cli("flash", "preloader", str(image), "--yes", "-s", p.name)
    assert r.returncode == 1 and "bootloader chain" in r.stderr
    assert sent_downloads(p) == []


def test_the_phone_itself_guards_its_critical_partitions(unlocked_phone, run_cli, tmp_path: Path) -> None:
    """With --force-critical we send; a phone whose critical lock is closed still refuses."""
    unlocked_phone.phone.set_state("critical_unlocked", False)
    image = tmp_path / "abl.img"
    image.write_bytes(os.urandom(256 * KiB))
    r = run_cli("flash", "abl", str(image), "--yes", "--force-critical", "-s", unlocked_phone.name)
    assert r.returncode == 1
    assert "Flashing is not allowed for Critical Partitions" in r.stderr
    assert "refused to write it" in r.stderr


@pytest.mark.parametrize(
    "name,family,kind",
    [
        ("abl", "qualcomm", CHAIN),
        ("abl_b", None, CHAIN),
        ("abl", "mediatek", None),
        ("preloader", "mediatek", CHAIN),
        ("preloader", "qualcomm", None),
        ("preloader", "samsung", CHAIN),  # a family without a table: every table counts
        ("nvram", None, IRREPLACEABLE),
        ("modemst1", "qualcomm", IRREPLACEABLE),
        ("boot", None, None),
        ("system_a", "qualcomm", None),
    ],
)
def test_classification_per_family(name: str, family: str | None, kind: str | None) -> None:
    found = classify(name, family)
    assert (found.kind if found else None) == kind
    assert in_any_table(name) == (classify(name, None) is not None)


def test_rollback_index_of_vbmeta_and_footer_images(tmp_path: Path) -> None:
    assert rollback_index(avb_image(tmp_path / "a.img", 64 * KiB, rollback=7)) == 7
    vbmeta = bytearray(VBMETA_HEADER.size + 100)
    vbmeta[:4] = b"AVB0"
    struct.pack_into(">Q", vbmeta, 112, 3)
    (tmp_path / "vbmeta.img").write_bytes(bytes(vbmeta))
    assert rollback_index(tmp_path / "vbmeta.img") == 3
    (tmp_path / "plain.img").write_bytes(os.urandom(8 * KiB))
    assert rollback_index(tmp_path / "plain.img") is None
    broken = bytearray(os.urandom(8 * KiB))
    broken[-FOOTER.size :] = FOOTER.pack(b"AVBf", 1, 0, 0, 1 << 60, 256, bytes(28))
    (tmp_path / "broken.img").write_bytes(bytes(broken))
    assert rollback_index(tmp_path / "broken.img") is None


def test_partition_the_phone_does_not_have(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory("xiaomi-legacy", unlocked=True)
    image = tmp_path / "x.img"
    image.write_bytes(os.urandom(8 * KiB))
    r = run_cli("flash", "bootx", str(image), "--yes", "-s", p.name)
    assert r.returncode == 1 and "no partition named 'bootx'" in r.stderr
    assert sent_downloads(p) == []
    r = run_cli("erase", "bootx", "--yes", "-s", p.name)
    assert r.returncode == 1 and "no partition named 'bootx'" in r.stderr


def test_current_slot_with_underscore_is_normalised(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory(unlocked=True, variables={"current-slot": "_b"})
    image = tmp_path / "boot.img"
    image.write_bytes(os.urandom(8 * KiB))
    r = run_cli("flash", "boot", str(image), "--yes", "-s", p.name)
    assert r.returncode == 0, r.stderr
    assert "boot_b" in r.stdout and p.partition("boot_b") == image.read_bytes()
    assert '"current_slot": "b"' in run_cli("status", "--json", "-s", p.name).stdout
