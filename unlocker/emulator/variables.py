"""The getvar answers of the virtual phone, per mode and bootloader dialect."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from unlocker.emulator.phone import VirtualPhone

# fastbootd's default (AOSP fastboot/device/commands.h kMaxDownloadSizeDefault).
FASTBOOTD_MAX_DOWNLOAD = 0x10000000

_FS_TYPES = {"userdata": "f2fs", "cache": "ext4", "metadata": "ext4", "system": "ext4", "vendor": "ext4"}


def download_limit(phone: VirtualPhone) -> int:
    if phone.mode == "fastbootd":
        return phone.explicit_max_download_size or FASTBOOTD_MAX_DOWNLOAD
    return phone.max_download_size


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def simple_variables(phone: VirtualPhone) -> dict[str, str]:
    """Variables without an argument, in the order getvar:all lists them."""
    p = phone.profile
    fastbootd = phone.mode == "fastbootd"
    mds = download_limit(phone)
    values: dict[str, str] = {
        "version": "0.4",
        "product": p.product,
        "serialno": phone.serial,
        "secure": "yes",
        "unlocked": _yes(phone.unlocked),
        # ABL prints max-download-size in decimal (AsciiSPrint "%ld"); AOSP and fastbootd in hex.
        "max-download-size": str(mds) if p.bootloader == "abl" and not fastbootd else hex(mds),
        "is-userspace": _yes(fastbootd),
    }
    if p.ab:
        values["current-slot"] = phone.current_slot
        values["slot-count"] = "2"
    if p.vendor == "xiaomi" and not fastbootd:
        if p.anti_rollback is not None:
            values["anti"] = str(p.anti_rollback)
        if p.token_command == "getvar":
            values["token"] = phone.token
    if fastbootd:
        values["super-partition-name"] = "super"
        values["snapshot-update-status"] = phone.state.get("snapshot_update_status", "none")
        values["version-os"] = "13"
    elif p.dynamic:
        values["dynamic-partition"] = "true"
    values.update(p.variables)
    values.update(phone.variable_overrides)
    return values


def partition_variables(phone: VirtualPhone) -> dict[str, str]:
    """partition-size / partition-type / is-logical / has-slot, keyed 'name:arg'."""
    values: dict[str, str] = {}
    partitions = dict(phone.physical_partitions())
    logical = phone.logical_partitions()
    if phone.mode == "fastbootd":
        partitions.update(logical)
    for name, size in partitions.items():
        values[f"partition-size:{name}"] = hex(size)
        base = _base(name, phone)
        values[f"partition-type:{name}"] = _FS_TYPES.get(base, "raw")
    for name in list(partitions) + [n for n in logical if n not in partitions]:
        values[f"is-logical:{name}"] = _yes(name in logical)
    bases = {_base(n, phone) for n in partitions} | {_base(n, phone) for n in logical}
    for base in sorted(bases):
        values[f"has-slot:{base}"] = _yes(phone.has_slot(base))
    if phone.profile.ab:
        for slot in ("a", "b"):
            ok = phone.state.get("slot_successful", {}).get(slot, False)
            values[f"slot-successful:{slot}"] = _yes(ok)
            values[f"slot-unbootable:{slot}"] = "no"
    return values


def _base(name: str, phone: VirtualPhone) -> str:
    if phone.profile.ab and name[-2:] in ("_a", "_b"):
        return name[:-2]
    return name


def lookup(phone: VirtualPhone, name: str) -> str | None:
    simple = simple_variables(phone)
    if name in simple:
        return simple[name]
    if ":" in name:
        kind, _, arg = name.partition(":")
        if kind in (
            "partition-size",
            "partition-type",
            "is-logical",
            "has-slot",
            "slot-successful",
            "slot-unbootable",
        ):
            return partition_variables(phone).get(name)
    return None


def all_lines(phone: VirtualPhone) -> list[str]:
    """getvar:all INFO lines. ABL writes 'name:value'; fastbootd 'name:arg:value'."""
    lines = [f"{k}:{v}" for k, v in simple_variables(phone).items()]
    for key, value in partition_variables(phone).items():
        kind, _, arg = key.partition(":")
        lines.append(f"{kind}:{arg}:{value}" if phone.mode == "fastbootd" else f"{kind}:{arg}: {value}")
    return lines
