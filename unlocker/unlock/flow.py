"""What an unlock flow is: the inputs every flow gets and the outcome it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from unlocker.device.facts import PhoneFacts
from unlocker.fastboot.client import FastbootClient

Confirm = Callable[[str], None]  # raises Aborted when the person says no
Notify = Callable[[str], None]


@dataclass(frozen=True)
class UnlockMethod:
    """The index's ``unlock`` entry for a device: ``method`` names the flow."""

    method: str  # "mi_unlock", "fastboot_command", "not_unlockable", "unknown"
    command: str | None = None  # for fastboot_command: e.g. "fastboot flashing unlock"
    token_command: str | None = None  # for mi_unlock: "getvar token" or "oem get_token"
    source: str = "index"  # "index", or "phone" when guessed from the phone's answers


@dataclass(frozen=True)
class UnlockContext:
    """How a flow talks to the person, and their choices."""

    confirm: Confirm
    notify: Notify
    region: str | None = None  # Mi Unlock: server region chosen on the command line


@dataclass
class UnlockOutcome:
    unlocked: bool  # the phone reports unlocked now
    wiped: bool | None  # whether the unlock erased the phone (None: unknown)
    pending_on_phone: bool = False  # the phone asks the person to confirm on its screen
    already: bool = False  # it was unlocked before: nothing was done


class UnlockFlow(Protocol):
    #: the index's ``unlock.method`` this flow serves
    name: str
    #: lower runs first when the phone's answers decide (no index entry)
    priority: int

    def recognises(self, client: FastbootClient, facts: PhoneFacts) -> bool:
        """Whether the phone's own answers say this flow applies (used without an index entry)."""
        ...

    def run(
        self, client: FastbootClient, facts: PhoneFacts, method: UnlockMethod, context: UnlockContext
    ) -> UnlockOutcome:
        """Unlock the phone, or raise an UnlockerError saying why not and what to do."""
        ...
