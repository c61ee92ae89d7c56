"""The lock-state report: everything that decides the next step, read from the phone.

Unknown values stay None (JSON null): a volunteer must be able to trust every field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from unlocker.errors import FastbootFailure
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.variables import parse_bool, parse_number


@dataclass
class DeviceState:
    mode: str | None  # "bootloader" or "fastbootd"
    product: str | None
    serial: str | None
    unlocked: bool | None
    critical_unlocked: bool | None
    secure: bool | None
    unlock_ability: bool | None
    anti_rollback: int | None
    slot_count: int | None
    current_slot: str | None
    max_download_size: int | None
    battery: dict[str, object] | None
    next_step: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def read_state(client: FastbootClient) -> DeviceState:
    """Ask the phone; each variable is optional because bootloaders publish different sets."""
    userspace = parse_bool(client.try_getvar("is-userspace"))
    mode = "fastbootd" if userspace else "bootloader"
    unlocked = parse_bool(client.try_getvar("unlocked"))
    critical = None
    if mode == "bootloader":
        device_info = _oem_device_info(client)
        critical = device_info.get("critical_unlocked")
        if unlocked is None:
            unlocked = device_info.get("unlocked")
    anti = parse_number(client.try_getvar("anti"))
    if anti is None:
        anti = parse_number(client.try_getvar("rollback_ver"))  # some MediaTek Xiaomi bootloaders
    state = DeviceState(
        mode=mode,
        product=client.try_getvar("product"),
        serial=client.try_getvar("serialno"),
        unlocked=unlocked,
        critical_unlocked=critical,
        secure=parse_bool(client.try_getvar("secure")),
        unlock_ability=_unlock_ability(client) if mode == "bootloader" else None,
        anti_rollback=anti,
        slot_count=parse_number(client.try_getvar("slot-count")),
        current_slot=client.try_getvar("current-slot"),
        max_download_size=parse_number(client.try_getvar("max-download-size")),
        battery=_battery(client),
        next_step="",
    )
    state.next_step = next_step(state)
    return state


def _oem_device_info(client: FastbootClient) -> dict[str, bool | None]:
    """ABL's `oem device-info`: 'Device unlocked: true', 'Device critical unlocked: false'."""
    try:
        lines = client.oem("device-info").info
    except FastbootFailure:
        return {}
    result: dict[str, bool | None] = {}
    for line in lines:
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "device unlocked":
            result["unlocked"] = parse_bool(value)
        elif key == "device critical unlocked":
            result["critical_unlocked"] = parse_bool(value)
    return result


def _unlock_ability(client: FastbootClient) -> bool | None:
    """`flashing get_unlock_ability`: the digit is the last character of an INFO line or the OKAY payload."""
    try:
        response = client.flashing("get_unlock_ability")
    except FastbootFailure:
        return None
    for text in [*response.info, response.value]:
        text = text.strip()
        if text and text[-1] in "01":
            return text[-1] == "1"
    return None


def _battery(client: FastbootClient) -> dict[str, object] | None:
    voltage = parse_number(client.try_getvar("battery-voltage"))
    soc_ok = parse_bool(client.try_getvar("battery-soc-ok"))
    if voltage is None and soc_ok is None:
        return None
    return {"voltage_mv": voltage, "soc_ok": soc_ok}


def next_step(state: DeviceState) -> str:
    """One plain sentence: what the owner should do now."""
    if state.mode == "fastbootd":
        if state.unlocked is False:
            return (
                "Phone is in fastbootd and locked: run `unlocker reboot bootloader`, then `unlocker unlock`."
            )
        return "Phone is in fastbootd: flash logical partitions, or `unlocker reboot bootloader` to leave."
    if state.unlocked is None:
        return "Lock state unknown: run `unlocker status --json` and share it with a volunteer."
    if not state.unlocked and state.unlock_ability is False:
        return (
            "Bootloader is locked and unlocking is switched off: enable 'OEM unlocking' in Settings > "
            "Developer options, then run `unlocker unlock`."
        )
    if not state.unlocked:
        return "Bootloader is locked: run `unlocker unlock` (this erases all data on the phone)."
    if state.battery and state.battery.get("soc_ok") is False:
        return "Bootloader is unlocked but the battery is low: charge the phone before flashing."
    product = state.product or "CODENAME"
    return f"Bootloader is unlocked: see `unlocker roms {product}` and install a ROM."
