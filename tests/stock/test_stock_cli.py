"""`unlocker inspect`, `stock` and `payload extract` as a person runs them, good and bad input."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

from tests.stock.builders import PayloadSpec, build_ota, build_payload, build_rom, rom_images, sample
from tests.stock.test_stock_phone import holds, no_lock_sent, writes
from unlocker.sparse.extents import layout_of_raw
from unlocker.sparse.writer import write_sparse
from unlocker.stock.inspect import inspect_file

IMAGES = {"abl": sample(16384, 1), "system": sample(32768, 2)}


def test_inspect_says_what_each_kind_of_file_is(tmp_path: Path) -> None:
    rom = inspect_file(build_rom(tmp_path))
    assert (rom["kind"], rom["codename"], rom["current_anti_ver"]) == ("xiaomi-fastboot-rom", "alioth", 1)
    assert rom["version"] == "V14.0.3.0.TKHMIXM"
    lock = next(s for s in rom["scripts"] if s["name"] == "flash_all_lock.sh")
    assert (
        lock["never_run"]
        and {"file": "images/abl.elf", "size": 32768, "sparse": False, "expanded_size": 32768}
        in rom["images"]
    )
    assert next(i for i in rom["images"] if i["file"] == "images/super.img")["sparse"]

    payload = build_payload(PayloadSpec(IMAGES, logical={"main": ["system"]}))
    ota = inspect_file(build_ota(tmp_path / "ota.zip", payload))
    assert (ota["kind"], ota["full"], ota["pre_device"], ota["ota_type"]) == ("ab-ota", True, "alioth", "AB")
    assert ota["post_build"].startswith("Xiaomi/alioth") and ota["payload_version"] == 2
    assert [(p["name"], p["size"], p["logical"]) for p in ota["partitions"]] == [
        ("abl", 16384, False),
        ("system", 32768, True),
    ]
    assert ota["partitions"][0]["operations"] == {"REPLACE_XZ": 1}  # 4 blocks: one two-extent operation
    (tmp_path / "payload.bin").write_bytes(payload)
    assert inspect_file(tmp_path / "payload.bin")["kind"] == "payload"
    incremental = inspect_file(
        build_ota(tmp_path / "inc.zip", build_payload(PayloadSpec(IMAGES, incremental=True)))
    )
    assert not incremental["full"] and incremental["incremental_because"]

    recovery = tmp_path / "recovery.zip"
    with zipfile.ZipFile(recovery, "w") as z:
        z.writestr("META-INF/com/google/android/update-binary", "#!/sbin/sh\n")
        z.writestr(
            "META-INF/com/google/android/updater-script",
            'assert(getprop("ro.product.device") == "lavender" || abort("E3004: This package is for device: lavender"););\n',
        )
    assert inspect_file(recovery)["devices"] == ["lavender"]

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("android-info.txt", "require board=sargo\nrequire version-bootloader=b4s4-0.4-7617406\n")
        z.writestr("boot.img", b"ANDROID!" + bytes(100))
    factory = tmp_path / "sargo-factory.zip"
    with zipfile.ZipFile(factory, "w") as z:
        z.writestr("sargo-sp2a/image-sargo-sp2a.zip", inner.getvalue())
        z.writestr("sargo-sp2a/flash-all.sh", "fastboot -w update image-sargo-sp2a.zip\n")
    info = inspect_file(factory)
    assert info["kind"] == "factory-image" and "require board=sargo" in info["android_info"]

    raw = sample(3 * 4096, 5)
    source = io.BytesIO(raw)
    layout = layout_of_raw(source, len(raw))
    with open(tmp_path / "vendor.simg", "wb") as out:
        write_sparse(source, layout.extents, layout.blk_sz, layout.total_blks, out)
    assert inspect_file(tmp_path / "vendor.simg")["expanded_size"] == len(raw)
    (tmp_path / "boot.img").write_bytes(b"ANDROID!" + bytes(32) + struct.pack("<I", 4) + bytes(4000))
    boot = inspect_file(tmp_path / "boot.img")
    assert boot["kind"] == "raw-image" and boot["boot_header_version"] == 4


def test_inspect_json_and_unknown_files_on_the_command_line(run_cli, tmp_path: Path) -> None:
    rom = build_rom(tmp_path)
    r = run_cli("inspect", str(rom), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["codename"] == "alioth"
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text, not firmware\n" * 20)
    truncated = tmp_path / "truncated.tgz"
    truncated.write_bytes(rom.read_bytes()[:5000])
    empty = tmp_path / "empty.img"
    empty.touch()
    for path, message in (
        (notes, "not a package or partition image"),
        (truncated, "damaged or truncated"),
        (empty, "is empty"),
    ):
        r = run_cli("inspect", str(path))
        assert r.returncode == 1 and message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 2


def test_stock_dry_run_touches_nothing_then_the_real_run(phone_factory, run_cli, tmp_path: Path) -> None:
    phone = phone_factory(unlocked=True)
    images = rom_images()
    rom = build_rom(tmp_path, images=images)
    r = run_cli("stock", str(rom), "-s", phone.name, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert (
        "nothing will be changed" in r.stdout
        and "flash images/abl.elf" in r.stdout
        and "abl_a, abl_b" in r.stdout
    )
    assert writes(phone) == [] and not phone.phone.partition_path("abl_a").exists()
    r = run_cli("stock", str(rom), "-s", phone.name)  # no terminal and no --yes: nothing happens
    assert r.returncode == 1 and "--yes" in r.stderr and writes(phone) == []
    r = run_cli("stock", str(rom), "-s", phone.name, "--yes", "--json", "--no-progress")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["rebooted"] and "super" in out["written"] and "abl_b" in out["written"]
    assert holds(phone, "super", images["super.img"]) and holds(phone, "abl_b", images["abl.elf"])
    assert no_lock_sent(phone)


def test_stock_refusals_are_one_clear_line(phone_factory, run_cli, tmp_path: Path) -> None:
    phone = phone_factory(unlocked=True, variables={"anti": "9"})
    r = run_cli("stock", str(build_rom(tmp_path)), "-s", phone.name, "--yes")
    assert r.returncode == 1 and "anti-rollback index 9" in r.stderr and "cannot be turned off" in r.stderr
    assert "Traceback" not in r.stderr and writes(phone) == []
    ota = build_ota(tmp_path / "ota.zip", build_payload(PayloadSpec(IMAGES)))
    r = run_cli("stock", str(ota), "-s", phone.name, "--yes")
    assert r.returncode == 2 and "--firmware-only" in r.stderr


def test_payload_extract(run_cli, tmp_path: Path) -> None:
    ota = build_ota(tmp_path / "ota.zip", build_payload(PayloadSpec(IMAGES)))
    out = tmp_path / "out"
    r = run_cli("payload", "extract", str(ota), "abl", "system", "-o", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)["written"]) == {"abl", "system"}
    assert (out / "abl.img").read_bytes() == IMAGES["abl"] and (out / "system.img").read_bytes() == IMAGES[
        "system"
    ]
    r = run_cli("payload", "extract", str(ota), "vendor", "-o", str(out))
    assert r.returncode == 2 and "has no partition 'vendor'" in r.stderr and "abl, system" in r.stderr
