"""A fault at each step of the journey, then resume: the install completes and nothing finished is redone.

In process, with the real virtual phone for every fastboot step and the install's own recovery
interface played by tests/install/fake_recovery.py (the CLI tests use unlocker's adb).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.install.conftest import Published
from tests.install.fake_recovery import FakeRecovery
from unlocker.emulator import parse_fault
from unlocker.errors import DeviceNotFound, UnlockerError
from unlocker.flashing.progress import SilentReporter
from unlocker.index import Index, load_index
from unlocker.install import journey, link
from unlocker.install.journal import all_journals
from unlocker.install.plan import ROLE_SIDELOAD_MENU, PlannedStep

FLASHED = {"boot_a": "boot", "dtbo_a": "dtbo", "vendor_boot_a": "vendor_boot"}


@dataclass
class ScriptedUI:
    """Plays the person: presses Enter at every instruction, chooses Apply from ADB when told."""

    fake: FakeRecovery
    stop_at: int | None = None  # Ctrl+C when this step is announced
    skip_menu: bool = False  # the person does not choose Apply from ADB (the wait times out)
    announced: list[int] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    finished_steps: list[int] = field(default_factory=list)

    def announce(self, step: PlannedStep, total: int) -> None:
        self.announced.append(step.number)
        if step.number == self.stop_at:
            self.stop_at = None
            raise KeyboardInterrupt

    def note(self, message: str) -> None:
        pass

    def acknowledge(self, step: PlannedStep) -> None:
        self.acknowledged.append(step.number)
        if step.role == ROLE_SIDELOAD_MENU:
            if not self.skip_menu:
                self.fake.apply_from_adb()
            self.skip_menu = False

    def confirm(self, question: str) -> None:
        pass

    def finished(self, step: PlannedStep, total: int, record: dict[str, Any]) -> None:
        self.finished_steps.append(step.number)

    def flash_reporter(self) -> SilentReporter:
        return SilentReporter()

    def bytes_progress(self) -> None:
        return None


@pytest.fixture(scope="module")
def shipped_index() -> Index:
    return load_index()


@pytest.fixture
def env(monkeypatch, tmp_path, alioth_build: Published, shipped_index: Index) -> None:
    import unlocker.index

    monkeypatch.setattr(unlocker.index, "load_index", lambda: shipped_index)  # read once per module
    for kind in ("STATE", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"UNLOCKER_{kind}_DIR", str(tmp_path / kind.lower()))
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", alioth_build.server.api)
    monkeypatch.setenv("UNLOCKER_RESPONSE_TIMEOUT", "1")


def _fake_recovery(running, monkeypatch) -> FakeRecovery:
    fake = FakeRecovery(running)
    real = link.connect_fastboot

    def connect(name, **kwargs):
        if not fake.fastboot_reachable():
            raise DeviceNotFound("the phone runs its recovery")
        return real(name, **kwargs)

    monkeypatch.setattr(link, "connect_fastboot", connect)
    return fake


def _request(running, fake: FakeRecovery, **kwargs) -> journey.Request:
    return journey.Request(name=running.name, rom="lineageos", timeout=1.0, recovery=fake.connect, **kwargs)


def _install(request: journey.Request, ui: ScriptedUI) -> None:
    lnk = request.link()
    seen = journey.identify(lnk)
    plan = journey.plan_for(request, seen)
    journey.preflight(plan, seen)
    lnk.close()
    journey.obtain(plan, lambda: None)
    journey.start(plan, seen, lnk, ui, kit=request.kit)


def _assert_installed(running, fake: FakeRecovery, build: Published) -> None:
    for partition, image in FLASHED.items():
        assert running.partition(partition) == build.images[image].read_bytes(), partition
    assert fake.sideloaded and fake.sideloaded[-1] == build.rom_zip.read_bytes()
    assert fake.reboots[-1] in ("adb:", "fastboot:system")
    journals = all_journals()
    assert len(journals) == 1 and journals[0].finished
    sent = " ".join(running.phone.commands_received)
    assert "lock" not in sent.replace("unlocked", "")  # never `flashing lock` / `oem lock`


def test_whole_journey(phone_factory, monkeypatch, env, alioth_build: Published) -> None:
    running = phone_factory(unlocked=True)
    fake = _fake_recovery(running, monkeypatch)
    ui = ScriptedUI(fake)
    _install(_request(running, fake), ui)
    _assert_installed(running, fake, alioth_build)
    assert ui.finished_steps == list(range(1, 16))
    assert ui.acknowledged == [3, 11, 12]  # firmware, format data, apply from ADB; unlock steps moot
    assert fake.reboots == ["fastboot:recovery", "adb:"]


# step -> how it fails. Numbers are the alioth journey's steps (see test_plan).
FAULTS = {
    "3 instruct: Ctrl+C": dict(stop_at=3),
    "4 reboot: Ctrl+C": dict(stop_at=4),
    # the probe before the reboot and the wait both stall (one stall alone is waited out); the
    # second fault counts only the commands the first let through, so both say #2
    "5 wait for bootloader: stall": dict(
        faults=["stall:getvar:is-userspace#2", "stall:getvar:is-userspace#2"]
    ),
    "6 flash boot: cable pulled mid-download": dict(faults=["disconnect@100000"]),
    "7 flash dtbo: FAIL": dict(faults=["fail:flash:dtbo_a=Flashing failed"]),
    "8 flash vendor_boot: stall": dict(faults=["stall:download#3"]),
    "9 reboot recovery: FAIL": dict(faults=["fail:reboot-recovery=reboot refused"]),
    "10 wait for recovery: never comes": dict(refuse_connects=50),
    "11 instruct: Ctrl+C": dict(stop_at=11),
    "13 wait for sideload: menu not chosen": dict(skip_menu=True),
    "14 sideload: link drops": dict(fail_sideload=1),
    "15 reboot system: Ctrl+C": dict(stop_at=15),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_fault_then_resume(case: str, phone_factory, monkeypatch, env, alioth_build: Published) -> None:
    spec = FAULTS[case]
    step = int(case.split()[0])
    running = phone_factory(unlocked=True, faults=[parse_fault(f) for f in spec.get("faults", [])])
    fake = _fake_recovery(running, monkeypatch)
    fake.refuse_connects = spec.get("refuse_connects", 0)
    fake.fail_sideload = spec.get("fail_sideload", 0)
    ui = ScriptedUI(fake, stop_at=spec.get("stop_at"), skip_menu=spec.get("skip_menu", False))
    with pytest.raises((UnlockerError, KeyboardInterrupt)):
        _install(_request(running, fake), ui)
    stopped = all_journals()[0]
    assert stopped.state == "stopped"
    assert stopped.first_unfinished() == step
    fake.refuse_connects = 0
    done_before = set(ui.finished_steps)
    acknowledged_before = list(ui.acknowledged)

    journey.resume(_request(running, fake), ui)
    _assert_installed(running, fake, alioth_build)
    # nothing that had finished was run again: no step finished twice, no instruction asked twice,
    # each partition flashed once (plus the failed attempt at the faulty step)
    assert sorted(ui.finished_steps) == list(range(1, 16))
    assert not done_before & set(ui.finished_steps[len(done_before) :])
    again = [n for n in ui.acknowledged[len(acknowledged_before) :] if n in acknowledged_before]
    assert again == [], again  # back in sideload mode by `adb reboot sideload`, not by asking again
    flashes = Counter(c.split(":")[1] for c in running.phone.commands_received if c.startswith("flash:"))
    faulty = {7: "dtbo_a"}.get(step)  # the FAILed flash command; a stalled download sends none
    for partition in FLASHED:
        assert flashes[partition] == (2 if partition == faulty else 1), (partition, flashes)
    assert len(fake.sideloaded) == 1
