"""The commands of ``unlocker``: the module that defines each, and the line ``--help`` lists for it.

Modules are imported only when their command runs, so ``unlocker flash`` does not pay for requests,
cryptography or the YAML index at start-up; ``unlocker --help`` lists the commands from the lines
below and imports none of them. Each line is the command's own short help, or, for the commands
in :data:`WHOLE_HELP`, its whole (one-sentence) help, which click shortens to the terminal's width
as it would for the command itself. tests/cli/test_registry.py checks both against the commands.
"""

from __future__ import annotations

from unlocker.i18n import N_

# Command name -> the module of unlocker.cli that defines it.
COMMANDS: dict[str, str] = {
    "status": "device_cmds",
    "devices": "device_cmds",
    "getvar": "device_cmds",
    "unlock": "unlock_cmds",
    "wait": "unlock_cmds",
    "login": "unlock_cmds",
    "logout": "unlock_cmds",
    "flash": "flash_cmds",
    "wipe-super": "flash_cmds",
    "erase": "flash_cmds",
    "reboot": "flash_cmds",
    "set-active": "flash_cmds",
    "boot": "flash_cmds",
    "sparse": "sparse_cmds",
    "device": "index_cmds",
    "roms": "index_cmds",
    "index": "index_cmds",
    "download": "download_cmds",
    "install": "install_cmds",
    "kit": "install_cmds",
    "doctor": "support_cmds",
    "report": "support_cmds",
    "emulate": "emulate_cmd",
    "sideload": "adb_cmds",
    "adb": "adb_cmds",
    "inspect": "stock_cmds",
    "stock": "stock_cmds",
    "payload": "stock_cmds",
    "explain": "explain_cmd",
    "guide": "guide_cmd",
    "udev": "udev_cmds",
}

# Command name -> its line in `unlocker --help` (translated when shown).
LINES: dict[str, str] = {
    "status": N_("Report lock state and everything that decides the next step."),
    "devices": N_("List phones in fastboot mode on USB (serial, transport, product)."),
    "getvar": N_("Print one bootloader variable (or `all`)."),
    "unlock": N_("Unlock the bootloader the official way (this erases the phone)."),
    "wait": N_("How long Xiaomi's waiting period still runs, without a phone (from the last server answer)."),
    "login": N_("Log in to your Mi account; the session is stored privately (mode 0600) and reused."),
    "logout": N_("Forget the stored Mi account session."),
    "flash": N_("Write IMAGE (raw or Android sparse) into PARTITION."),
    "wipe-super": N_("Reset the super partition to the empty layout in SUPER_EMPTY."),
    "erase": N_("Erase PARTITION (its data is gone for good)."),
    "reboot": N_("Reboot the phone (to the system, or to bootloader, recovery or fastbootd)."),
    "set-active": N_("Make SLOT the one the phone boots next (A/B phones)."),
    "boot": N_("Boot IMAGE once without flashing it (e.g. a recovery)."),
    "sparse": N_("Inspect and convert Android sparse images."),
    "device": N_(
        "What the index knows about CODENAME (aliases resolve): unlock, A/B, partitions, install method."
    ),
    "roms": N_("ROMs and known builds for CODENAME (default: the connected phone's `getvar product`)."),
    "index": N_("Check the firmware index and refresh its builds from the ROM projects."),
    "download": N_("Download URL (and mirrors) resumably; keep it only if its sha256 matches."),
    "install": N_("Install a vendor-independent ROM on the connected phone, step by step."),
    "kit": N_("Download everything an install needs into a directory, for offline use."),
    "doctor": N_("Check this computer's setup (libusb, udev rules, permissions, phones on USB)."),
    "report": N_("A support report to share with a volunteer: serials, tokens and account ids are redacted."),
    "emulate": N_("Run a virtual phone that speaks fastboot over TCP."),
    "sideload": N_("Install a ROM zip through the phone's recovery (adb sideload)."),
    "adb": N_("Talk to a phone in recovery, sideload mode or Android (with USB debugging) over adb."),
    "inspect": N_("Say what a firmware file is and what it holds."),
    "stock": N_("Flash a Xiaomi fastboot ROM, or an OTA's firmware, safely."),
    "payload": N_("Work with A/B OTA payloads (payload.bin, alone or inside an OTA zip)."),
    "explain": N_("Explain a message that stopped you: what it means and what to do."),
    "guide": N_("The ways out for a region-locked or remotely disabled phone, safest first."),
    "udev": N_("Linux USB access rules (udev) for phones."),
}

# Commands whose line is their whole help (they have no short help of their own).
WHOLE_HELP = frozenset(
    {"getvar", "wait", "login", "logout", "erase", "reboot", "set-active", "boot", "adb", "payload", "udev"}
)
