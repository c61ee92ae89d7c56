"""Running the journey in process, with a script playing the person (for the fault and refusal tests).

The phone is the real virtual phone (fastboot and its recovery over adb); only the terminal is
replaced: ``ScriptedUI`` presses Enter at every instruction and, when told to choose "Apply from
ADB", does it through the virtual recovery's documented control (``touch STATE_DIR/apply-from-adb``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conftest import RunningPhone
from unlocker.flashing.progress import SilentReporter
from unlocker.install import journey
from unlocker.install.adb_link import connect_recovery
from unlocker.install.plan import ROLE_SIDELOAD_MENU, InstallPlan, PlannedStep


@dataclass
class ScriptedUI:
    running: RunningPhone
    stop_at: int | None = None  # Ctrl+C when this step is announced
    skip_menu: bool = False  # the person does not choose Apply from ADB once
    announced: list[int] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    finished_steps: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def announce(self, step: PlannedStep, total: int) -> None:
        self.announced.append(step.number)
        if step.number == self.stop_at:
            self.stop_at = None
            raise KeyboardInterrupt

    def note(self, message: str) -> None:
        self.notes.append(message)

    def acknowledge(self, step: PlannedStep) -> None:
        self.acknowledged.append(step.number)
        if step.role == ROLE_SIDELOAD_MENU:
            if not self.skip_menu:
                self.running.phone.recovery.control_path.touch()
            self.skip_menu = False

    def confirm(self, question: str) -> None:
        pass

    def finished(self, step: PlannedStep, total: int, record: dict[str, Any]) -> None:
        self.finished_steps.append(step.number)

    def flash_reporter(self) -> SilentReporter:
        return SilentReporter()

    def bytes_progress(self) -> None:
        return None


def request_for(running: RunningPhone, **kwargs: Any) -> journey.Request:
    kwargs.setdefault("rom", "lineageos")
    kwargs.setdefault("timeout", 2.0)
    return journey.Request(name=running.name, recovery=connect_recovery, **kwargs)


def install(request: journey.Request, ui: ScriptedUI) -> InstallPlan | None:
    """What `unlocker install --yes` does."""
    return journey.install(request, ui, lambda plan, seen, notes: True)
