"""`unlocker install` through the CLI on the virtual phone: dry run, refusals, status, report."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.install.conftest import Published, publish
from tests.install.fake_builds import make_image, make_rom_zip
from unlocker.emulator import parse_fault

FAST = {"UNLOCKER_INSTALL_TIMEOUT": "2", "UNLOCKER_RESPONSE_TIMEOUT": "2"}


def tree(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` with its sha256: what 'byte-identical before and after' compares."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_dry_run_touches_nothing(phone_factory, run_cli, cli_env, alioth_build: Published) -> None:
    phone = phone_factory(unlocked=True)
    state = Path(cli_env["UNLOCKER_STATE_DIR"])
    before = tree(phone.state_dir, state)
    r = run_cli("install", "lineageos", "-s", phone.name, "--dry-run", env={**alioth_build.env, **FAST})
    assert r.returncode == 0, r.stderr
    assert "Step 15/15" in r.stdout and "vendor_boot.img" in r.stdout
    assert "Volume Up + Power" in r.stdout  # what to press for the recovery, from the device's data
    assert "erases: all data on the phone" in r.stdout
    for artefact in alioth_build.images.values():
        assert hashlib.sha256(artefact.read_bytes()).hexdigest() in r.stdout
    assert tree(phone.state_dir, state) == before
    assert not (Path(cli_env["UNLOCKER_CACHE_DIR"]) / "downloads").exists()
    assert alioth_build.server.file_requests() == []  # the build list only, no file
    assert not [c for c in phone.phone.commands_received if not c.startswith("getvar:")]

    as_json = run_cli(
        "install", "lineageos", "-s", phone.name, "--dry-run", "--json", env={**alioth_build.env, **FAST}
    )
    assert as_json.returncode == 0, as_json.stderr
    plan = json.loads(as_json.stdout)
    assert plan["dry_run"] and plan["plan"]["codename"] == "alioth" and len(plan["plan"]["steps"]) == 15
    assert {a["id"] for a in plan["plan"]["artefacts"]} == {"boot", "dtbo", "recovery", "rom_zip"}
    assert tree(phone.state_dir, state) == before


def test_several_roms_exit_2_and_list_them(phone_factory, run_cli, alioth_build: Published) -> None:
    phone = phone_factory(unlocked=True)
    r = run_cli("install", "-s", phone.name, "--dry-run", env=alioth_build.env)
    assert r.returncode == 2
    assert "lineageos" in r.stderr and "crdroid" in r.stderr and "Traceback" not in r.stderr


def test_locked_bootloader_is_refused_before_anything(
    phone_factory, run_cli, cli_env, alioth_build: Published
) -> None:
    phone = phone_factory()  # locked, as it leaves the shop
    r = run_cli("install", "lineageos", "-s", phone.name, "--yes", env={**alioth_build.env, **FAST})
    assert r.returncode == 1
    assert "locked" in r.stderr and "`unlocker unlock`" in r.stderr and "Traceback" not in r.stderr
    assert alioth_build.server.file_requests() == []
    assert not (Path(cli_env["UNLOCKER_STATE_DIR"]) / "installs").exists()
    assert not [c for c in phone.phone.commands_received if not c.startswith("getvar:")]


def test_checksum_mismatch_of_a_given_file_is_refused(
    phone_factory, run_cli, alioth_build: Published, tmp_path
) -> None:
    phone = phone_factory(unlocked=True)
    wrong = make_image(tmp_path / "boot.img", 4096, seed=99)
    r = run_cli(
        "install",
        "lineageos",
        "-s",
        phone.name,
        "--yes",
        "--file",
        f"boot={wrong}",
        env={**alioth_build.env, **FAST},
    )
    assert r.returncode == 1
    assert "sha256" in r.stderr and "refused" in r.stderr and "Traceback" not in r.stderr
    assert not [c for c in phone.phone.commands_received if not c.startswith("getvar:")]


def test_another_phones_rom_is_refused(phone_factory, run_cli, alioth_build: Published, tmp_path) -> None:
    phone = phone_factory(unlocked=True)
    other = make_rom_zip(tmp_path / "lineage-lavender.zip", "lavender")
    r = run_cli(
        "install",
        "lineageos",
        "-s",
        phone.name,
        "--yes",
        "--file",
        f"rom_zip={other}",
        env={**alioth_build.env, **FAST},
    )
    assert r.returncode == 1
    assert "for lavender, not for alioth" in r.stderr and "Traceback" not in r.stderr
    assert not [c for c in phone.phone.commands_received if not c.startswith("getvar:")]


def test_no_build_known_is_a_clear_refusal(phone_factory, run_cli, build_server) -> None:
    phone = phone_factory(unlocked=True)
    r = run_cli(
        "install", "lineageos", "-s", phone.name, "--yes", env={"UNLOCKER_LINEAGE_API_URL": build_server.api}
    )
    assert r.returncode == 1
    assert "no build of LineageOS for alioth is known" in r.stderr and "unlocker kit" in r.stderr


def test_stopped_install_status_report_and_resume_with_another_phone(
    phone_factory, run_cli, cli_env, alioth_build: Published
) -> None:
    phone = phone_factory(unlocked=True, faults=[parse_fault("fail:flash:dtbo=Flashing failed: write error")])
    env = {**alioth_build.env, **FAST}
    r = run_cli("install", "lineageos", "-s", phone.name, "--yes", "--no-progress", env=env)
    assert r.returncode == 1
    assert "write error" in r.stderr and "`unlocker install --resume`" in r.stderr
    assert "Step 7/15" in r.stdout and "Step 8/15" not in r.stdout

    status = run_cli("install", "--status", "--json")
    journal = json.loads(status.stdout)["installs"][0]
    assert journal["state"] == "stopped" and "write error" in journal["last_error"]
    done = [s["number"] for s in journal["steps"] if s["status"] == "done"]
    assert done == [1, 2, 3, 4, 5, 6]
    assert journal["phone"]["serial"] == phone.phone.serial

    report = run_cli("report", "--no-phone")
    assert phone.phone.serial not in report.stdout  # redacted
    installs = json.loads(report.stdout)["installs"]
    assert installs[0]["codename"] == "alioth" and installs[0]["phone"]["serial"].startswith("<id:")

    stranger = phone_factory(unlocked=True)
    r = run_cli("install", "--resume", "-s", stranger.name, "--yes", env=env)
    assert r.returncode == 1
    assert "not the one the unfinished install is for" in r.stderr and "Traceback" not in r.stderr
    assert not [c for c in stranger.phone.commands_received if not c.startswith("getvar:")]


def test_kit_for_another_phone_is_refused(phone_factory, run_cli, build_server, tmp_path) -> None:
    lavender = publish(build_server, tmp_path / "www" / "lavender", "lavender", {"recovery": 64 * 1024})
    kit = tmp_path / "kit"
    made = run_cli("kit", "lavender", "lineageos", "-o", str(kit), env=lavender.env)
    assert made.returncode == 0, made.stderr
    phone = phone_factory(unlocked=True)  # alioth
    r = run_cli("install", "-s", phone.name, "--kit", str(kit), "--yes", env=FAST)
    assert r.returncode == 1
    assert "'alioth'" in r.stderr and "lavender" in r.stderr and "refused" in r.stderr


def test_damaged_or_edited_kit_is_refused(phone_factory, run_cli, alioth_build: Published, tmp_path) -> None:
    kit = tmp_path / "kit"
    made = run_cli("kit", "alioth", "lineageos", "-o", str(kit), "--json", env=alioth_build.env)
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert {a["id"] for a in summary["artefacts"]} == {"boot", "dtbo", "recovery", "rom_zip"}
    manifest = json.loads((kit / "manifest.json").read_text())
    assert manifest["device"]["codename"] == "alioth" and manifest["method"] == "fastboot_xiaomi_hyperos"
    assert set(manifest["methods"]) == {"fastboot_xiaomi_hyperos", "lineage_recovery_sideload"}
    phone = phone_factory(unlocked=True)

    boot = kit / "boot.img"
    original = boot.read_bytes()
    boot.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one bit flipped on the USB stick
    r = run_cli("install", "-s", phone.name, "--kit", str(kit), "--yes", env=FAST)
    assert r.returncode == 1 and "boot.img is damaged or was edited" in r.stderr

    # An edit that keeps the file and the manifest consistent still breaks the manifest's checksum.
    evil = make_image(tmp_path / "evil.img", len(original), seed=7)
    boot.write_bytes(evil.read_bytes())
    for entry in manifest["artefacts"]:
        if entry["filename"] == "boot.img":
            entry["sha256"] = hashlib.sha256(evil.read_bytes()).hexdigest()
    (kit / "manifest.json").write_text(json.dumps(manifest))
    r = run_cli("install", "-s", phone.name, "--kit", str(kit), "--yes", env=FAST)
    assert r.returncode == 1 and "changed after the kit was made" in r.stderr and "Traceback" not in r.stderr
    assert not [c for c in phone.phone.commands_received if not c.startswith("getvar:")]
