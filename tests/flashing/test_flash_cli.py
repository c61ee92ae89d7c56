"""`unlocker flash` end to end against the virtual phone, good and bad cases."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from unlocker.emulator.model import Fault, parse_fault

MiB = 1024 * 1024


def make_raw(path: Path, mib: int = 3) -> bytes:
    data = os.urandom(MiB) + bytes(MiB) + b"\x01\x02\x03\x04" * (MiB // 4) * (mib - 2)
    path.write_bytes(data)
    return data


def test_raw_image_in_one_download(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "boot.img"
    data = make_raw(image)
    r = run_cli("flash", "boot", str(image), "-s", unlocked_phone.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert "boot_a" in r.stdout and "1 piece" in r.stdout
    assert unlocked_phone.partition("boot_a") == data


def test_big_raw_image_is_split_and_rebuilt(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=MiB)
    image = tmp_path / "system.img"
    data = make_raw(image, 5)
    r = run_cli("flash", "system", str(image), "-s", p.name, "--yes", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["written"] == ["system"] and out["pieces"] >= 2
    assert p.partition("system") == data


@pytest.mark.skipif(shutil.which("img2simg") is None, reason="img2simg missing")
def test_sparse_image_split_matches_simg2img(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=MiB)
    raw = tmp_path / "vendor.raw"
    make_raw(raw, 4)
    simg = tmp_path / "vendor.simg"
    subprocess.run(["img2simg", str(raw), str(simg)], check=True)
    expanded = tmp_path / "expanded"
    subprocess.run(["simg2img", str(simg), str(expanded)], check=True)
    r = run_cli("flash", "vendor", str(simg), "-s", p.name, "--yes", "--json")
    assert r.returncode == 0, r.stderr
    assert p.partition("vendor") == expanded.read_bytes()


def test_slots(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "dtbo.img"
    image.write_bytes(b"d" * 8192)
    assert (
        run_cli("flash", "dtbo", str(image), "-s", unlocked_phone.name, "--yes", "--slot", "all").returncode
        == 0
    )
    assert unlocked_phone.partition("dtbo_a") == unlocked_phone.partition("dtbo_b") == b"d" * 8192
    image.write_bytes(b"o" * 4096)
    assert (
        run_cli("flash", "dtbo", str(image), "-s", unlocked_phone.name, "--yes", "--slot", "other").returncode
        == 0
    )
    assert unlocked_phone.partition("dtbo_b") == b"o" * 4096


def test_dry_run_touches_nothing(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "boot.img"
    make_raw(image)
    r = run_cli("flash", "boot", str(image), "-s", unlocked_phone.name, "--dry-run")
    assert r.returncode == 0 and "nothing will be changed" in r.stdout
    assert not unlocked_phone.phone.partition_path("boot_a").exists()


def test_locked_phone_refused_before_sending(phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "boot.img"
    make_raw(image)
    r = run_cli("flash", "boot", str(image), "-s", phone.name, "--yes")
    assert r.returncode == 1
    assert "locked" in r.stderr and "unlocker unlock" in r.stderr and "Traceback" not in r.stderr


def test_no_confirmation_without_terminal(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "boot.img"
    make_raw(image)
    r = run_cli("flash", "boot", str(image), "-s", unlocked_phone.name)
    assert r.returncode == 1 and "--yes" in r.stderr
    assert not unlocked_phone.phone.partition_path("boot_a").exists()


def test_image_larger_than_partition(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "vbmeta.img"
    image.write_bytes(b"v" * (64 * 1024 + 4096))
    r = run_cli("flash", "vbmeta", str(image), "-s", unlocked_phone.name, "--yes")
    assert r.returncode == 1 and "holds only" in r.stderr


def test_fail_in_piece_three_of_five(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory(
        "xiaomi-legacy",
        unlocked=True,
        max_download_size=MiB,
        faults=[Fault("fail", command_prefix="flash:system", nth=3, message="eMMC write error")],
    )
    image = tmp_path / "system.img"
    image.write_bytes(os.urandom(4 * MiB + 4096 * 10))
    r = run_cli("flash", "system", str(image), "-s", p.name, "--yes")
    assert r.returncode == 1
    line = r.stderr.splitlines()[0]
    assert "system" in line and "piece 3/5" in line and "eMMC write error" in line
    assert "pieces 1-2 of 5 were written" in line
    assert "wrote" not in r.stdout


def test_disconnect_mid_transfer(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory("xiaomi-legacy", unlocked=True, faults=[parse_fault("disconnect@1500000")])
    image = tmp_path / "boot.img"
    make_raw(image)
    r = run_cli("flash", "boot", str(image), "-s", p.name, "--yes")
    assert r.returncode == 1
    assert "flashing boot stopped" in r.stderr and "nothing was written" in r.stderr
    assert not p.phone.partition_path("boot").exists()


def test_truncated_sparse_image(unlocked_phone, run_cli, tmp_path: Path) -> None:
    from tests.sparse.test_reader_apply import build
    from unlocker.sparse.format import RAW

    image = tmp_path / "bad.simg"
    image.write_bytes(build([(RAW, 4, b"r" * 16384)])[:-5000])
    r = run_cli("flash", "boot", str(image), "-s", unlocked_phone.name, "--yes")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert not unlocked_phone.phone.partition_path("boot_a").exists()


def test_logical_partition_goes_through_fastbootd(unlocked_phone, run_cli, tmp_path: Path) -> None:
    unlocked_phone.phone.set_state("snapshot_update_status", "snapshotted")
    image = tmp_path / "product.img"
    image.write_bytes(os.urandom(3 * 4096))
    r = run_cli("flash", "product", str(image), "-s", unlocked_phone.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert unlocked_phone.phone.mode == "fastbootd"
    assert unlocked_phone.partition("product_a") == image.read_bytes()
    assert unlocked_phone.phone.logical_partitions()["product_a"] == 3 * 4096
    assert unlocked_phone.phone.state["snapshot_update_status"] == "none"


def test_super_is_flashed_from_the_bootloader(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "super.img"
    image.write_bytes(os.urandom(2 * 4096))
    r = run_cli("flash", "super", str(image), "-s", unlocked_phone.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert unlocked_phone.phone.mode == "bootloader"
    assert unlocked_phone.partition("super") == image.read_bytes()


def test_erase_reboot_set_active(unlocked_phone, run_cli) -> None:
    assert run_cli("set-active", "b", "-s", unlocked_phone.name, "--yes").returncode == 0
    assert unlocked_phone.phone.current_slot == "b"
    assert run_cli("erase", "userdata", "-s", unlocked_phone.name, "--yes").returncode == 0
    assert unlocked_phone.partition("userdata") == b""
    before = unlocked_phone.phone.boot_count
    assert run_cli("reboot", "bootloader", "-s", unlocked_phone.name).returncode == 0
    assert unlocked_phone.phone.boot_count == before + 1


@pytest.mark.skipif(shutil.which("simg2img") is None, reason="simg2img missing")
def test_sparse_cli_convert_info_expand(run_cli, tmp_path: Path) -> None:
    raw = tmp_path / "a.raw"
    data = make_raw(raw, 3)
    simg = tmp_path / "a.simg"
    assert run_cli("sparse", "convert", str(raw), str(simg)).returncode == 0
    subprocess.run(["simg2img", str(simg), str(tmp_path / "g.raw")], check=True)
    assert (tmp_path / "g.raw").read_bytes() == data
    info = json.loads(run_cli("sparse", "info", str(simg), "--json").stdout)
    assert info["expanded_size"] == len(data) and info["chunk_counts"]["FILL"] >= 1
    subprocess.run(["img2simg", str(raw), str(tmp_path / "g.simg")], check=True)
    assert run_cli("sparse", "expand", str(tmp_path / "g.simg"), str(tmp_path / "ours.raw")).returncode == 0
    assert (tmp_path / "ours.raw").read_bytes() == data
    bad = run_cli("sparse", "info", str(raw))
    assert bad.returncode == 1 and "not an Android sparse image" in bad.stderr


def _before_first_download(commands: list[str]) -> list[str]:
    first = next(i for i, c in enumerate(commands) if c.startswith("download:"))
    return commands[:first]


@pytest.mark.parametrize(
    "profile,partition,mib", [("xiaomi-qcom", "boot", 1), ("xiaomi-legacy", "system", 5)]
)
def test_flash_asks_each_variable_once(
    phone_factory, run_cli, tmp_path: Path, profile, partition, mib
) -> None:
    """The plan is made once from facts read once: no getvar twice before the first byte (issue 8)."""
    p = phone_factory(profile, unlocked=True, max_download_size=MiB)
    image = tmp_path / f"{partition}.img"
    make_raw(image, max(mib, 3))
    r = run_cli("flash", partition, str(image), "-s", p.name, "--yes")
    assert r.returncode == 0, r.stderr
    before = _before_first_download(list(p.phone.commands_received))
    getvars = [c for c in before if c.startswith("getvar:")]
    assert getvars, before
    repeated = sorted({c for c in getvars if getvars.count(c) > 1})
    assert repeated == [], f"asked more than once: {repeated}"
    assert all(c.startswith("getvar:") for c in before), before  # planning changes nothing


def test_dry_run_sends_only_questions(unlocked_phone, run_cli, tmp_path: Path) -> None:
    image = tmp_path / "boot.img"
    make_raw(image)
    r = run_cli("flash", "boot", str(image), "-s", unlocked_phone.name, "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    sent = list(unlocked_phone.phone.commands_received)
    assert sent and all(c.startswith("getvar:") for c in sent), sent
    assert len(sent) == len(set(sent))
