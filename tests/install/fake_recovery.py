"""An in-process recovery for the runner's own tests: the install's RecoveryLink interface, played
over the virtual phone.

The virtual phone's fastboot side is real (it speaks the wire protocol); this fake stands for the
recovery the phone boots into after ``reboot recovery``: while it "runs", fastboot is unreachable
(as on a real phone), ``identity`` answers like an adb banner, and ``sideload`` keeps the package.
Faults: ``refuse_connects`` (the recovery is not up yet), ``fail_sideload`` (the link drops
half-way), ``apply_from_adb`` (what the person does in the recovery's menu).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunningPhone
from unlocker.errors import DeviceDisconnected, DeviceNotFound
from unlocker.install.link import Seen


class FakeRecovery:
    def __init__(self, running: RunningPhone) -> None:
        self.running = running
        self.phone = running.phone
        self.mode: str | None = None  # None: the phone is in fastboot; "recovery" / "sideload"
        self.sideloaded: list[bytes] = []
        self.sideload_attempts = 0
        self.refuse_connects = 0
        self.fail_sideload = 0
        self.reboots: list[str] = []
        original = self.original_reboot = self.phone.reboot

        def reboot(target: str) -> None:
            self.reboots.append(f"fastboot:{target}")
            original(target)
            if target == "recovery":
                self.mode = "recovery"

        self.phone.reboot = reboot  # type: ignore[method-assign]

    # what the person does with the buttons
    def apply_from_adb(self) -> None:
        if self.mode == "recovery":
            self.mode = "sideload"

    def connect(self, name: str | None) -> FakeRecoveryLink:
        if self.mode is None:
            raise DeviceNotFound("no recovery")
        if self.refuse_connects:
            self.refuse_connects -= 1
            raise DeviceNotFound("recovery still starting")
        return FakeRecoveryLink(self, name or "")

    def fastboot_reachable(self) -> bool:
        return self.mode is None


class FakeRecoveryLink:
    def __init__(self, fake: FakeRecovery, name: str) -> None:
        self.fake = fake
        self.name = name

    def identity(self) -> Seen:
        assert self.fake.mode is not None
        return Seen(
            mode=self.fake.mode, product=self.fake.phone.profile.product, serial=self.fake.phone.serial
        )

    def sideload(self, path: Path, progress) -> None:  # noqa: ANN001 - the runner's callback
        fake = self.fake
        assert fake.mode == "sideload", "sideload outside sideload mode"
        fake.sideload_attempts += 1
        if fake.fail_sideload:
            fake.fail_sideload -= 1
            fake.mode = "recovery"  # the recovery aborts the install and shows its menu again
            raise DeviceDisconnected("connection lost half-way through the package")
        fake.sideloaded.append(path.read_bytes())
        fake.mode = "recovery"

    def reboot(self, target: str) -> None:
        fake = self.fake
        fake.reboots.append(f"adb:{target}")
        if target == "sideload":
            fake.mode = "sideload"
        elif target == "recovery":
            fake.mode = "recovery"
        else:
            fake.mode = None
            fake.original_reboot("bootloader" if target == "bootloader" else "system")

    def close(self) -> None:
        pass
