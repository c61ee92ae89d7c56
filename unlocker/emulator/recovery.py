"""The virtual phone's recovery: its modes, what its screen asks of the person, what it installed.

A real phone in recovery runs adbd with the banner ``recovery`` (shell, getprop, reboot); when
its owner chooses "Apply update" > "Apply from ADB" the recovery stops adbd and starts minadbd,
which announces ``sideload`` and serves only ``sideload-host`` and ``reboot:`` (AOSP
bootable/recovery install/adb_install.cpp, minadbd). ``reboot:sideload`` goes straight there.
The virtual phone does the same; its owner "chooses" through a file (the documented control,
``touch STATE_DIR/apply-from-adb``) or, with ``auto_apply_from_adb``, at once.

What the recovery installed is kept as ``STATE_DIR/sideloaded.zip`` with a record in
``state.json`` (``last_install``), and shown like a real recovery's
``/cache/recovery/last_install`` (``adb shell cat /cache/recovery/last_install``).
This module never imports a host-side client: only the shared adb parsers.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from unlocker import commands
from unlocker.adb import pubkey
from unlocker.adb.banner import make_banner
from unlocker.adb.message import A_VERSION
from unlocker.emulator.profiles import Profile
from unlocker.i18n import _

RECOVERY = "recovery"
SIDELOAD = "sideload"
ADB_MODES = (RECOVERY, SIDELOAD)

#: ``touch STATE_DIR/apply-from-adb``: the person chooses "Apply from ADB" on the recovery's screen.
APPLY_FROM_ADB = "apply-from-adb"
#: The hosts this phone trusts (one Android-format public key per line), like /data/misc/adb/adb_keys.
ADB_KEYS = "adb_keys"
SIDELOADED = "sideloaded.zip"
LAST_INSTALL = "/cache/recovery/last_install"
SIDELOAD_PACKAGE = "/sideload/package.zip"  # where minadbd's FUSE shows the package


@dataclass(frozen=True)
class RecoveryOptions:
    #: adbd in recovery asks for AUTH (minadbd in sideload mode never does: AOSP b/22025550).
    auth: bool = True
    #: In recovery, choose "Apply from ADB" at once instead of waiting for the control file.
    auto_apply_from_adb: bool = False
    #: The adb protocol version the phone speaks (0x01000000: with checksums, as Android <= 8.1).
    adb_version: int = A_VERSION
    #: An Android 4.4 recovery: version 1, 4 KiB messages, the old banner, only ``sideload:SIZE``.
    legacy: bool = False


class _Phone(Protocol):
    """What the recovery uses of its VirtualPhone (the phone owns the recovery, not the reverse)."""

    profile: Profile
    state_dir: Path
    state: dict[str, Any]
    lock: threading.RLock
    epoch: int
    on_event: Callable[[str], None] | None

    @property
    def mode(self) -> str: ...
    @property
    def serial(self) -> str: ...
    @property
    def unlocked(self) -> bool: ...
    @property
    def current_slot(self) -> str: ...
    def set_mode(self, mode: str) -> None: ...
    def set_state(self, key: str, value: object) -> None: ...


class Recovery:
    """The recovery of one VirtualPhone (``phone.recovery``). Thread-safe through ``phone.lock``."""

    def __init__(self, phone: _Phone, options: RecoveryOptions) -> None:
        self.phone = phone
        self.options = options

    # --- modes ----------------------------------------------------------------------------------

    def mode_after_reboot(self, target: str) -> str:
        """The mode a reboot to ``target`` ends in. The virtual phone cannot run Android: a reboot
        to the system comes back in the bootloader, as if the person held the fastboot keys."""
        if target == RECOVERY:
            return SIDELOAD if self.options.auto_apply_from_adb else RECOVERY
        if target in ("sideload", "sideload-auto-reboot"):
            return SIDELOAD
        if target == "fastboot" and self.phone.profile.dynamic:
            return "fastbootd"
        return "bootloader"

    def entered(self, mode: str) -> None:
        """Called by the phone on every mode change: what the screen now says."""
        if mode == RECOVERY:
            # A choice made before the menu was on the screen does not count.
            with contextlib.suppress(OSError):
                self.control_path.unlink(missing_ok=True)
            self.notify(
                _(
                    "virtual phone: in recovery. To choose 'Apply update' > 'Apply from ADB' on its "
                    "screen, run: touch {path}"
                ).format(path=self.control_path)
            )
        elif mode == SIDELOAD:
            self.notify(
                _(
                    "virtual phone: recovery waits for a package (sideload mode): send it with {command}"
                ).format(command=commands.show(commands.SIDELOAD, "ROM.zip"))
            )

    @property
    def control_path(self) -> Path:
        return self.phone.state_dir / APPLY_FROM_ADB

    def check_controls(self) -> None:
        """Act on what the person chose since the last look (cheap: one stat)."""
        phone = self.phone
        if phone.mode != RECOVERY or not self.control_path.exists():
            return
        with phone.lock:
            if phone.mode != RECOVERY:
                return
            with contextlib.suppress(OSError):
                self.control_path.unlink()
            phone.state["sideload_auto_reboot"] = False
            phone.set_mode(SIDELOAD)

    def notify(self, text: str) -> None:
        if self.phone.on_event is not None:
            self.phone.on_event(text)

    # --- what it says about itself ---------------------------------------------------------------

    def banner_properties(self) -> dict[str, str]:
        profile = self.phone.profile
        return {
            "ro.product.name": profile.product,
            "ro.product.model": profile.model or profile.product,
            "ro.product.device": profile.product,
        }

    def banner(self, mode: str) -> bytes:
        if self.options.legacy:
            return make_banner(mode, self.banner_properties(), features=None)
        return make_banner(mode, self.banner_properties(), features=())

    def properties(self) -> dict[str, str]:
        """What ``getprop`` answers in recovery."""
        phone = self.phone
        profile = phone.profile
        unlocked = phone.unlocked
        props = {
            **self.banner_properties(),
            "ro.product.manufacturer": "Xiaomi" if profile.vendor == "xiaomi" else "Google",
            "ro.serialno": phone.serial,
            "ro.bootmode": RECOVERY,
            "ro.boot.flash.locked": "0" if unlocked else "1",
            "ro.boot.verifiedbootstate": "orange" if unlocked else "green",
            "ro.build.type": "user",
        }
        if profile.ab:
            props["ro.boot.slot_suffix"] = "_" + phone.current_slot
        return dict(sorted(props.items()))

    def shell(self, command: str) -> bytes:
        """The output of ``shell:COMMAND`` (recovery's toybox, as far as a host needs it)."""
        words = command.split()
        if words[:1] == ["getprop"]:
            props = self.properties()
            if len(words) > 1:
                return (props.get(words[1], "") + "\n").encode()
            return "".join(f"[{k}]: [{v}]\n" for k, v in props.items()).encode()
        if words == ["cat", LAST_INSTALL]:
            text = self.last_install_text()
            if text is None:
                return f"cat: {LAST_INSTALL}: No such file or directory\n".encode()
            return text.encode()
        name = words[0] if words else ""
        return f"/system/bin/sh: {name}: inaccessible or not found\n".encode()

    # --- trusted hosts --------------------------------------------------------------------------

    @property
    def keys_path(self) -> Path:
        return self.phone.state_dir / ADB_KEYS

    def trusted_keys(self) -> list[tuple[int, int]]:
        try:
            lines = self.keys_path.read_text(encoding="ascii", errors="replace").splitlines()
        except OSError:
            return []
        keys = []
        for line in lines:
            with contextlib.suppress(ValueError):
                keys.append(pubkey.from_text(line))
        return keys

    def trust(self, key_text: bytes) -> bool:
        """The person taps "Allow" (with "Always allow"): the key joins the trusted ones."""
        try:
            pubkey.from_text(key_text)
        except ValueError:
            return False  # adbd ignores a key it cannot read
        line = key_text.rstrip(b"\0").decode("ascii", "replace").strip()
        with open(self.keys_path, "a", encoding="ascii", errors="replace") as f:
            f.write(line + "\n")
        comment = line.partition(" ")[2] or "?"
        self.notify(_("virtual phone: allowed USB debugging from {host}").format(host=comment))
        return True

    # --- installs -------------------------------------------------------------------------------

    @property
    def sideloaded_path(self) -> Path:
        return self.phone.state_dir / SIDELOADED

    def record_install(self, record: dict[str, Any]) -> None:
        self.phone.set_state("last_install", record)
        if record.get("ok"):
            self.notify(
                _("virtual phone: installed the sideloaded package ({size} bytes), kept as {path}").format(
                    size=record.get("size"), path=self.sideloaded_path
                )
            )
        else:
            self.notify(
                _("virtual phone: installation aborted: {reason}").format(reason=record.get("error", "?"))
            )

    def last_install_text(self) -> str | None:
        """``/cache/recovery/last_install``: package, 1 or 0, then what we know about it."""
        record = self.phone.state.get("last_install")
        if not record:
            return None
        lines = [record.get("package", SIDELOAD_PACKAGE), "1" if record.get("ok") else "0"]
        for key in ("size", "sha256", "post_build", "pre_device", "error"):
            if record.get(key) not in (None, ""):
                lines.append(f"{key}: {record[key]}")
        return "\n".join(lines) + "\n"

    def part_path(self) -> Path:
        return self.phone.state_dir / "sideload.part"

    def discard_part(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.part_path())
