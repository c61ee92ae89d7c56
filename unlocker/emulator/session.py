"""Session: one connection to the virtual phone; turns messages in into responses out.

The transport servers (TCP, pyusb backend, umockdev) call ``feed`` with each message
(a command, or a piece of data during a download) and send back what it returns, one
message per element. Wording of failures follows the dialect the profile names (ABL,
MediaTek, AOSP bootloader, fastbootd); see shared reference fastboot-protocol.md section 5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from unlocker.emulator import variables
from unlocker.emulator.faults import Disconnect
from unlocker.emulator.phone import BadPartitionName, check_partition_name
from unlocker.emulator.staging import Staging
from unlocker.emulator.token import signature_valid, token_chunks
from unlocker.errors import ImageError
from unlocker.sparse import apply_sparse, parse_header

if TYPE_CHECKING:
    from unlocker.emulator.phone import VirtualPhone

SPARSE_MAGIC = b"\x3a\xff\x26\xed"
BOOT_MAGIC = b"ANDROID!"  # Android boot (and recovery) image header
# Fastboot commands are at most 64 bytes on ABL; AOSP allows 4096. Longer ones are refused.
MAX_COMMAND = 4096
# fastbootd refuses these during a snapshot merge (AOSP device/flashing.cpp).
_MERGE_PROTECTED = ("userdata", "metadata", "misc")
# Xiaomi's CRC lists: pseudo-partitions an ABL keeps to check later flashes (flash_all.sh).
_XIAOMI_CRC_LISTS = ("crclist", "sparsecrclist")
# Qualcomm ABL's CriticalPartitions (and Pixel bootloaders' like it): written or erased only after
# `flashing unlock_critical`, whatever `flashing unlock` allowed.
_CRITICAL = frozenset(
    {
        "abl", "aop", "bootloader", "cdt", "cmnlib", "cmnlib64", "cpucp", "ddr", "devcfg", "devinfo",
        "featenabler", "frp", "hyp", "imagefv", "keymaster", "mdtp", "multiimgoem", "partition", "pmic",
        "qupfw", "rpm", "sbl1", "secdata", "shrm", "storsec", "tz", "uefisecapp", "xbl", "xbl_config",
    }
)  # fmt: skip
# Logical partition sizes fastbootd accepts when the profile has no super partition to bound them.
_MAX_LOGICAL = 1 << 40


class Session:
    """One connection to ``phone`` (a TCP connection, or one USB enumeration): ``Session(phone)``."""

    def __init__(self, phone: VirtualPhone) -> None:
        self.phone = phone
        self.reboot_target: str | None = None
        self.stalled = False
        self._data_left = 0
        # Staged data belongs to this connection (a TCP connection, or one USB enumeration): it
        # arrives in a staging file this connection alone holds and becomes the staged data only
        # when complete, so another connection's data never mixes with it.
        self._staging = Staging(phone.staging)

    @property
    def in_data_phase(self) -> bool:
        return self._data_left > 0

    def receive_buffer(self, size: int) -> memoryview | None:
        """Where a transport may receive the next ``size`` bytes of a download in place (then pass
        that very view to ``feed``); None when it must use a buffer of its own."""
        if self.stalled or not self._data_left:
            return None
        return self._staging.window(size)

    # --- entry point --------------------------------------------------------------------------

    def feed(self, message: bytes | bytearray | memoryview) -> list[bytes]:
        """Answer one message. Download data is written out before this returns, so the caller
        may reuse the buffer behind ``message``."""
        with self.phone.lock:
            if self.stalled:
                return []
            if self._data_left:
                return self._receive_data(message)
            command = bytes(message)
            self.phone.commands_received.append(command[:MAX_COMMAND].decode("ascii", errors="replace"))
            return self._command(command)

    def close(self) -> None:
        """The link went away: its downloads are discarded, half-received or staged."""
        self._data_left = 0
        self._staging.close()

    def _abort_download(self) -> None:
        self._data_left = 0
        self._staging.abort()

    # --- data phase ---------------------------------------------------------------------------

    def _receive_data(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        phone = self.phone
        for fault in phone.faults:
            if (
                fault.after_bytes is not None
                and not fault.fired
                and phone.download_bytes_seen + len(data) >= fault.after_bytes
            ):
                fault.fired = True
                if fault.kind == "stall":
                    self.stalled = True
                    return []
                self.close()
                raise Disconnect()
        phone.download_bytes_seen += len(data)
        extra = len(data) - self._data_left
        if extra > 0:
            self._abort_download()
            return [b"FAILdata phase: more data than announced"]
        self._staging.write(data)
        self._data_left -= len(data)
        if self._data_left:
            return []
        self._staging.complete()
        return [b"OKAY"]

    # --- commands -----------------------------------------------------------------------------

    def _command(self, raw: bytes) -> list[bytes]:
        if len(raw) > MAX_COMMAND:
            return [b"FAILcommand too long"]
        try:
            command = raw.decode("ascii")
        except UnicodeDecodeError:
            return [b"FAILunknown command"]
        injected = self._fault_for(command)
        if injected is not None:
            return injected
        fastbootd = self.phone.mode == "fastbootd"
        name, _, arg = command.partition(":")
        if command.startswith("oem "):
            return self._oem(command[4:].strip())
        if command.startswith("flashing "):
            return self._flashing(command[9:].strip())
        handler = {
            "getvar": self._getvar,
            "download": self._begin_download,
            "upload": self._upload,
            "flash": self._flash,
            "erase": self._erase,
            "set_active": self._set_active,
            "boot": self._boot,
            "continue": lambda _: self._reboot("system"),
            "reboot": lambda a: self._reboot(a or "system"),
            "reboot-bootloader": lambda _: self._reboot("bootloader"),
            "reboot-recovery": lambda _: self._reboot("recovery"),
            "reboot-fastboot": lambda _: self._reboot("fastboot"),
            "snapshot-update": self._snapshot_update,
        }.get(name)
        if fastbootd:
            handler = {
                "resize-logical-partition": self._resize_logical,
                "create-logical-partition": self._create_logical,
                "delete-logical-partition": self._delete_logical,
                "update-super": self._update_super,
            }.get(name, handler)
        if handler is None:
            return [b"FAILunknown command" if not fastbootd else b"FAILUnrecognized command " + raw[:200]]
        try:
            return handler(arg)
        except BadPartitionName:
            # A name that is a path (../x, /etc/x) must never reach the state dir's files.
            return self._fail("Invalid partition name")

    def _fault_for(self, command: str) -> list[bytes] | None:
        for fault in self.phone.faults:
            if fault.after_bytes is None and fault.matches_command(command):
                if fault.kind == "disconnect":
                    self.close()
                    raise Disconnect()
                if fault.kind == "stall":
                    self.stalled = True
                    return []
                if fault.kind == "garbage":
                    return [b"\x17\x03\x01garbage that is not fastboot"]
                if fault.kind == "fail":
                    return [b"FAIL" + fault.message.encode()]
                if fault.kind == "info-flood":
                    flood = [b"INFOflood line %d" % i for i in range(1000)]
                    return flood + self._command_without_faults(command)
        return None

    def _command_without_faults(self, command: str) -> list[bytes]:
        saved, self.phone.faults = self.phone.faults, []
        try:
            return self._command(command.encode())
        finally:
            self.phone.faults = saved

    # --- helpers ------------------------------------------------------------------------------

    def _fail(self, message: str) -> list[bytes]:
        return [b"FAIL" + message.encode()[:252]]

    def _locked_message(self, action: str) -> str:
        """Wording differs: ABL '<Action> is not allowed in Lock State', fastbootd 'on locked devices'."""
        if self.phone.mode == "fastbootd":
            return f"{action} is not allowed on locked devices"
        return f"{action} is not allowed in Lock State"

    def _critical_locked(self, partition: str) -> bool:
        """ABL and AOSP bootloaders guard their critical partitions with a lock of their own."""
        phone = self.phone
        if phone.mode != "bootloader" or phone.profile.bootloader not in ("abl", "aosp"):
            return False
        base = partition[:-2] if partition.endswith(("_a", "_b")) else partition
        return base in _CRITICAL and not phone.state.get("critical_unlocked")

    def _logical_size(self, name: str, text: str) -> int | list[bytes]:
        """A new size for logical partition ``name``: a non-negative number that fits in super
        (fastbootd's ParseUint, then liblp's free-space check); a FAIL reply otherwise."""
        try:
            size = int(text, 0)
        except ValueError:
            return self._fail("Invalid partition size")
        if size < 0:
            return self._fail("Invalid partition size")
        others = sum(v for k, v in self.phone.state["logical_sizes"].items() if k != name)
        if others + size > self.phone.profile.partitions.get("super", _MAX_LOGICAL):
            return self._fail("Not enough space to resize partition")
        return size

    def _partition_size(self, name: str) -> int | None:
        sizes = dict(self.phone.physical_partitions())
        if self.phone.mode == "fastbootd":
            sizes.update(self.phone.logical_partitions())
        return sizes.get(name)

    # --- handlers: variables and data --------------------------------------------------------

    def _getvar(self, name: str) -> list[bytes]:
        if name == "all":
            lines = variables.all_lines(self.phone)
            return [b"INFO" + line.encode()[:252] for line in lines] + [b"OKAY"]
        value = variables.lookup(self.phone, name)
        if value is None:
            if self.phone.mode == "fastbootd":
                return self._fail("Variable not found")
            return self._fail(self.phone.profile.unknown_variable_message)
        return [b"OKAY" + value.encode()[:252]]

    def _begin_download(self, arg: str) -> list[bytes]:
        if self.phone.mode == "fastbootd" and not self.phone.unlocked:
            return self._fail("Download is not allowed on locked devices")
        try:
            size = int(arg, 16)
        except ValueError:
            return self._fail("invalid download size")
        limit = variables.download_limit(self.phone)
        if size > limit:
            return self._fail("Requested download size is more than max allowed")
        if size == 0:
            return self._fail("invalid download size")
        self._staging.begin(size)  # the old staged data is gone once a new download starts
        self._data_left = size
        return [b"DATA%08x" % size]

    def _upload(self, _: str) -> list[bytes]:
        size = self._staging.size
        if not size:
            return self._fail("nothing staged")
        return [b"DATA%08x" % size, self._staging.read(), b"OKAY"]

    # --- handlers: flashing ------------------------------------------------------------------

    def _flash(self, partition: str) -> list[bytes]:
        phone = self.phone
        check_partition_name(partition)
        if not phone.unlocked:
            return self._fail(self._locked_message("Flashing"))
        if self._critical_locked(partition):
            return self._fail("Flashing is not allowed for Critical Partitions")
        if not self._staging.size:
            return self._fail("no image downloaded")
        if partition in _XIAOMI_CRC_LISTS and phone.profile.vendor == "xiaomi" and phone.mode == "bootloader":
            self._write_staged(partition)
            return [b"OKAY"]
        size = self._partition_size(partition)
        if size is None:
            if phone.mode == "bootloader" and partition in phone.logical_partitions():
                return self._fail("Partition not found")
            return self._fail(
                "Partition not found" if phone.mode == "bootloader" else "No such file or directory"
            )
        merging = phone.mode == "fastbootd" and phone.state.get("snapshot_update_status") == "merging"
        if merging and partition.split("_")[0] in _MERGE_PROTECTED:
            return self._fail("Cannot flash during a snapshot merge")
        if self._staging.read(4) == SPARSE_MAGIC:
            return self._flash_sparse(partition, size)
        if self._staging.size > size:
            return self._fail("image size exceeds partition size")
        self._write_staged(partition)
        return [b"OKAY"]

    def _write_staged(self, partition: str) -> None:
        """The staged download becomes the partition's whole content."""
        memory = self._staging.memory()
        if memory is not None:
            self.phone.write_raw(partition, memory, self._staging.size)
            return
        with self._staging.open() as src:
            self.phone.write_raw(partition, src, self._staging.size)

    def _flash_sparse(self, partition: str, size: int) -> list[bytes]:
        try:
            header = parse_header(self._staging.read(28))
        except ImageError as e:
            return self._fail(f"sparse image is invalid: {e}")
        if header.expanded_size > size:
            return self._fail("image size exceeds partition size")
        path = self.phone.partition_path(partition)
        mode = "r+b" if path.exists() else "w+b"
        with open(path, mode) as dst, self._staging.open() as src:
            try:
                apply_sparse(src, dst, memory=self._staging.memory())
            except ImageError as e:
                return self._fail(f"sparse image is invalid: {e}")
        return [b"OKAY"]

    def _erase(self, partition: str) -> list[bytes]:
        check_partition_name(partition)
        if not self.phone.unlocked:
            return self._fail(self._locked_message("Erase"))
        if self._critical_locked(partition):
            return self._fail("Erase is not allowed for Critical Partitions")
        if self._partition_size(partition) is None:
            return self._fail("Partition not found")
        self.phone.erase(partition)
        return [b"OKAY"]

    def _set_active(self, slot: str) -> list[bytes]:
        phone = self.phone
        if not phone.profile.ab:
            return self._fail(
                "Slot Change is not supported" if phone.mode == "bootloader" else "Device has no slots"
            )
        if not phone.unlocked:
            if phone.mode == "fastbootd":
                return self._fail("set_active command is not allowed on locked devices")
            return self._fail(self._locked_message("Slot Change"))
        slot = slot.removeprefix("_")
        if slot not in ("a", "b"):
            return self._fail(f"Invalid slot {slot}")
        phone.set_state("current_slot", slot)
        return [b"OKAY"]

    def _boot(self, _: str) -> list[bytes]:
        if not self.phone.unlocked:
            return self._fail("Fastboot boot command is not available in locked device")
        if not self._staging.size:
            return self._fail("no image downloaded")
        # It cannot run Android: an Android boot image booted here can only be a recovery.
        is_boot_image = self._staging.read(8) == BOOT_MAGIC
        return self._reboot("recovery" if is_boot_image else "system")

    def _reboot(self, target: str) -> list[bytes]:
        if target not in ("system", "bootloader", "recovery", "fastboot"):
            return self._fail(f"unknown reboot target {target}")
        if target == "fastboot" and not self.phone.profile.dynamic:
            return self._fail("unknown command")
        self.close()
        self.phone.reboot(target)
        self.reboot_target = target
        return [b"OKAY"]

    def _snapshot_update(self, arg: str) -> list[bytes]:
        if arg not in ("cancel", "merge"):
            return self._fail("Command not supported")
        if self.phone.mode == "bootloader" and not self.phone.unlocked:
            return self._fail("Snapshot Cancel is not allowed in Lock State")
        self.phone.set_state("snapshot_update_status", "none" if arg == "cancel" else "merging")
        return [b"OKAY"]

    # --- handlers: fastbootd logical partitions ----------------------------------------------

    def _logical_guard(self) -> list[bytes] | None:
        if not self.phone.unlocked:
            return self._fail("Command not available on locked devices")
        return None

    def _resize_logical(self, arg: str) -> list[bytes]:
        name, _, size = arg.partition(":")
        check_partition_name(name)
        sizes = self.phone.state["logical_sizes"]
        if (guard := self._logical_guard()) is not None:
            return guard
        if name not in sizes:
            return self._fail("Could not open partition")
        new_size = self._logical_size(name, size)
        if isinstance(new_size, list):
            return new_size
        sizes[name] = new_size
        self.phone.set_state("logical_sizes", sizes)
        path = self.phone.partition_path(name)
        if path.exists() and path.stat().st_size > new_size:
            with open(path, "r+b") as f:
                f.truncate(new_size)
        return [b"OKAY"]

    def _create_logical(self, arg: str) -> list[bytes]:
        name, sep, size = arg.partition(":")
        check_partition_name(name)
        if (guard := self._logical_guard()) is not None:
            return guard
        if not sep:
            return self._fail("Invalid partition name and size")
        sizes = self.phone.state["logical_sizes"]
        if name in sizes:
            return self._fail("Partition already exists")
        new_size = self._logical_size(name, size)
        if isinstance(new_size, list):
            return new_size
        sizes[name] = new_size
        self.phone.set_state("logical_sizes", sizes)
        return [b"OKAY"]

    def _delete_logical(self, name: str) -> list[bytes]:
        check_partition_name(name)
        if (guard := self._logical_guard()) is not None:
            return guard
        sizes = self.phone.state["logical_sizes"]
        if sizes.pop(name, None) is None:
            return self._fail("Could not delete partition")
        self.phone.set_state("logical_sizes", sizes)
        self.phone.partition_path(name).unlink(missing_ok=True)
        return [b"OKAY"]

    def _update_super(self, arg: str) -> list[bytes]:
        if (guard := self._logical_guard()) is not None:
            return guard
        if not self._staging.size:
            return self._fail("No data to flash")
        return [b"OKAY"]

    # --- handlers: locking -------------------------------------------------------------------

    def _oem(self, args: str) -> list[bytes]:
        phone = self.phone
        if phone.mode == "fastbootd":
            return self._fail("Unable to open fastboot HAL")
        if args == "device-info":
            info = [
                "Verity mode: true",
                f"Device unlocked: {str(phone.unlocked).lower()}",
                f"Device critical unlocked: {str(phone.state['critical_unlocked']).lower()}",
                "Charger screen enabled: true",
            ]
            return [b"INFO" + line.encode() for line in info] + [b"OKAY"]
        if args == "get_token" and phone.profile.token_command == "oem":
            return [b"INFOtoken: " + chunk.encode() for chunk in token_chunks(phone.token)] + [b"OKAY"]
        if args == "lks":
            return [b"INFOlks = " + (b"0" if phone.unlocked else b"1"), b"OKAY"]
        if args == "unlock" and phone.profile.vendor == "xiaomi":
            return self._xiaomi_unlock()
        if args == "lock":
            phone.set_state("unlocked", False)
            return [b"OKAY"]
        return self._fail("unknown command")

    def _xiaomi_unlock(self) -> list[bytes]:
        phone = self.phone
        if phone.unlocked:
            return [b"INFOThe device is already unlocked", b"OKAY"]
        signature = self._staging.read()
        if not signature or not signature_valid(phone.unlock_public_key, phone.token, signature):
            return self._fail("Token Verify Failed, Reboot the device")
        self._unlock_and_wipe()
        phone.set_state("critical_unlocked", True)  # Mi Unlock opens the critical partitions too
        return [b"OKAY"]

    def _unlock_and_wipe(self) -> None:
        # Unlocking always erases user data: that is the point of the confirmation prompts.
        self.phone.set_state("unlocked", True)
        for name in ("userdata", "metadata"):
            if self._partition_size(name) is not None:
                self.phone.erase(name)

    def _flashing(self, args: str) -> list[bytes]:
        phone = self.phone
        if phone.mode == "fastbootd":
            return self._fail(f"Unrecognized command flashing {args}")
        ability = phone.unlock_ability
        if args == "get_unlock_ability":
            return [f"INFOget_unlock_ability: {ability}".encode(), b"OKAY"]
        if args in ("unlock", "unlock_critical"):
            # MIUI/HyperOS phones only unlock with Xiaomi's signed data (`oem unlock`), never plainly.
            if not ability or phone.profile.vendor == "xiaomi":
                return self._fail("Flashing Unlock is not allowed")
            if args == "unlock_critical":
                phone.set_state("critical_unlocked", True)
            self._unlock_and_wipe()
            return [b"OKAY"]
        if args in ("lock", "lock_critical"):
            key = "unlocked" if args == "lock" else "critical_unlocked"
            phone.set_state(key, False)
            return [b"OKAY"]
        return self._fail("unknown command")
