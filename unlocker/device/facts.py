"""One record of what the phone says about itself, read once per command and passed down.

Every command that needs phone facts (status, flash, erase, unlock) reads them here, through a
:class:`Variables` cache that sends each ``getvar`` at most once per session, and hands the
same :class:`PhoneFacts` to planning and execution. Unknown values stay None (JSON null):
a volunteer must be able to trust every field, so nothing is guessed.
"""

from __future__ import annotations

from unlocker.errors import FastbootFailure
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.variables import parse_bool, parse_millivolts, parse_number
from unlocker.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

BOOTLOADER = "bootloader"
FASTBOOTD = "fastbootd"
RECOVERY = "recovery"  # adb, from here on (adb_facts.py)
SIDELOAD = "sideload"


class Variables:
    """``getvar`` answers of one session, each asked at most once.

    A phone's variables do not change while the session lasts, except through commands that
    change state (flash, unlock, reboot); after those, call :meth:`forget`.
    """

    def __init__(self, client: FastbootClient) -> None:
        self.client = client
        self._known: dict[str, str | None] = {}

    def get(self, name: str) -> str | None:
        """The value, or None when the bootloader does not publish it (or answers empty)."""
        if name not in self._known:
            self._known[name] = self.client.try_getvar(name)
        return self._known[name]

    def number(self, name: str) -> int | None:
        return parse_number(self.get(name))

    def flag(self, name: str) -> bool | None:
        return parse_bool(self.get(name))

    def forget(self, *names: str) -> None:
        """Ask again next time (all variables when no name is given)."""
        if not names:
            self._known.clear()
        for name in names:
            self._known.pop(name, None)

    @property
    def asked(self) -> tuple[str, ...]:
        return tuple(self._known)


# Lock states spelled as words: Motorola's `securestate` (flashing_locked / flashing_unlocked on
# current bootloaders; locked / oem_locked / unlocked / oem_unlocked on older ones).
_LOCK_WORDS = {
    "flashing_unlocked": True,
    "oem_unlocked": True,
    "unlocked": True,
    "flashing_locked": False,
    "oem_locked": False,
    "locked": False,
}


def parse_lock_state(value: str | None) -> bool | None:
    """The one reading of a bootloader's lock state (``unlocked``, ``securestate``, ``oem
    device-info``): True when unlocked, False when locked, None when unknown (never a guess)."""
    known = parse_bool(value)
    if known is not None or value is None:
        return known
    return _LOCK_WORDS.get(value.strip().lower())


def read_unlocked(variables: Variables) -> bool | None:
    """Whether the bootloader is unlocked: ``getvar unlocked``, else Motorola's ``securestate``."""
    unlocked = parse_lock_state(variables.get("unlocked"))
    if unlocked is None:
        unlocked = parse_lock_state(variables.get("securestate"))
    return unlocked


class PartitionFacts(Record):
    """What the phone says about one partition, keyed by the suffixed names it may be written as."""

    name: str  # as the user typed it (no slot suffix added)
    has_slot: bool | None
    sizes: dict[str, int | None]
    logical: dict[str, bool | None]
    # False when the phone lists its partitions and this one is not among them; None: cannot tell.
    exists: bool | None = None


class PhoneFacts:
    """Everything that decides the next step. ``name`` is how the person named the phone; a fact
    not passed is None (unknown).

    A plain class rather than a dataclass: every command that talks to a phone builds one, and
    importing ``dataclasses`` (which imports ``inspect``) costs a large share of ``status``'s whole
    run (issue 15).
    """

    __slots__ = (
        "name", "mode", "product", "serial", "unlocked", "critical_unlocked", "secure",
        "unlock_ability", "anti_rollback", "slot_count", "current_slot", "max_download_size",
        "battery_voltage_mv", "battery_soc_ok", "snapshot_update_status", "partitions",
        "last_install", "soc_family",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        mode: str,  # BOOTLOADER or FASTBOOTD; over adb RECOVERY, SIDELOAD or the banner's mode
        *,
        product: str | None = None,
        serial: str | None = None,
        unlocked: bool | None = None,
        critical_unlocked: bool | None = None,
        secure: bool | None = None,
        unlock_ability: bool | None = None,
        anti_rollback: int | None = None,
        slot_count: int | None = None,
        current_slot: str | None = None,
        max_download_size: int | None = None,
        battery_voltage_mv: int | None = None,
        battery_soc_ok: bool | None = None,
        snapshot_update_status: str | None = None,
        partitions: dict[str, PartitionFacts] | None = None,
        # In recovery: what it installed last (``package``, ``ok`` "1"/"0", ``post_build``, ``error``...).
        last_install: dict[str, str] | None = None,
        soc_family: str | None = None,  # filled where it matters (critical partitions): device.soc
    ) -> None:
        self.name = name
        self.mode = mode
        self.product = product
        self.serial = serial
        self.unlocked = unlocked
        self.critical_unlocked = critical_unlocked
        self.secure = secure
        self.unlock_ability = unlock_ability
        self.anti_rollback = anti_rollback
        self.slot_count = slot_count
        self.current_slot = current_slot
        self.max_download_size = max_download_size
        self.battery_voltage_mv = battery_voltage_mv
        self.battery_soc_ok = battery_soc_ok
        self.snapshot_update_status = snapshot_update_status
        self.partitions: dict[str, PartitionFacts] = {} if partitions is None else partitions
        self.last_install = last_install
        self.soc_family = soc_family

    def __repr__(self) -> str:
        known = (f"{k}={getattr(self, k)!r}" for k in self.__slots__ if getattr(self, k) not in (None, {}))
        return f"PhoneFacts({', '.join(known)})"

    @property
    def in_fastbootd(self) -> bool:
        return self.mode == FASTBOOTD

    def partition(self, name: str) -> PartitionFacts:
        return self.partitions[name]


