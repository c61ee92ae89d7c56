"""Refusals before anything is written, each with its message: the wrong phone, a bad file, a bad kit.

In process (the index is read once); the CLI's way of printing them is in test_install_cli.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.install.conftest import Published, publish
from tests.install.fake_builds import make_image, make_rom_zip
from tests.install.scripted import ScriptedUI, install, request_for
from unlocker.errors import ChecksumMismatch, InstallError, KitError, PreflightError, WrongPhone
from unlocker.install import journey


def _untouched(running) -> None:
    assert [c for c in running.phone.commands_received if not c.startswith("getvar:")] == []


def test_checksum_mismatch_of_a_given_file(phone_factory, in_process, tmp_path) -> None:
    running = phone_factory(unlocked=True)
    wrong = make_image(tmp_path / "boot.img", 4096, seed=99)
    with pytest.raises(ChecksumMismatch) as caught:
        install(request_for(running, files={"boot": wrong}), ScriptedUI(running))
    assert "sha256" in str(caught.value) and "refused" in str(caught.value)
    _untouched(running)


def test_another_phones_rom(phone_factory, in_process, tmp_path) -> None:
    running = phone_factory(unlocked=True)
    other = make_rom_zip(tmp_path / "lineage-lavender.zip", "lavender")
    with pytest.raises(WrongPhone, match="is for lavender, not for alioth"):
        install(request_for(running, files={"rom_zip": other}), ScriptedUI(running))
    _untouched(running)


def test_no_build_known(phone_factory, in_process, monkeypatch, build_server) -> None:
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", build_server.api + "/nothing-here")
    running = phone_factory(unlocked=True)
    with pytest.raises(InstallError) as caught:
        install(request_for(running), ScriptedUI(running))
    assert "no build of LineageOS for alioth is known" in str(caught.value)
    assert "HTTP 404" in str(caught.value) and "unlocker kit" in str(caught.value.hint)
    _untouched(running)


def test_kit_for_another_phone(phone_factory, in_process, build_server, monkeypatch, tmp_path) -> None:
    lavender = publish(build_server, tmp_path / "www" / "lavender", "lavender", {"recovery": 64 * 1024})
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", lavender.server.api)
    kit = tmp_path / "kit"
    journey.make_kit("lavender", "lineageos", None, kit, lambda: None)
    running = phone_factory(unlocked=True)  # alioth
    with pytest.raises(WrongPhone) as caught:
        install(request_for(running, rom=None, kit=kit), ScriptedUI(running))
    assert "'alioth'" in str(caught.value) and "lavender" in str(caught.value)
    _untouched(running)


def test_damaged_or_edited_kit(phone_factory, in_process, alioth_build: Published, tmp_path) -> None:
    kit = tmp_path / "kit"
    journey.make_kit("alioth", "lineageos", None, kit, lambda: None)
    manifest = json.loads((kit / "manifest.json").read_text())
    assert {a["id"] for a in manifest["artefacts"]} == {"boot", "dtbo", "recovery", "rom_zip"}
    assert manifest["device"]["codename"] == "alioth" and manifest["method"] == "fastboot_xiaomi_hyperos"
    assert set(manifest["methods"]) == {"fastboot_xiaomi_hyperos", "lineage_recovery_sideload"}
    running = phone_factory(unlocked=True)
    request = request_for(running, rom=None, kit=kit)

    boot = kit / "boot.img"
    original = boot.read_bytes()
    boot.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one bit flipped on the USB stick
    with pytest.raises(KitError, match="boot.img is damaged or was edited"):
        install(request, ScriptedUI(running))

    # An edit that keeps the file and the manifest consistent still breaks the manifest's checksum.
    evil = make_image(tmp_path / "evil.img", len(original), seed=7)
    boot.write_bytes(evil.read_bytes())
    for entry in manifest["artefacts"]:
        if entry["filename"] == "boot.img":
            entry["sha256"] = hashlib.sha256(evil.read_bytes()).hexdigest()
    (kit / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(KitError, match="changed after the kit was made"):
        install(request, ScriptedUI(running))

    (kit / "manifest.json").unlink()
    with pytest.raises(KitError, match="has no manifest.json"):
        install(request, ScriptedUI(running))
    _untouched(running)


def test_low_battery(phone_factory, in_process) -> None:
    running = phone_factory(unlocked=True, variables={"battery-soc-ok": "no", "battery-voltage": "3390"})
    with pytest.raises(PreflightError, match=r"low battery \(3390 mV\)") as caught:
        install(request_for(running), ScriptedUI(running))
    assert "Charge the phone" in str(caught.value.hint)
    _untouched(running)


def test_not_enough_disk_for_the_downloads(phone_factory, in_process, monkeypatch) -> None:
    import shutil

    from unlocker.install import artefacts

    usage = shutil.disk_usage("/")
    monkeypatch.setattr(artefacts.shutil, "disk_usage", lambda path: usage._replace(free=10 * 1024 * 1024))
    running = phone_factory(unlocked=True)
    with pytest.raises(PreflightError, match="not enough free disk space"):
        install(request_for(running), ScriptedUI(running))
    _untouched(running)
