"""Install plans are pure data: the device's method expanded, numbered, worded and mapped to build files."""

from __future__ import annotations

import pytest

from unlocker.errors import InstallError, UsageError, WrongPhone
from unlocker.index import Index, load_index
from unlocker.index.model import Build, BuildFile
from unlocker.install.choose import build_file_for, pick_build, pick_rom
from unlocker.install.plan import ROLE_FIRMWARE, ROLE_SIDELOAD_MENU, ROLE_UNLOCK, InstallPlan, entry_modes
from unlocker.install.prepare import plan_from_index


@pytest.fixture(scope="module")
def index() -> Index:
    return load_index()


def _build(codename: str, *names: str) -> Build:
    files = tuple(
        BuildFile(
            "rom_zip" if n.endswith(".zip") else n.rsplit(".", 1)[0],
            n,
            f"https://example.org/{n}",
            1000 + i,
            f"{i:064x}",
        )
        for i, n in enumerate(names)
    )
    return Build("lineageos", codename, "23.2", "2026-11-20", "nightly", files, "test")


def test_alioth_plan_steps_roles_and_files(index: Index) -> None:
    device = index.devices["alioth"]
    build = _build("alioth", "lineage.zip", "boot.img", "dtbo.img", "vendor_boot.img")
    plan = plan_from_index(device, index.roms["lineageos"], build, index.methods, {})
    actions = [s.action for s in plan.steps]
    assert actions == [
        "instruct", "instruct", "instruct", "reboot", "wait_for", "flash", "flash", "flash",
        "reboot", "wait_for", "instruct", "instruct", "wait_for", "sideload", "reboot",
    ]  # fmt: skip
    assert [s.number for s in plan.steps] == list(range(1, 16))
    roles = {s.number: s.role for s in plan.steps if s.role}
    assert roles == {1: ROLE_UNLOCK, 2: ROLE_UNLOCK, 3: ROLE_FIRMWARE, 12: ROLE_SIDELOAD_MENU}
    # the recovery of this phone is vendor_boot.img, written to vendor_boot
    flash = [(s.partition, plan.artefact(s.artefact).filename) for s in plan.steps if s.action == "flash"]
    assert flash == [("boot", "boot.img"), ("dtbo", "dtbo.img"), ("vendor_boot", "vendor_boot.img")]
    # the person's hands: the device's own key combinations
    wait_recovery = plan.steps[9]
    assert "Volume Up + Power" in str(wait_recovery.hands) and "MI" in str(wait_recovery.hands)
    assert "Volume Down + Power" in str(plan.steps[4].hands)
    assert "OS1.0.2.0.TKHMIXM" in plan.steps[2].text and plan.steps[2].confirm
    assert "erases" not in str(plan.steps[1].erases)  # unlock instructions erase nothing here
    assert plan.steps[10].erases and plan.steps[13].erases
    # a plan survives the journal unchanged
    again = InstallPlan.from_json(plan.to_json())
    assert again.to_json() == plan.to_json()
    assert entry_modes(plan)[5] == "bootloader" and entry_modes(plan)[13] == "sideload"


def test_recovery_image_preferred_when_the_build_has_one(index: Index) -> None:
    lavender = index.devices["lavender"]
    build = _build("lavender", "lineage.zip", "recovery.img", "boot.img")
    assert build_file_for(build, "recovery", lavender).filename == "recovery.img"
    sargo = index.devices["sargo"]  # recovery lives in boot: LineageOS ships it as boot.img
    assert build_file_for(_build("sargo", "l.zip", "boot.img"), "recovery", sargo).filename == "boot.img"


def test_missing_artefact_is_refused_with_the_way_out(index: Index) -> None:
    device = index.devices["alioth"]
    build = _build("alioth", "lineage.zip", "boot.img")
    with pytest.raises(InstallError) as caught:
        plan_from_index(device, index.roms["lineageos"], build, index.methods, {})
    assert "dtbo" in str(caught.value) and "--file dtbo=PATH" in str(caught.value.hint)


def test_build_for_another_codename_is_refused(index: Index) -> None:
    with pytest.raises(WrongPhone):
        plan_from_index(
            index.devices["alioth"], index.roms["lineageos"], _build("lavender", "l.zip"), index.methods, {}
        )


def test_methods_unlocker_cannot_drive_are_refused(index: Index) -> None:
    samsung = next(d for d in index.devices.values() if d.install_method == "samloader_rs")
    with pytest.raises(InstallError) as caught:
        plan_from_index(
            samsung, index.roms["lineageos"], _build(samsung.codename, "l.zip"), index.methods, {}
        )
    assert "Odin" in str(caught.value)


def test_retrofit_phone_plan_wipes_super_before_the_recovery(index: Index) -> None:
    nb1 = index.devices["NB1"]  # the one phone needing `fastboot wipe-super`
    build = _build("NB1", "l.zip", "super_empty.img", "boot.img")
    plan = plan_from_index(nb1, index.roms["lineageos"], build, index.methods, {})
    actions = [s.action for s in plan.steps]
    assert actions[:5] == ["instruct", "reboot", "wait_for", "wipe_super", "flash"]
    wipe = plan.steps[3]
    assert plan.artefact(str(wipe.artefact)).filename == "super_empty.img"
    assert wipe.erases and entry_modes(plan)[3] == "bootloader"


def test_rom_choice(index: Index) -> None:
    alioth = index.devices["alioth"]
    with pytest.raises(UsageError) as caught:  # two ROMs: the person must name one (exit 2)
        pick_rom(index, alioth, None)
    assert caught.value.exit_code == 2 and "lineageos" in str(caught.value) and "crdroid" in str(caught.value)
    assert pick_rom(index, alioth, "LineageOS").id == "lineageos"
    with pytest.raises(UsageError, match="not a ROM for alioth"):
        pick_rom(index, alioth, "eos")


def test_build_list_refreshed_once_when_none_is_known(index: Index, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("UNLOCKER_CACHE_DIR", str(tmp_path))
    calls = []

    def refresh(rom, codename):
        calls.append(codename)
        return "connection refused"

    with pytest.raises(InstallError) as caught:
        pick_build(index.roms["lineageos"], index.devices["alioth"], None, refresh)
    assert calls == ["alioth"]
    assert "no build of LineageOS for alioth is known" in str(caught.value)
    assert "connection refused" in str(caught.value) and "unlocker kit" in str(caught.value.hint)
    build, error = pick_build(index.roms["crdroid"], index.devices["alioth"], None, refresh)
    assert error is None and build.codename == "alioth" and calls == ["alioth"]  # shipped: no refresh
