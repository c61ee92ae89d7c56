"""The shipped index: valid, complete for Xiaomi, faithful to the LineageOS wiki data, consistent."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unlocker.index import load_index
from unlocker.index.loader import Index
from unlocker.index.methods import artefacts_needed, expand

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared" / "data" / "lineage_devices.json"
# The LineageOS wiki export the index was generated from lives beside the repository, not in it.
NO_SOURCE = (
    f"checks the shipped index against its source data (the LineageOS wiki export), which is not at "
    f"{SOURCE}; CI has it and runs this test"
)


@pytest.fixture(scope="module")
def index() -> Index:
    return load_index()


@pytest.fixture(scope="module")
def wiki() -> list[dict]:
    if not SOURCE.exists():
        pytest.skip(NO_SOURCE)
    return json.loads(SOURCE.read_text(encoding="utf-8"))["devices"]


def test_shipped_index_validates_clean(index: Index) -> None:
    assert len(index.devices) >= 597
    assert {"lineageos", "crdroid", "eos"} <= set(index.roms)
    assert {"fastboot_xiaomi", "fastboot_xiaomi_hyperos", "fastboot_nexus"} <= set(index.methods)
    assert {"fastboot_generic_ab", "fastboot_generic_non_ab"} <= set(index.methods)


def test_every_wiki_file_is_covered(index: Index, wiki: list[dict]) -> None:
    xiaomi = [e for e in wiki if e["vendor"] in ("Xiaomi", "Redmi", "POCO")]
    assert len(xiaomi) == 138
    assert len({e["codename"] for e in xiaomi}) == 82
    for entry in wiki:
        device = index.devices[entry["codename"]]
        assert entry["file"] in device.data["source"]["lineage_wiki_files"]
        assert entry["name"] in device.names
        for model in entry.get("models") or []:
            assert str(model) in device.models
        assert index.roms["lineageos"].supports(entry["codename"])


def test_device_fields_match_the_wiki(index: Index, wiki: list[dict]) -> None:
    first: dict[str, dict] = {}
    for entry in sorted(wiki, key=lambda e: (e.get("variant") or 0, e["file"])):
        first.setdefault(entry["codename"], entry)
    for codename, entry in first.items():
        device = index.devices[codename]
        assert device.recovery_partition == entry["recovery_partition_name"], codename
        assert device.ab is bool(entry.get("is_ab_device")), codename
        assert device.install_method == entry["install_method"], codename
        assert device.wipe_super is bool(entry.get("is_ab_rdap")), codename
        soc = entry["soc"] if isinstance(entry["soc"], str) else entry["soc"][0]
        if soc.startswith("Qualcomm"):
            assert device.soc_vendor == "qualcomm", codename
        elif soc.startswith("Mediatek"):
            assert device.soc_vendor == "mediatek", codename
        # Dynamic partitions are only ever stated, never guessed "no".
        assert device.dynamic_partitions in (True, None), codename


def test_xiaomi_token_command_follows_the_soc(index: Index) -> None:
    xiaomi = [d for d in index.devices.values() if d.unlock["method"] == "mi_unlock"]
    assert len(xiaomi) >= 78
    for device in xiaomi:
        expected = {"qualcomm": "getvar token", "mediatek": "oem get_token"}[device.soc_vendor]
        assert device.unlock["token_command"] == expected, device.codename
    assert index.devices["begonia"].unlock["token_command"] == "oem get_token"


def test_every_device_method_resolves_and_its_artefacts_are_defined(index: Index) -> None:
    for device in index.devices.values():
        for method_name in device.install_methods:
            assert method_name in index.methods, (device.codename, method_name)
            steps = expand(method_name, index.methods, device)
            assert steps, device.codename
            if not index.methods[method_name].automated:
                continue
            needed = artefacts_needed(steps)
            assert "rom_zip" in needed
            for rom in index.roms_for(device.codename):
                provided = set(rom.artefacts) | {a for m in index.methods.values() for a in m.artefacts}
                missing = [a for a in needed if a not in provided]
                assert not missing, (device.codename, rom.id, missing)


def test_install_steps_for_alioth_follow_the_wiki_journey(index: Index) -> None:
    steps = expand("fastboot_xiaomi_hyperos", index.methods, index.devices["alioth"])
    flashed = [(s.partition, s.artefact) for s in steps if s.action == "flash"]
    assert flashed == [("boot", "boot"), ("dtbo", "dtbo"), ("vendor_boot", "recovery")]
    actions = [s.action for s in steps]
    assert actions.index("flash") < actions.index("sideload")
    assert steps[-1].action == "reboot" and steps[-1].mode == "system"


def test_retrofit_device_wipes_super_first(index: Index) -> None:
    nb1 = index.devices["NB1"]
    steps = expand(nb1.install_method, index.methods, nb1)
    wipes = [s for s in steps if s.action == "wipe_super"]
    assert len(wipes) == 1 and wipes[0].artefact == "super_empty"
    assert nb1.dynamic_partitions is True


def test_fastboot_boot_devices_boot_the_recovery(index: Index) -> None:
    flox = index.devices["flox"]
    steps = expand(flox.install_method, index.methods, flox)
    assert any(s.action == "boot" and s.artefact == "recovery" for s in steps)
    assert not any(s.action == "flash" and s.artefact == "recovery" for s in steps)


def test_shipped_builds_have_verifiable_checksums(index: Index) -> None:
    builds = [b for rom in index.roms.values() for b in rom.builds]
    assert builds, "crDroid entries copied from its OTA data"
    for build in builds:
        for f in build.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256)
            assert f.size > 0 and f.url.startswith("https://")
        assert build.source
    alioth = [b for b in index.roms["crdroid"].builds if b.codename == "alioth"][0]
    assert alioth.main.sha256 == "368525365e29db37e8d2a52796a41aa5de18b5698192685d22c75f0c60e6ebad"
    assert alioth.main.size == 1597024363


def test_lineage_support_follows_maintainers(index: Index, wiki: list[dict]) -> None:
    lineage = index.roms["lineageos"]
    maintained = {e["codename"] for e in wiki if e["maintainers"]}
    for codename in maintained:
        assert lineage.devices[codename]["maintained"] is True
    assert lineage.devices["lavender"]["maintained"] is False
    assert lineage.devices["land"]["builds_codename"] == "Mi8937"


def test_generator_reproduces_the_shipped_files(tmp_path: Path) -> None:
    if not SOURCE.exists():
        pytest.skip(NO_SOURCE)
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "build_index_from_lineage.py"),
            str(SOURCE),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    generated = sorted(p.name for p in (tmp_path / "devices").iterdir())
    for name in generated:
        shipped = (REPO / "firmware_index" / "devices" / name).read_text(encoding="utf-8")
        assert (tmp_path / "devices" / name).read_text(encoding="utf-8") == shipped, name
    lineage = (REPO / "firmware_index" / "roms" / "lineageos.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "roms" / "lineageos.yaml").read_text(encoding="utf-8") == lineage


def test_attribution_and_licence_ship_with_the_data() -> None:
    data = REPO / "firmware_index"
    attribution = (data / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY-SA 3.0" in attribution and "lineage_wiki" in attribution
    assert "creativecommons.org/licenses/by-sa/3.0" in (data / "LICENSE").read_text(encoding="utf-8")
    assert (data / "__init__.py").exists()