def read_facts(
    client: FastbootClient,
    *,
    partitions: Iterable[str] = (),
    full: bool = False,
    variables: Variables | None = None,
) -> PhoneFacts:
    """Ask the phone once. ``partitions`` adds slot, size and logical facts for those names;
    ``full`` adds what only the status report needs (``oem device-info``, unlock ability).

    Every variable is optional because bootloaders publish different sets.
    """
    v = variables or Variables(client)
    mode = FASTBOOTD if v.flag("is-userspace") else BOOTLOADER
    facts = PhoneFacts(
        name=client.name,
        mode=mode,
        product=v.get("product"),
        serial=v.get("serialno") if full else None,
        unlocked=read_unlocked(v),
        secure=v.flag("secure") if full else None,
        slot_count=v.number("slot-count"),
        current_slot=normalise_slot(v.get("current-slot")),
        max_download_size=v.number("max-download-size"),
        battery_voltage_mv=parse_millivolts(v.get("battery-voltage")),
        battery_soc_ok=v.flag("battery-soc-ok"),
        snapshot_update_status=v.get("snapshot-update-status") if mode == FASTBOOTD else None,
    )
    anti = v.number("anti")
    if anti is None:
        anti = v.number("rollback_ver")  # some MediaTek Xiaomi bootloaders
    facts.anti_rollback = anti
    if full and mode == BOOTLOADER:
        device_info = _oem_device_info(client)
        facts.critical_unlocked = device_info.get("critical_unlocked")
        if facts.unlocked is None:
            facts.unlocked = device_info.get("unlocked")
        facts.unlock_ability = read_unlock_ability(client)
    for name in partitions:
        facts.partitions[name] = read_partition(v, name)
    return facts


def normalise_slot(value: str | None) -> str | None:
    """``_b`` -> ``b``, as Google's fastboot reads ``current-slot`` (some bootloaders add the underscore)."""
    if value is None:
        return None
    return value.strip().removeprefix("_") or None


def read_partition(variables: Variables, partition: str) -> PartitionFacts:
    has_slot = variables.flag(f"has-slot:{partition}")
    names = [f"{partition}_a", f"{partition}_b"] if has_slot else [partition]
    sizes = {n: variables.number(f"partition-size:{n}") for n in names}
    logical = {n: variables.flag(f"is-logical:{n}") for n in names}
    known = has_slot is not None or any(v is not None for v in sizes.values())
    return PartitionFacts(
        name=partition,
        has_slot=has_slot,
        sizes=sizes,
        logical=logical,
        exists=True if known else _listed(variables, partition),
    )


def _listed(variables: Variables, partition: str) -> bool | None:
    """Whether ``getvar all`` lists ``partition`` (with or without a slot suffix); None when the
    phone lists no partitions at all, or may hold it where the bootloader cannot see (logical
    partitions inside super are only known to fastbootd)."""
    try:
        listed = variables.client.getvar_all()
    except FastbootFailure:
        return None
    names = {key.partition(":")[2] for key in listed if key.startswith("partition-size:")}
    if not names:
        return None
    if {partition, f"{partition}_a", f"{partition}_b"} & names:
        return True
    in_bootloader = not parse_bool(listed.get("is-userspace"))
    if in_bootloader and ("super" in names or parse_bool(listed.get("dynamic-partition"))):
        return None
    return False


def _oem_device_info(client: FastbootClient) -> dict[str, bool | None]:
    """ABL's `oem device-info`: 'Device unlocked: true', 'Device critical unlocked: false'."""
    try:
        lines = client.oem("device-info").info
    except FastbootFailure:
        return {}
    result: dict[str, bool | None] = {}
    for line in lines:
        key, _sep, value = line.partition(":")
        key = key.strip().lower()
        if key == "device unlocked":
            result["unlocked"] = parse_lock_state(value)
        elif key == "device critical unlocked":
            result["critical_unlocked"] = parse_lock_state(value)
    return result


def read_unlock_ability(client: FastbootClient) -> bool | None:
    """`flashing get_unlock_ability`: the digit is the last character of an INFO line or the OKAY
    payload; None when the bootloader does not know the command."""
    try:
        response = client.flashing("get_unlock_ability")
    except FastbootFailure:
        return None
    for text in [*response.info, response.value]:
        text = text.strip()
        if text and text[-1] in "01":
            return text[-1] == "1"
    return None
