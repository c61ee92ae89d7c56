"""The phone's facts when it speaks adb (recovery, sideload mode, Android): the same record as in fastboot.

The CNXN banner gives the mode and the codename (``ro.product.device``); in recovery (adbd, with
a shell) ``getprop`` adds serial, lock state and slot, and ``/cache/recovery/last_install`` what
the recovery installed last (package, 1 or 0, then ``key: value`` lines). Minadbd (sideload
mode) has no shell: the banner is all there is. Unknown stays None, as everywhere.
"""

from __future__ import annotations

import re

from unlocker.adb.client import AdbClient
from unlocker.device.facts import PhoneFacts
from unlocker.errors import ProtocolError, ServiceRefused, TransportTimeout

LAST_INSTALL = "/cache/recovery/last_install"
_PROP_LINE = re.compile(r"^\[(?P<key>[^\]]+)\]: \[(?P<value>.*)\]$")
_SHELL_TIMEOUT = 10.0


def parse_getprop(text: str) -> dict[str, str]:
    """``getprop``'s ``[key]: [value]`` lines."""
    props = {}
    for line in text.splitlines():
        match = _PROP_LINE.match(line.strip())
        if match:
            props[match["key"]] = match["value"]
    return props


def parse_last_install(text: str) -> dict[str, str] | None:
    """``last_install``: the package, ``1`` (installed) or ``0``, then optional ``key: value`` lines."""
    lines = [line.strip() for line in text.splitlines()]
    if len(lines) < 2 or lines[1] not in ("0", "1"):
        return None
    record = {"package": lines[0], "ok": lines[1]}
    for line in lines[2:]:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            record[key.strip()] = value.strip()
    return record


def _shell(client: AdbClient, command: str) -> str | None:
    try:
        return client.shell(command, timeout=_SHELL_TIMEOUT)
    except (ServiceRefused, ProtocolError, TransportTimeout):
        return None  # no shell in this mode, or not this command: the fact stays unknown


def read_adb_facts(client: AdbClient) -> PhoneFacts:
    """What a connected adb phone says about itself (``client.connect()`` already ran)."""
    banner = client.banner
    assert banner is not None, "connect() first"
    name = client.name
    facts = PhoneFacts(
        name=name,
        mode=banner.mode,
        product=banner.codename,
        # On USB the name is the serial number (unless the phone has none and is named by port).
        serial=None if name.startswith(("tcp:", "usb:")) else name,
    )
    if banner.mode not in ("recovery", "device"):
        return facts
    props = parse_getprop(_shell(client, "getprop") or "")
    facts.product = facts.product or props.get("ro.product.device")
    facts.serial = props.get("ro.serialno") or facts.serial
    locked = props.get("ro.boot.flash.locked")
    if locked in ("0", "1"):
        facts.unlocked = locked == "0"
    elif props.get("ro.boot.verifiedbootstate") in ("orange", "green", "yellow"):
        facts.unlocked = props["ro.boot.verifiedbootstate"] == "orange"
    suffix = props.get("ro.boot.slot_suffix", "")
    if suffix.startswith("_") and len(suffix) == 2:
        facts.current_slot = suffix[1]
        facts.slot_count = 2
    if banner.mode == "recovery":
        text = _shell(client, f"cat {LAST_INSTALL}")
        facts.last_install = parse_last_install(text) if text else None
    return facts
