"""Plain-words renderings of index records for the terminal (the CLI prints these lines)."""

from __future__ import annotations

from typing import Any

from unlocker.index.loader import Index
from unlocker.index.methods import MethodError, expand
from unlocker.index.model import Device


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def device_lines(index: Index, device: Device) -> list[str]:
    """A readable summary: identity, unlock, partitions, install method and its steps, warnings."""
    lines = [f"{device.codename}: {' / '.join(device.names)} ({device.vendor})"]
    if device.aliases:
        lines.append(f"  also reports as:    {', '.join(device.aliases)}")
    if device.models:
        lines.append(f"  models:             {', '.join(device.models)}")
    soc = device.soc or "unknown"
    lines.append(f"  SoC:                {soc}")
    unlock = device.unlock
    how = {
        "mi_unlock": "Xiaomi Mi Unlock (`unlocker unlock`)",
        "fastboot_command": f"`{unlock.get('command')}`",
        "not_unlockable": "not unlockable",
    }.get(str(unlock.get("method")), "see the LineageOS wiki")
    if unlock.get("token_command"):
        how += f"; token via `fastboot {unlock['token_command']}`"
    lines.append(f"  unlock:             {how}")
    lines.append(f"  A/B slots:          {_yes_no(device.ab)}")
    lines.append(f"  dynamic partitions: {_yes_no(device.dynamic_partitions)}")
    lines.append(f"  recovery partition: {device.recovery_partition}")
    if device.boot_stack:
        lines.append(f"  flash first:        {', '.join(device.boot_stack)}")
    method = index.methods.get(device.install_method)
    automated = "" if method is None or method.automated else " (not automated: instructions only)"
    lines.append(f"  install method:     {device.install_method}{automated}")
    roms = [rom.name for rom in index.roms_for(device.codename)]
    lines.append(f"  ROMs:               {', '.join(roms) if roms else 'none in the index'}")
    firmware = device.firmware
    if firmware:
        need = firmware.get("android_version")
        lines.append("  required stock firmware" + (f" (Android {need})" if need else "") + ":")
        for v in firmware.get("variants") or []:
            lines.append(f"    {v['device']}: {v['firmware']}" + (f"  {v['url']}" if v.get("url") else ""))
    if method is not None:
        try:
            steps = expand(device.install_method, index.methods, device)
        except MethodError as e:
            lines.append(f"  install steps: cannot be listed ({e})")
        else:
            lines.append("  install steps:")
            lines.extend(f"    {i}. {step.describe()}" for i, step in enumerate(steps, 1))
    if device.notes:
        lines.append("  notes:")
        lines.extend(f"    - {note}" for note in device.notes)
    return lines


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def roms_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"{report['codename']}: {' / '.join(report['names'])}"]
    if not report["roms"]:
        lines.append("  no ROM in the index supports this device")
    for rom in report["roms"]:
        state = ""
        if rom["maintained"] is False:
            state = " (no longer maintained)"
        branch = f" {rom['branch']}" if rom.get("branch") else ""
        lines.append(f"  {rom['name']}{branch}{state} - {rom['homepage']}")
        if rom.get("cache_error"):
            lines.append(f"    warning: {rom['cache_error']}")
        if not rom["builds"]:
            hint = " (run `unlocker index update " + report["codename"] + "`)" if rom["builds_api"] else ""
            lines.append(f"    no builds known{hint}")
        for build in rom["builds"][:3]:
            lines.append(
                f"    {build['version']} {build['date'] or ''} {build['filename']} ({_size(build['size'])})"
            )
            lines.append(f"      {build['url']}")
            lines.append(f"      sha256 {build['sha256']}")
        if len(rom["builds"]) > 3:
            lines.append(f"    ... {len(rom['builds']) - 3} more (--json lists all)")
    return lines
