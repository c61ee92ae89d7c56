"""The lock-state report: the phone's facts as ``unlocker status`` shows them, and the next step.

Unknown values stay None (JSON null): a volunteer must be able to trust every field.
"""

from __future__ import annotations

from unlocker import commands
from unlocker.device.facts import FASTBOOTD, RECOVERY, SIDELOAD, PhoneFacts
from unlocker.device.identity import uncertain_codename_note
from unlocker.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The keys of ``unlocker status --json``, in order. Scripts depend on them: keep them stable.
STATUS_FIELDS = (
    "mode",
    "product",
    "serial",
    "unlocked",
    "critical_unlocked",
    "secure",
    "unlock_ability",
    "anti_rollback",
    "slot_count",
    "current_slot",
    "max_download_size",
    "battery",
    "next_step",
)


def battery(facts: PhoneFacts) -> dict[str, object] | None:
    if facts.battery_voltage_mv is None and facts.battery_soc_ok is None:
        return None
    return {"voltage_mv": facts.battery_voltage_mv, "soc_ok": facts.battery_soc_ok}


def status_report(facts: PhoneFacts) -> dict[str, Any]:
    """The ``status --json`` object (``STATUS_FIELDS``, in that order)."""
    report: dict[str, Any] = {
        name: getattr(facts, name) for name in STATUS_FIELDS if name not in ("battery", "next_step")
    }
    report["battery"] = battery(facts)
    report["next_step"] = next_step(facts)
    return {name: report[name] for name in STATUS_FIELDS}


def next_step(facts: PhoneFacts) -> str:
    """One plain sentence: what the owner should do now."""
    unlock = commands.show(commands.UNLOCK)
    leave = commands.show(commands.REBOOT_BOOTLOADER)
    if facts.mode in (RECOVERY, SIDELOAD, "device"):
        return adb_next_step(facts)
    if facts.mode == FASTBOOTD:
        if facts.unlocked is False:
            return _("Phone is in fastbootd and locked: run {reboot}, then {unlock}.").format(
                reboot=leave, unlock=unlock
            )
        return _("Phone is in fastbootd: flash logical partitions, or {reboot} to leave.").format(
            reboot=leave
        )
    if facts.unlocked is None:
        return _("Lock state unknown: run {command} and share it with a volunteer.").format(
            command=commands.show(commands.STATUS_JSON)
        )
    if not facts.unlocked and facts.unlock_ability is False:
        return _(
            "Bootloader is locked and unlocking is switched off: enable 'OEM unlocking' in Settings > "
            "Developer options, then run {unlock}."
        ).format(unlock=unlock)
    # A platform name reported as `product` is not a codename to build commands from.
    uncertain = uncertain_codename_note(facts)
    if not facts.unlocked:
        step = _("Bootloader is locked: run {unlock} (this erases all data on the phone).").format(
            unlock=unlock
        )
        return _("{step} {note}").format(step=step, note=uncertain) if uncertain else step
    if facts.battery_soc_ok is False:
        return _("Bootloader is unlocked but the battery is low: charge the phone before flashing.")
    if uncertain:
        return _("Bootloader is unlocked. {note} Then see {command} and install a ROM.").format(
            note=uncertain, command=commands.show(commands.ROMS, "CODENAME")
        )
    product = facts.product or "CODENAME"
    return _("Bootloader is unlocked: see {command} and install a ROM.").format(
        command=commands.show(commands.ROMS, product)
    )


def adb_next_step(facts: PhoneFacts) -> str:
    """The next step for a phone that speaks adb: in recovery, waiting for a package, or in Android."""
    sideload = commands.show(commands.SIDELOAD, "ROM.zip")
    if facts.mode == SIDELOAD:
        return _("Phone's recovery is waiting for a package (sideload mode): run {command}.").format(
            command=sideload
        )
    if facts.mode == "device":
        to_bootloader = commands.show(commands.ADB_REBOOT_BOOTLOADER)
        if facts.unlocked is False:
            return _(
                "Phone is running Android and its bootloader is locked: run {reboot}, then {unlock}."
            ).format(reboot=to_bootloader, unlock=commands.show(commands.UNLOCK))
        return _("Phone is running Android: run {reboot}, then {status} shows what to do next.").format(
            reboot=to_bootloader, status=commands.show(commands.STATUS)
        )
    last = facts.last_install or {}
    if last.get("ok") == "1":
        build = last.get("post_build") or last.get("package") or "?"
        return _(
            "Phone is in recovery and installed {build}: if you have nothing more to install, run {command}."
        ).format(build=build, command=commands.show(commands.ADB_REBOOT))
    if last.get("ok") == "0":
        return _(
            "Phone is in recovery and its last install failed ({error}): choose 'Apply from ADB' on its "
            "screen and send the right package with {command}."
        ).format(error=last.get("error") or "?", command=sideload)
    return _(
        "Phone is in recovery: choose 'Apply update' > 'Apply from ADB' on its screen, then run {command}."
    ).format(command=sideload)
