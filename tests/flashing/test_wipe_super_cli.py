"""`unlocker wipe-super` against the virtual phone, and against what Google's fastboot writes."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.flashing.lp_builder import NB1, Layout, build_super_empty
from unlocker.emulator import parse_fault
from unlocker.emulator.profiles import PROFILES

MiB = 1024 * 1024
# The Nokia 8 with small system and vendor partitions, so whole partitions can be compared.
SMALL_NB1 = dataclasses.replace(
    PROFILES["nokia-retrofit"],
    partitions={**PROFILES["nokia-retrofit"].partitions, "system": 48 * MiB, "vendor": 16 * MiB},
)
SMALL_LAYOUT = dataclasses.replace(NB1, devices=[("system", 48 * MiB), ("vendor", 16 * MiB)])


def _file(tmp_path: Path, layout: Layout = SMALL_LAYOUT, name: str = "super_empty.img") -> Path:
    path = tmp_path / name
    path.write_bytes(build_super_empty(layout))
    return path


def _seed(running, *partitions: str) -> dict[str, bytes]:
    """Old contents (what a previous ROM left), so DONT_CARE regions can be told apart."""
    old = {}
    for name in partitions:
        size = running.phone.physical_partitions()[name]
        data = os.urandom(MiB) * (size // MiB)
        running.phone.partition_path(name).write_bytes(data)
        old[name] = data
    return old


def _assert_wiped(running, image: Path, old: dict[str, bytes]) -> None:
    empty = image.read_bytes()
    system = running.partition("system_a")
    region = 12288 + 4 * 65536
    assert system[:4096] == bytes(4096)
    assert system[4096:8192] == system[8192:12288] == empty[:4096]
    assert system[12288 : 12288 + len(empty) - 4096] == empty[4096:]
    assert system[region:] == old["system_a"][region:]
    assert running.partition("vendor_a") == old["vendor_a"]  # only DONT_CARE went there


def test_wipe_super_on_a_retrofit_phone(phone_factory, run_cli, tmp_path: Path) -> None:
    running = phone_factory(SMALL_NB1, unlocked=True)
    old = _seed(running, "system_a", "vendor_a", "system_b")
    image = _file(tmp_path)
    r = run_cli("wipe-super", str(image), "-s", running.name, "--yes", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "empty metadata written to system_a, vendor_a" in r.stdout
    assert "does not know oem allow-flash-super" in r.stderr  # an ABL says FAIL; fastboot goes on too
    _assert_wiped(running, image, old)
    assert running.partition("system_b") == old["system_b"]  # the other slot is left alone
    sent = [c for c in running.phone.commands_received if not c.startswith("getvar:")]
    assert sent == [
        "oem allow-flash-super",
        "download:00042044",
        "flash:system_a",
        "download:00000028",
        "flash:vendor_a",
    ]


def test_pieces_and_dry_run(phone_factory, run_cli, tmp_path: Path) -> None:
    running = phone_factory(SMALL_NB1, unlocked=True, max_download_size=64 * 1024)
    old = _seed(running, "system_a", "vendor_a")
    image = _file(tmp_path)
    r = run_cli("wipe-super", str(image), "-s", running.name, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "write empty dynamic-partition metadata to system_a (50331648 bytes)" in r.stdout
    assert "send oem allow-flash-super" in r.stdout
    assert running.partition("system_a") == old["system_a"]
    assert not [c for c in running.phone.commands_received if not c.startswith("getvar:")]

    r = run_cli("wipe-super", str(image), "-s", running.name, "--yes", "--no-progress", "--json")
    assert r.returncode == 0, r.stderr
    assert sum(c == "flash:system_a" for c in running.phone.commands_received) == 5  # 64 KiB pieces
    _assert_wiped(running, image, old)


def test_a_phone_with_a_super_partition(phone_factory, run_cli, tmp_path: Path) -> None:
    running = phone_factory("xiaomi-qcom", unlocked=True)  # super: 9 GiB, no slots
    image = _file(tmp_path, Layout(devices=[("super", 9 * 1024**3)], slots=3))
    r = run_cli("wipe-super", str(image), "-s", running.name, "--yes", "--no-progress")
    assert r.returncode == 0, r.stderr
    sent = [c for c in running.phone.commands_received if not c.startswith("getvar:")]
    assert sent == ["download:00062044", "flash:super"]  # no oem allow-flash-super
    with open(running.phone.partition_path("super"), "rb") as f:
        assert f.read(4100)[4096:] == image.read_bytes()[:4]


@pytest.mark.parametrize(
    "case",
    ["corrupt", "locked", "fastbootd", "too big", "another layout", "flash FAIL"],
)
def test_refusals(case: str, phone_factory, run_cli, tmp_path: Path) -> None:
    image = _file(tmp_path)
    profile, unlocked, faults, words = SMALL_NB1, True, [], ""
    if case == "corrupt":
        data = bytearray(image.read_bytes())
        data[4096 + 200] ^= 1
        image.write_bytes(bytes(data))
        words = "tables checksum does not match"
    elif case == "locked":
        unlocked, words = False, "the bootloader is locked"
    elif case == "fastbootd":
        profile, words = PROFILES["fastbootd"], "wipe-super writes super from the bootloader"
    elif case == "too big":
        image = _file(tmp_path, NB1)  # the real Nokia 8 sizes, into the small phone
        words = "holds only"
    elif case == "another layout":
        image = _file(tmp_path, Layout(devices=[("super", 48 * MiB)]))
        words = "has no partition named 'super'"
    else:
        faults, words = [parse_fault("fail:flash:system_a=Flashing failed")], "Flashing failed"
    running = phone_factory(profile, unlocked=unlocked, faults=faults)
    r = run_cli("wipe-super", str(image), "-s", running.name, "--yes", "--no-progress")
    assert r.returncode == 1 and words in r.stderr, r.stderr
    flashed = [c for c in running.phone.commands_received if c.startswith(("download:", "flash:"))]
    assert flashed == (["download:00042044", "flash:system_a"] if faults else [])


def test_super_partition_name_must_match(phone_factory, run_cli, tmp_path: Path) -> None:
    running = phone_factory(SMALL_NB1, unlocked=True, variables={"super-partition-name": "super"})
    r = run_cli("wipe-super", str(_file(tmp_path)), "-s", running.name, "--yes")
    assert r.returncode == 1 and "calls its super partition super" in r.stderr, r.stderr
    running = phone_factory(SMALL_NB1, unlocked=True, variables={"super-partition-name": "system_a"})
    r = run_cli("wipe-super", str(_file(tmp_path)), "-s", running.name, "--yes", "--no-progress")
    assert r.returncode == 0, r.stderr


@pytest.mark.google_tools
@pytest.mark.skipif(
    shutil.which("fastboot") is None and not os.environ.get("CI"), reason="Debian 'fastboot' not installed"
)
@pytest.mark.parametrize("limit", [None, 64 * 1024], ids=["one-download", "pieces"])
def test_byte_identical_to_google_fastboot(phone_factory, run_cli, tmp_path: Path, limit) -> None:
    """The strongest check: Google's `fastboot wipe-super` (liblp's own reader and ImageBuilder)
    and unlocker, each on a phone holding the same old data, leave the same bytes."""
    image = _file(tmp_path)
    google = phone_factory(SMALL_NB1, unlocked=True, max_download_size=limit)
    ours = phone_factory(SMALL_NB1, unlocked=True, max_download_size=limit)
    old = _seed(google, "system_a", "vendor_a")
    for name, data in old.items():
        ours.phone.partition_path(name).write_bytes(data)

    g = subprocess.run(
        ["fastboot", "-s", google.name, "wipe-super", str(image)], capture_output=True, text=True, timeout=60
    )
    assert g.returncode == 0, g.stderr
    r = run_cli("wipe-super", str(image), "-s", ours.name, "--yes", "--no-progress")
    assert r.returncode == 0, r.stderr

    for name in ("system_a", "vendor_a"):
        assert ours.partition(name) == google.partition(name), name
    assert google.partition("system_a") != old["system_a"]  # it did write
    _assert_wiped(ours, image, old)
    # the same commands, in the same order (getvars aside)
    assert [c for c in google.phone.commands_received if not c.startswith("getvar:")] == [
        c for c in ours.phone.commands_received if not c.startswith("getvar:")
    ]
