"""Plain-language next steps for the FAIL messages bootloaders send in the field.

Strings: ABL FastbootCmds.c, AOSP fastboot/device/commands.cpp, tracker reports
(see shared reference fastboot-protocol.md section 5).
"""

from __future__ import annotations

_HINTS: tuple[tuple[str, str], ...] = (
    ("not allowed in lock state", "The bootloader is locked: unlock it first (`unlocker unlock`)."),
    (
        "not allowed on locked devices",
        "The bootloader is locked: reboot to the bootloader and unlock it first.",
    ),
    ("not supported in locked device", "The bootloader is locked: unlock it first (`unlocker unlock`)."),
    ("critical partitions", "This partition is critical: it needs `flashing unlock_critical` first."),
    ("token verify failed", "The phone rebooted since its token was read: run `unlocker unlock` again now."),
    (
        "partition not found",
        "No such partition here; logical partitions need fastbootd (`unlocker reboot fastboot`).",
    ),
    (
        "more than max allowed",
        "The image is larger than the phone accepts at once; unlocker splits it if you use `unlocker flash`.",
    ),
    (
        "unrecognized command flashing",
        "fastbootd cannot do this: reboot to the bootloader (`unlocker reboot bootloader`).",
    ),
    (
        "unable to open fastboot hal",
        "fastbootd cannot do this: reboot to the bootloader (`unlocker reboot bootloader`).",
    ),
)


def hint_for_failure(message: str) -> str | None:
    text = message.lower()
    for marker, hint in _HINTS:
        if marker in text:
            return hint
    return None
