"""Plain-words renderings of index records for the terminal (the CLI prints these lines)."""

from __future__ import annotations

from typing import Any

from unlocker import commands
from unlocker.i18n import N_, _
from unlocker.index.loader import Index
from unlocker.index.methods import MethodError, expand
from unlocker.index.model import Device

#: How each unlock method of the index is named to a person.
_UNLOCK_METHODS = {
    "mi_unlock": N_("Xiaomi Mi Unlock ({command})"),
    "not_unlockable": N_("not unlockable"),
}


def _yes_no(value: bool | None) -> str:
    return _("unknown") if value is None else (_("yes") if value else _("no"))


def _row(label: str, value: str) -> str:
    """``  label:   value`` with the values lined up (labels are translated, so pad, do not count)."""
    return f"  {(label + ':').ljust(19)} {value}"


def _unlock_how(unlock: dict[str, Any]) -> str:
    method = str(unlock.get("method"))
    if method == "fastboot_command":
        how = f"`{unlock.get('command')}`"
    elif method in _UNLOCK_METHODS:
        how = _(_UNLOCK_METHODS[method]).format(command=commands.show(commands.UNLOCK))
    else:
        how = _("see the LineageOS wiki")
    if unlock.get("token_command"):
        how = _("{how}; token via {command}").format(how=how, command=f"`fastboot {unlock['token_command']}`")
    return how


def device_lines(index: Index, device: Device) -> list[str]:
    """A readable summary: identity, unlock, partitions, install method and its steps, warnings."""
    lines = [f"{device.codename}: {' / '.join(device.names)} ({device.vendor})"]
    if device.aliases:
        lines.append(_row(_("also reports as"), ", ".join(device.aliases)))
    if device.models:
        lines.append(_row(_("models"), ", ".join(device.models)))
    lines.append(_row(_("SoC"), device.soc or _("unknown")))
    lines.append(_row(_("unlock"), _unlock_how(device.unlock)))
    lines.append(_row(_("A/B slots"), _yes_no(device.ab)))
    lines.append(_row(_("dynamic partitions"), _yes_no(device.dynamic_partitions)))
    lines.append(_row(_("recovery partition"), device.recovery_partition))
    if device.boot_stack:
        lines.append(_row(_("flash first"), ", ".join(device.boot_stack)))
    method = index.methods.get(device.install_method)
    if method is None or method.automated:
        install = device.install_method
    else:
        install = _("{method} (not automated: instructions only)").format(method=device.install_method)
    lines.append(_row(_("install method"), install))
    roms = [rom.name for rom in index.roms_for(device.codename)]
    lines.append(_row(_("ROMs"), ", ".join(roms) if roms else _("none in the index")))
    firmware = device.firmware
    if firmware:
        need = firmware.get("android_version")
        if need:
            lines.append("  " + _("required stock firmware (Android {version}):").format(version=need))
        else:
            lines.append("  " + _("required stock firmware:"))
        for v in firmware.get("variants") or []:
            lines.append(f"    {v['device']}: {v['firmware']}" + (f"  {v['url']}" if v.get("url") else ""))
    if method is not None:
        try:
            steps = expand(device.install_method, index.methods, device)
        except MethodError as e:
            lines.append("  " + _("install steps: cannot be listed ({problem})").format(problem=e))
        else:
            lines.append("  " + _("install steps:"))
            lines.extend(f"    {i}. {step.describe()}" for i, step in enumerate(steps, 1))
    if device.notes:
        lines.append("  " + _("notes:"))
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
        lines.append("  " + _("no ROM in the index supports this device"))
    for rom in report["roms"]:
        branch = f" {rom['branch']}" if rom.get("branch") else ""
        if rom["maintained"] is False:
            title = _("{rom}{branch} (no longer maintained) - {homepage}")
        else:
            title = _("{rom}{branch} - {homepage}")
        lines.append("  " + title.format(rom=rom["name"], branch=branch, homepage=rom["homepage"]))
        if rom.get("cache_error"):
            lines.append("    " + _("warning: {problem}").format(problem=rom["cache_error"]))
        if not rom["builds"]:
            if rom["builds_api"]:
                command = commands.show(commands.INDEX_UPDATE, report["codename"])
                lines.append("    " + _("no builds known (run {command})").format(command=command))
            else:
                lines.append("    " + _("no builds known"))
        for build in rom["builds"][:3]:
            lines.append(
                f"    {build['version']} {build['date'] or ''} {build['filename']} ({_size(build['size'])})"
            )
            lines.append(f"      {build['url']}")
            lines.append(f"      sha256 {build['sha256']}")
        if len(rom["builds"]) > 3:
            lines.append(
                "    " + _("... {count} more (--json lists all)").format(count=len(rom["builds"]) - 3)
            )
    return lines
