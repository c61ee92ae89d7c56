"""Questions asked of the index: which device is this, what do we know, which ROMs and builds."""

from __future__ import annotations

import difflib
from typing import Any

from unlocker import commands
from unlocker.errors import NotInIndex, UsageError
from unlocker.i18n import _
from unlocker.index.cache import CacheUnreadable
from unlocker.index.cache import load as load_cached
from unlocker.index.loader import Index
from unlocker.index.model import Build, Device, Rom

__all__ = [
    "DEVICE_KEYS",
    "NotInIndex",
    "builds_for",
    "closest_names",
    "device_report",
    "resolve",
    "roms_report",
]

DEVICE_KEYS = (
    "codename",
    "aliases",
    "names",
    "models",
    "vendor",
    "soc_vendor",
    "ab",
    "dynamic_partitions",
    "recovery_partition",
    "install_method",
    "roms",
    "notes",
)


def closest_names(index: Index, name: str, n: int = 5) -> list[str]:
    """Codenames and aliases that look like ``name`` (difflib), best first."""
    candidates = {c.lower(): c for c in index.devices}
    for alias in index.aliases:
        candidates.setdefault(alias.lower(), alias)
    matches = difflib.get_close_matches(name.lower(), list(candidates), n=n, cutoff=0.6)
    return [candidates[m] for m in matches]


def resolve(index: Index, name: str) -> Device:
    """The device ``name`` denotes: a codename, an alias (what `getvar product` reports), any case."""
    name = name.strip()
    if name in index.devices:
        return index.devices[name]
    codenames = index.aliases.get(name)
    if codenames is None:
        lower = name.lower()
        exact = [d for c, d in index.devices.items() if c.lower() == lower]
        if exact:
            return exact[0]
        codenames = next((v for a, v in index.aliases.items() if a.lower() == lower), None)
    if codenames:
        if len(codenames) == 1:
            return index.devices[codenames[0]]
        raise UsageError(
            _("'{name}' is reported by several devices in the index: {codenames}").format(
                name=name, codenames=", ".join(codenames)
            ),
            hint=_("Name the device by its codename, e.g. {command}.").format(
                command=commands.show(commands.DEVICE, codenames[0])
            ),
        )
    close = closest_names(index, name)
    if close:
        hint = _("Closest names in the index: {names}.").format(names=", ".join(close))
    else:
        hint = _("Check the codename ({command} shows what the phone reports).").format(
            command=commands.show(commands.STATUS)
        )
    raise NotInIndex(_("'{name}' is not in the index").format(name=name), hint=hint)


def device_report(index: Index, device: Device) -> dict[str, Any]:
    """What we know about a device; ``unlocker device --json`` prints exactly these keys."""
    return {
        "codename": device.codename,
        "aliases": list(device.aliases),
        "names": list(device.names),
        "models": list(device.models),
        "vendor": device.vendor,
        "soc_vendor": device.soc_vendor,
        "ab": device.ab,
        "dynamic_partitions": device.dynamic_partitions,
        "recovery_partition": device.recovery_partition,
        "install_method": device.install_method,
        "roms": [rom.id for rom in index.roms_for(device.codename)],
        "notes": list(device.notes),
    }


def builds_for(rom: Rom, codename: str) -> tuple[list[Build], dict[str, Any]]:
    """Shipped builds plus refreshed ones from the cache (newest first, one entry per sha256).

    The second value says where the list came from: ``{"refreshed_at": ..., "error": ...}``.
    """
    status: dict[str, Any] = {"refreshed_at": None, "source_url": None, "cache_error": None}
    found: list[Build] = []
    try:
        cached = load_cached(rom.id, codename)
    except CacheUnreadable as e:
        cached = None
        status["cache_error"] = _("refreshed data unreadable, ignored ({problem}); run {command}").format(
            problem=e, command=commands.show(commands.INDEX_UPDATE, codename)
        )
    if cached is not None:
        status["refreshed_at"] = cached.fetched_at
        status["source_url"] = cached.source_url
        found.extend(cached.builds)
    found.extend(b for b in rom.builds if b.codename == codename)
    seen: set[str] = set()
    unique = []
    for build in found:
        if build.main.sha256 in seen:
            continue
        seen.add(build.main.sha256)
        unique.append(build)
    unique.sort(key=lambda b: b.date or "", reverse=True)
    return unique, status


def roms_report(index: Index, device: Device) -> dict[str, Any]:
    """The ROMs for a device with their known builds (``unlocker roms --json``)."""
    roms = []
    for rom in index.roms_for(device.codename):
        builds, status = builds_for(rom, device.codename)
        support = rom.devices.get(device.codename, {})
        roms.append(
            {
                "id": rom.id,
                "name": rom.name,
                "licence": rom.licence,
                "homepage": rom.homepage,
                "branch": support.get("branch"),
                "maintained": support.get("maintained"),
                "builds_api": (rom.builds_api or {}).get("kind"),
                "refreshed_at": status["refreshed_at"],
                "cache_error": status["cache_error"],
                "builds": [b.to_json() for b in builds],
            }
        )
    return {"codename": device.codename, "names": list(device.names), "roms": roms}
