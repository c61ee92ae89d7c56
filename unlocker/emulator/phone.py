"""VirtualPhone: the persistent state of one virtual phone and its partition storage.

State lives in a directory so it survives restarts and can be inspected:
``state.json`` (lock state, slots, logical partition sizes, ...) and
``partitions/NAME.img``, one raw file per partition holding exactly what was written.
Commands are answered by ``unlocker.emulator.session.Session``: build one per connection with
``Session(phone)``. The dependency is one-way (session knows the phone, the phone never knows
sessions), so this module imports nothing from ``session``.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import BinaryIO

from unlocker.emulator.faults import Fault
from unlocker.emulator.profiles import PROFILES, Profile
from unlocker.emulator.recovery import Recovery, RecoveryOptions
from unlocker.emulator.staging import StagingPool
from unlocker.emulator.token import make_token
from unlocker.sparse.fileranges import copy_range, write_data

# What a partition may be called on the virtual phone: a name, never a path (no "/", no "..").
# Names come from whoever connects (with --host 0.0.0.0, from the network).
_PARTITION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class BadPartitionName(ValueError):
    """A partition name that could reach outside the state dir; sessions answer FAIL."""


def check_partition_name(name: str) -> str:
    """``name`` itself when it is a plain partition name; BadPartitionName otherwise."""
    if not _PARTITION_NAME.fullmatch(name) or ".." in name:
        raise BadPartitionName(name)
    return name


def default_unlock_public_key() -> bytes:
    """The test key shipped with the package: its private half lives in tests/keys/."""
    return resources.files("unlocker.emulator").joinpath("keys/unlock_test_public.pem").read_bytes()


class VirtualPhone:
    """One virtual phone. Thread-safe: sessions take ``lock`` around every command."""

    def __init__(
        self,
        state_dir: Path | str,
        profile: Profile | str = "xiaomi-qcom",
        *,
        unlocked: bool | None = None,
        max_download_size: int | None = None,
        unlock_public_key_pem: bytes | None = None,
        faults: list[Fault] | None = None,
        variables: dict[str, str] | None = None,
        serial: str | None = None,
        unlock_ability: int | None = None,
        recovery: RecoveryOptions | None = None,
    ) -> None:
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.state_dir = Path(state_dir)
        (self.state_dir / "partitions").mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.faults = list(faults or [])
        self.variable_overrides = dict(variables or {})
        self.max_download_size = max_download_size or self.profile.max_download_size
        # An explicit limit applies in fastbootd too, so tests can force splitting there.
        self.explicit_max_download_size = max_download_size
        # 'OEM unlocking' in Developer options: the owner's switch that allows unlocking at all.
        self.unlock_ability = self.profile.unlock_ability if unlock_ability is None else unlock_ability
        self._unlock_key = unlock_public_key_pem
        self.download_bytes_seen = 0  # for disconnect@BYTES faults
        # Where downloads land, like a phone's download buffer in RAM: kept between connections.
        self.staging = StagingPool(self.state_dir)
        # Every command received, newest last (bounded): lets tests and a practising person see
        # exactly what a client sent, e.g. that no variable is asked twice.
        self.commands_received: collections.deque[str] = collections.deque(maxlen=10_000)
        # Counts mode changes: a connection made in an older epoch belongs to a mode that is gone.
        self.epoch = 0
        # What the phone's screen says (recovery menus, installs); `unlocker emulate` prints it.
        self.on_event: Callable[[str], None] | None = None
        self.recovery = Recovery(self, recovery or RecoveryOptions())
        self.state = self._load_state(serial)
        if unlocked is not None:
            self.state["unlocked"] = unlocked
            if self.profile.vendor == "xiaomi":
                # Xiaomi's unlock opens the critical partitions too (Mi Flash writes xbl, abl, ...).
                self.state["critical_unlocked"] = unlocked
        # Starting the emulator is a power-on: the phone comes up in its profile's mode.
        self.state["mode"] = self.profile.start_mode
        self._save()
        self.token = make_token(self.profile.product, self.serial)
        self.boot_count = 1

    # --- persistent state ---------------------------------------------------------------------

    def _load_state(self, serial: str | None) -> dict:
        path = self.state_dir / "state.json"
        if path.exists():
            state = json.loads(path.read_text())
        else:
            state = {
                "serial": serial or secrets.token_hex(4),
                "unlocked": False,
                "critical_unlocked": False,
                "current_slot": "a",
                "slot_successful": {"a": True, "b": False},
                "logical_sizes": {},
                "snapshot_update_status": "none",
                "mode": "bootloader",
            }
            if self.profile.dynamic:
                suffixes = ("_a", "_b") if self.profile.ab else ("",)
                for name, size in self.profile.logical.items():
                    state["logical_sizes"][name + suffixes[0]] = size
                    for other in suffixes[1:]:
                        state["logical_sizes"][name + other] = 0
        if serial:
            state["serial"] = serial
        return state

    def _save(self) -> None:
        path = self.state_dir / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2, sort_keys=True))
        os.replace(tmp, path)

    def set_state(self, key: str, value: object) -> None:
        with self.lock:
            self.state[key] = value
            self._save()

    @property
    def serial(self) -> str:
        return self.state["serial"]

    @property
    def unlocked(self) -> bool:
        return bool(self.state["unlocked"])

    @property
    def mode(self) -> str:
        return self.state["mode"]

    @property
    def current_slot(self) -> str:
        return self.state["current_slot"]

    @property
    def unlock_public_key(self) -> bytes:
        return self._unlock_key or default_unlock_public_key()

    # --- partitions ---------------------------------------------------------------------------

    def physical_partitions(self) -> dict[str, int]:
        """GPT partitions with slot suffixes applied."""
        result: dict[str, int] = {}
        for name, size in self.profile.partitions.items():
            if self.profile.ab and name in self.profile.slotted:
                result[name + "_a"] = size
                result[name + "_b"] = size
            else:
                result[name] = size
        return result

    def logical_partitions(self) -> dict[str, int]:
        return dict(self.state["logical_sizes"]) if self.profile.dynamic else {}

    def has_slot(self, name: str) -> bool:
        return self.profile.ab and (name in self.profile.slotted or name in self.profile.logical)

    def partition_path(self, name: str) -> Path:
        return self.state_dir / "partitions" / f"{check_partition_name(name)}.img"

    def write_raw(self, name: str, source: BinaryIO | memoryview, size: int) -> None:
        """Replace the partition's content with ``size`` bytes of ``source``: memory (the staged
        download), or a file read from its position."""
        # Overwritten in place and then cut to size: the file's pages are reused, not freed and
        # allocated again. Long zero runs become holes, as on a thin-provisioned disk.
        fd = os.open(self.partition_path(name), os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        with open(fd, "r+b") as dst:
            if isinstance(source, memoryview):
                write_data(fd, 0, source[:size])
            else:
                try:
                    source_fd = source.fileno()
                except (AttributeError, OSError, ValueError):
                    shutil.copyfileobj(source, dst, 1024 * 1024)
                else:
                    with contextlib.suppress(EOFError):  # a short source: the rest reads as zeros
                        copy_range(source_fd, source.tell(), fd, 0, size)
            dst.truncate(size)

    def erase(self, name: str) -> None:
        with open(self.partition_path(name), "wb"):
            pass

    # --- lifecycle ----------------------------------------------------------------------------

    def reboot(self, target: str) -> None:
        """Reboot: a new token (its random part changes at every boot) and the mode it comes back in.

        The virtual phone cannot run Android, so a reboot to the system brings it back in its
        bootloader, as if the user held the fastboot key combination; recovery and sideload are
        its recovery's (``recovery.mode_after_reboot``).
        """
        with self.lock:
            self.state["mode"] = self.recovery.mode_after_reboot(target)
            self.state["sideload_auto_reboot"] = target == "sideload-auto-reboot"
            self.state["download_size"] = 0  # staged data lives in RAM: gone after a reboot
            self._save()
            self.token = make_token(self.profile.product, self.serial)
            self.boot_count += 1
            self.epoch += 1
            self.recovery.entered(self.mode)

    def set_mode(self, mode: str) -> None:
        """Change mode without a reboot (recovery starting or ending sideload mode)."""
        with self.lock:
            self.state["mode"] = mode
            self._save()
            self.epoch += 1
            self.recovery.entered(mode)

    def check_controls(self) -> None:
        """Act on what the person chose on the screen since the last look (see ``recovery``)."""
        self.recovery.check_controls()
