"""Plain-language next steps for the FAIL messages bootloaders send in the field.

Strings: ABL FastbootCmds.c, AOSP fastboot/device/commands.cpp, tracker reports
(see shared reference fastboot-protocol.md section 5). The client attaches the hint to the
FastbootFailure it raises, so every layer above gets the explanation with the error.
"""

from __future__ import annotations

from unlocker import commands
from unlocker.i18n import N_, _

_LOCKED = N_("The bootloader is locked: unlock it first ({command}).")
_FASTBOOTD_CANNOT = N_("fastbootd cannot do this: reboot to the bootloader ({command}).")

# (marker in the phone's lower-cased message, hint, command the hint names)
_HINTS: tuple[tuple[str, str, str | None], ...] = (
    ("not allowed in lock state", _LOCKED, commands.UNLOCK),
    (
        "not allowed on locked devices",
        N_("The bootloader is locked: reboot to the bootloader and unlock it first."),
        None,
    ),
    ("not supported in locked device", _LOCKED, commands.UNLOCK),
    (
        "critical partitions",
        N_("This partition is critical: it needs `flashing unlock_critical` first."),
        None,
    ),
    (
        "token verify failed",
        N_("The phone rebooted since its token was read: run {command} again now."),
        commands.UNLOCK,
    ),
    (
        "partition not found",
        N_("No such partition here; logical partitions need fastbootd ({command})."),
        commands.REBOOT_FASTBOOTD,
    ),
    (
        "more than max allowed",
        N_("The image is larger than the phone accepts at once; unlocker splits it if you use {command}."),
        commands.FLASH,
    ),
    ("unrecognized command flashing", _FASTBOOTD_CANNOT, commands.REBOOT_BOOTLOADER),
    ("unable to open fastboot hal", _FASTBOOTD_CANNOT, commands.REBOOT_BOOTLOADER),
)


def hint_for_failure(message: str) -> str | None:
    """The next step for a bootloader's FAIL text, translated; None when we know nothing better."""
    text = message.lower()
    for marker, hint, command in _HINTS:
        if marker in text:
            return _(hint).format(command=commands.show(command) if command else "")
    return None
