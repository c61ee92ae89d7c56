"""A fault at each step of the journey, then resume: the install completes and nothing finished is redone.

In process (the index is read once), against the virtual phone: fastboot for the bootloader
steps, its recovery over unlocker's adb for the rest. Faults are the virtual phone's own
(disconnect, FAIL, stall) or the person pressing Ctrl+C; a killed process is in test_journey_cli.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.install.conftest import Published
from tests.install.scripted import ScriptedUI, install, request_for
from unlocker.emulator import parse_fault
from unlocker.errors import PreflightError, UnlockerError
from unlocker.install import journey
from unlocker.install.journal import all_journals

FLASHED = {"boot_a": "boot", "dtbo_a": "dtbo", "vendor_boot_a": "vendor_boot"}
FASTBOOT_BYTES = (192 + 64 + 128) * 1024 + 512  # the three images of alioth_build, sent before the zip


def _assert_installed(running, build: Published) -> None:
    for partition, image in FLASHED.items():
        assert running.partition(partition) == build.images[image].read_bytes(), partition
    assert (running.state_dir / "sideloaded.zip").read_bytes() == build.rom_zip.read_bytes()
    journals = all_journals()
    assert len(journals) == 1 and journals[0].finished
    sent = [c for c in running.phone.commands_received if "lock" in c.replace("unlocked", "")]
    assert sent == []  # never `flashing lock` / `oem lock`


def _sideloads(running) -> int:
    return sum(1 for c in running.phone.commands_received if c.startswith("sideload-host:"))


def test_whole_journey(phone_factory, in_process, alioth_build: Published) -> None:
    running = phone_factory(unlocked=True)
    ui = ScriptedUI(running)
    install(request_for(running), ui)
    _assert_installed(running, alioth_build)
    assert ui.finished_steps == list(range(1, 16))
    assert ui.acknowledged == [3, 11, 12]  # firmware, format data, apply from ADB; unlock steps moot
    assert _sideloads(running) == 1
    assert running.phone.state["last_install"]["ok"] is True


# step -> how it fails. Numbers are the alioth journey's steps (see test_plan).
FAULTS = {
    "3 instruct: Ctrl+C": dict(stop_at=3),
    "4 reboot: Ctrl+C": dict(stop_at=4),
    # The phone stops answering at the look before the reboot and at the wait's first look, which
    # outlasts the wait (1 s). Each fault counts only the commands the one before let through,
    # so both say #2: the 2nd and 3rd look stall.
    "5 wait for bootloader: stall": dict(faults=["stall:getvar:is-userspace#2"] * 2, timeout=1.0),
    "6 flash boot: cable pulled mid-download": dict(faults=["disconnect@100000"]),
    "7 flash dtbo: FAIL": dict(faults=["fail:flash:dtbo_a=Flashing failed"]),
    "8 flash vendor_boot: stall": dict(faults=["stall:download#3"]),
    "9 reboot recovery: FAIL": dict(faults=["fail:reboot-recovery=reboot refused"]),
    "10 wait for recovery: process killed": dict(stop_at=10),
    "11 instruct: Ctrl+C": dict(stop_at=11),
    "13 wait for sideload: menu not chosen": dict(skip_menu=True, timeout=1.0),
    "14 sideload: cable pulled mid-package": dict(faults=[f"disconnect@{FASTBOOT_BYTES + 100000}"], cut=True),
    # resumed in sideload mode, where the phone tells no serial (no shell): found by its model
    "14 sideload: Ctrl+C": dict(stop_at=14),
    "15 reboot system: refused": dict(faults=["fail:reboot:"]),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_fault_then_resume(case: str, phone_factory, in_process, alioth_build: Published) -> None:
    spec = FAULTS[case]
    step = int(case.split()[0])
    running = phone_factory(unlocked=True, faults=[parse_fault(f) for f in spec.get("faults", [])])
    ui = ScriptedUI(running, stop_at=spec.get("stop_at"), skip_menu=spec.get("skip_menu", False))
    with pytest.raises((UnlockerError, KeyboardInterrupt)):
        install(request_for(running, timeout=spec.get("timeout", 2.0)), ui)
    stopped = all_journals()[0]
    assert stopped.state == "stopped" and stopped.last_error
    assert stopped.first_unfinished() == step
    done_before = set(ui.finished_steps)
    acknowledged_before = list(ui.acknowledged)

    journey.resume(request_for(running, rom=None), ui)
    _assert_installed(running, alioth_build)
    # nothing that had finished ran again: no step finished twice, no instruction asked twice,
    # each partition flashed once (plus the FAILed attempt), one package (plus the cut one)
    assert sorted(ui.finished_steps) == list(range(1, 16))
    assert not done_before & set(ui.finished_steps[len(done_before) :])
    again = [n for n in ui.acknowledged[len(acknowledged_before) :] if n in acknowledged_before]
    assert again == [], again  # back in sideload mode by `adb reboot sideload`, not by asking again
    flashes = Counter(c.split(":")[1] for c in running.phone.commands_received if c.startswith("flash:"))
    faulty = {7: "dtbo_a"}.get(step)  # the FAILed flash command; a stalled download sends none
    for partition in FLASHED:
        assert flashes[partition] == (2 if partition == faulty else 1), (partition, flashes)
    assert _sideloads(running) == (2 if spec.get("cut") else 1)


def test_resume_rechecks_what_finished_steps_left(phone_factory, in_process, alioth_build: Published) -> None:
    running = phone_factory(unlocked=True, faults=[parse_fault("fail:reboot-recovery=reboot refused")])
    ui = ScriptedUI(running)
    with pytest.raises(UnlockerError):
        install(request_for(running), ui)
    assert all_journals()[0].first_unfinished() == 9

    running.phone.set_state("unlocked", False)  # someone relocked it meanwhile
    with pytest.raises(PreflightError, match="locked now"):
        journey.resume(request_for(running, rom=None), ui)
    running.phone.set_state("unlocked", True)

    running.phone.set_state("current_slot", "b")  # the phone now starts from the other slot
    journey.resume(request_for(running, rom=None), ui)
    for partition, image in FLASHED.items():  # written again, to the slot the phone starts from
        assert running.partition(partition.replace("_a", "_b")) == alioth_build.images[image].read_bytes()
    assert any("active slot changed from a to b" in note for note in ui.notes)
    flashed = [c for c in running.phone.commands_received if c.startswith("flash:")]
    assert flashed == [
        "flash:boot_a",
        "flash:dtbo_a",
        "flash:vendor_boot_a",
        "flash:boot_b",
        "flash:dtbo_b",
        "flash:vendor_boot_b",
    ]
    assert all_journals()[0].finished


def test_stock_firmware_first(phone_factory, in_process, alioth_build: Published, tmp_path) -> None:
    """`--stock PACKAGE`: the required-firmware step flashes a Xiaomi fastboot ROM (unlocker stock's
    checks), then LineageOS goes on top; resuming after it does not flash the package again."""
    from tests.stock.builders import build_rom, rom_images

    running = phone_factory(unlocked=True, faults=[parse_fault("fail:reboot-recovery=reboot refused")])
    stock_images = rom_images()
    package = build_rom(tmp_path, images=stock_images)
    ui = ScriptedUI(running)
    with pytest.raises(UnlockerError):
        install(request_for(running, stock=package), ui)
    journal = all_journals()[0]
    assert journal.plan.steps[2].action == "stock" and journal.done(3)
    assert 3 not in ui.acknowledged  # nothing to confirm: the package itself is flashed
    journey.resume(request_for(running, rom=None), ui)
    _assert_installed(running, alioth_build)
    stock_files = {"abl": "abl.elf", "modem": "NON-HLOS.bin", "vbmeta": "vbmeta.img"}
    for partition, file in stock_files.items():  # the stock firmware stays below LineageOS
        for slot in ("a", "b"):
            assert running.partition(f"{partition}_{slot}").startswith(stock_images[file]), partition
    assert running.partition("boot_b").startswith(stock_images["boot.img"])  # LineageOS went to slot a
    assert sum(c.startswith("flash:abl_a") for c in running.phone.commands_received) == 1  # not redone
