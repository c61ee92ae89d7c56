"""The command lines that messages tell a person to type, in one place.

Library code never spells a CLI command inside a message: it takes it from here, so a renamed
command changes everywhere at once, and translated messages keep the command identical (it is
a ``{command}`` placeholder, never part of the text a translator sees).
"""

from __future__ import annotations

UNLOCK = "unlocker unlock"
LOGIN = "unlocker login"
LOGOUT = "unlocker logout"
WAIT = "unlocker wait"
STATUS = "unlocker status"
STATUS_JSON = "unlocker status --json"
GETVAR = "unlocker getvar"
DEVICES = "unlocker devices"
DOCTOR = "unlocker doctor"
REPORT = "unlocker report"
ROMS = "unlocker roms"
DEVICE = "unlocker device"
REBOOT_BOOTLOADER = "unlocker reboot bootloader"
REBOOT_FASTBOOTD = "unlocker reboot fastboot"
REBOOT_RECOVERY = "unlocker reboot recovery"
SIDELOAD = "unlocker sideload"
ADB_DEVICES = "unlocker adb devices"
ADB_REBOOT = "unlocker adb reboot"
ADB_REBOOT_SIDELOAD = "unlocker adb reboot sideload"
ADB_REBOOT_BOOTLOADER = "unlocker adb reboot bootloader"
FLASH = "unlocker flash"
INDEX_UPDATE = "unlocker index update"
INDEX_VALIDATE = "unlocker index validate"
EMULATE = "unlocker emulate"
DOWNLOAD = "unlocker download"
INSTALL = "unlocker install"
INSTALL_RESUME = "unlocker install --resume"
INSTALL_STATUS = "unlocker install --status"
KIT = "unlocker kit"
INSPECT = "unlocker inspect"
STOCK = "unlocker stock"
PAYLOAD_EXTRACT = "unlocker payload extract"
EXPLAIN = "unlocker explain"
GUIDE = "unlocker guide"
UDEV_INSTALL = "unlocker udev install"
DOCTOR_NETWORK = "unlocker doctor --network"


def show(command: str, *args: str) -> str:
    """A command as messages print it: in backticks, with its arguments (``show(ROMS, "alioth")``)."""
    return "`" + " ".join([command, *args]) + "`"
