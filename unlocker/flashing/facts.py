"""What the phone says about itself that decides how to flash a partition."""

from __future__ import annotations

from dataclasses import dataclass

from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.variables import parse_bool, parse_number


@dataclass(frozen=True)
class PartitionFacts:
    name: str  # as the user typed it (no slot suffix added)
    has_slot: bool | None
    current_slot: str | None
    slot_count: int | None
    mode: str  # "bootloader" or "fastbootd"
    unlocked: bool | None
    max_download_size: int | None
    product: str | None
    battery_soc_ok: bool | None
    snapshot_update_status: str | None
    # keyed by the suffixed name the plan will use
    sizes: dict[str, int | None]
    logical: dict[str, bool | None]


def read_facts(client: FastbootClient, partition: str) -> PartitionFacts:
    userspace = parse_bool(client.try_getvar("is-userspace"))
    has_slot = parse_bool(client.try_getvar(f"has-slot:{partition}"))
    slot_count = parse_number(client.try_getvar("slot-count"))
    names = [partition]
    if has_slot:
        names = [f"{partition}_a", f"{partition}_b"]
    sizes = {n: parse_number(client.try_getvar(f"partition-size:{n}")) for n in names}
    logical = {n: parse_bool(client.try_getvar(f"is-logical:{n}")) for n in names}
    return PartitionFacts(
        name=partition,
        has_slot=has_slot,
        current_slot=client.try_getvar("current-slot"),
        slot_count=slot_count,
        mode="fastbootd" if userspace else "bootloader",
        unlocked=parse_bool(client.try_getvar("unlocked")),
        max_download_size=parse_number(client.try_getvar("max-download-size")),
        product=client.try_getvar("product"),
        battery_soc_ok=parse_bool(client.try_getvar("battery-soc-ok")),
        snapshot_update_status=client.try_getvar("snapshot-update-status") if userspace else None,
        sizes=sizes,
        logical=logical,
    )
