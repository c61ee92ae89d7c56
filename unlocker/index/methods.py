"""Install methods: expand a method's declarative steps for one device.

A method is an ordered list of steps (reboot to a mode, wait for a mode, flash a partition from an
artefact, boot an image, wipe-super, sideload, instruct the user). Steps may ``use`` another method
(spliced in place), apply only ``when`` a device condition holds, and repeat ``for_each`` partition
of the device's boot stack. Expansion is a pure function: the guided installer executes its result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from unlocker import commands
from unlocker.i18n import _
from unlocker.index.model import Device, Method

ACTIONS = ("reboot", "wait_for", "flash", "boot", "wipe_super", "sideload", "instruct", "use")
ARTEFACT_ACTIONS = ("flash", "boot", "wipe_super", "sideload")


class MethodError(Exception):
    """A method cannot be expanded (unknown method, a cycle of ``use``)."""


def condition_holds(condition: str | None, device: Device) -> bool:
    if condition is None:
        return True
    checks = {
        "ab": device.ab is True,
        "not_ab": device.ab is not True,
        "wipe_super": device.wipe_super,
        "boot_stack": bool(device.boot_stack),
        "flash_recovery": not device.recovery_via_fastboot_boot,
        "boot_recovery": device.recovery_via_fastboot_boot,
        "required_firmware": bool(device.firmware),
        "mi_unlock": device.unlock.get("method") == "mi_unlock",
        "fastboot_command_unlock": device.unlock.get("method") == "fastboot_command",
    }
    if condition not in checks:
        raise MethodError(_("unknown condition '{condition}'").format(condition=condition))
    return checks[condition]


def action_of(step: Mapping[str, Any]) -> str:
    """The one action key of a step (validation guarantees there is exactly one)."""
    found = [a for a in ACTIONS if a in step]
    if len(found) != 1:
        raise MethodError(
            _("a step needs exactly one action of {actions}; found {found}").format(
                actions=", ".join(ACTIONS), found=", ".join(found) or _("none")
            )
        )
    return found[0]


def _substitute(value: str, device: Device, item: str | None) -> str:
    if value == "$recovery_partition":
        return device.recovery_partition
    if value == "$item":
        if item is None:
            raise MethodError(_("'$item' is only meaningful in a step with for_each"))
        return item
    return value


@dataclass(frozen=True)
class Step:
    """One concrete step for one device: ``action`` plus its resolved arguments."""

    action: str
    mode: str | None = None
    partition: str | None = None
    artefact: str | None = None
    text: str | None = None
    confirm: bool = False
    method: str = ""  # the method the step came from (for messages)
    when: str | None = None  # the condition that put the step in (the installer gives some a role)

    def describe(self) -> str:
        """The step in plain words (an ``instruct`` step's text is the index's own)."""
        if self.action == "reboot":
            return _("reboot to {mode}").format(mode=self.mode)
        if self.action == "wait_for":
            return _("wait for {mode} mode").format(mode=self.mode)
        if self.action == "flash":
            return _("flash the {artefact} image to {partition}").format(
                artefact=self.artefact, partition=self.partition
            )
        if self.action == "boot":
            return _("boot {artefact} ({command})").format(artefact=self.artefact, command="fastboot boot")
        if self.action == "wipe_super":
            return _("wipe-super with {artefact}").format(artefact=self.artefact)
        if self.action == "sideload":
            return f"{commands.SIDELOAD} {self.artefact}"  # a command line: the same in every language
        return str(self.text)


def expand(method_name: str, methods: Mapping[str, Method], device: Device) -> list[Step]:
    """The concrete steps of ``method_name`` for ``device``, ``use`` spliced, conditions applied."""
    return _expand(method_name, methods, device, ())


def _expand(name: str, methods: Mapping[str, Method], device: Device, stack: tuple[str, ...]) -> list[Step]:
    if name in stack:
        raise MethodError(
            _("methods use each other in a cycle: {cycle}").format(cycle=" -> ".join((*stack, name)))
        )
    method = methods.get(name)
    if method is None:
        raise MethodError(_("no install method named '{name}'").format(name=name))
    out: list[Step] = []
    for raw in method.steps:
        if not condition_holds(raw.get("when"), device):
            continue
        action = action_of(raw)
        if action == "use":
            out.extend(_expand(raw["use"], methods, device, (*stack, name)))
            continue
        items: list[str | None] = list(device.boot_stack) if raw.get("for_each") == "$boot_stack" else [None]
        for item in items:
            out.append(_step(action, raw, device, item, name))
    return out


def _step(action: str, raw: Mapping[str, Any], device: Device, item: str | None, method: str) -> Step:
    value = raw[action]
    if action in ("reboot", "wait_for"):
        return Step(action, mode=value, method=method, when=raw.get("when"))
    if action == "instruct":
        return Step(action, text=value, confirm=bool(raw.get("confirm")), method=method, when=raw.get("when"))
    partition = _substitute(value["partition"], device, item) if "partition" in value else None
    return Step(
        action,
        partition=partition,
        artefact=_substitute(value["artefact"], device, item),
        method=method,
        when=raw.get("when"),
    )


def artefacts_needed(steps: list[Step]) -> list[str]:
    """Artefact ids the steps read, in first-use order."""
    seen: list[str] = []
    for step in steps:
        if step.artefact and step.artefact not in seen:
            seen.append(step.artefact)
    return seen
