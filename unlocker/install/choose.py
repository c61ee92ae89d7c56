"""Choosing what to install: the ROM, its build, and the build file behind each artefact a method names."""

from __future__ import annotations

from collections.abc import Callable

from unlocker import commands
from unlocker.errors import InstallError, UsageError
from unlocker.i18n import _
from unlocker.index.loader import Index
from unlocker.index.methods import MethodError, Step, artefacts_needed, expand
from unlocker.index.model import Build, BuildFile, Device, Method, Rom
from unlocker.index.queries import builds_for

Refresh = Callable[[Rom, str], str | None]  # refreshes one ROM's build list; returns an error or None


def pick_rom(index: Index, device: Device, wanted: str | None) -> Rom:
    """The ROM named (id or name, any case), or the only one for the device; several: exit 2 with the list."""
    roms = index.roms_for(device.codename)
    listing = ", ".join(f"{r.id} ({r.name})" for r in roms)
    if wanted:
        lowered = wanted.strip().lower()
        for rom in roms:
            if lowered in (rom.id.lower(), rom.name.lower()):
                return rom
        if not roms:
            raise InstallError(
                _("no ROM in the index supports {codename}").format(codename=device.codename),
                hint=_("See {command} for what is known about this phone.").format(
                    command=commands.show(commands.DEVICE, device.codename)
                ),
            )
        raise UsageError(
            _("'{rom}' is not a ROM for {codename}; the ROMs for it are: {roms}").format(
                rom=wanted, codename=device.codename, roms=listing
            ),
            hint=_("Name one of them, e.g. {command}.").format(
                command=commands.show(commands.INSTALL, roms[0].id)
            ),
        )
    if not roms:
        raise InstallError(
            _("no ROM in the index supports {codename}").format(codename=device.codename),
            hint=_("See {command} for what is known about this phone.").format(
                command=commands.show(commands.DEVICE, device.codename)
            ),
        )
    if len(roms) > 1:
        raise UsageError(
            _("several ROMs support {codename}: {roms}").format(codename=device.codename, roms=listing),
            hint=_("Name the one to install, e.g. {command} ({list} lists their builds).").format(
                command=commands.show(commands.INSTALL, roms[0].id),
                list=commands.show(commands.ROMS, device.codename),
            ),
        )
    return roms[0]


def _matching(builds: list[Build], version: str | None) -> list[Build]:
    if not version:
        return builds
    wanted = version.strip()
    return [b for b in builds if wanted in (b.version, b.date, b.main.filename)]


def pick_build(
    rom: Rom, device: Device, version: str | None, refresh: Refresh | None
) -> tuple[Build, str | None]:
    """The newest build (of ``version`` when given). When none is known, the ROM's build list is
    refreshed once (``refresh``); the second value says what the refresh reported (None: not needed
    or fine)."""
    builds, _status = builds_for(rom, device.codename)
    found = _matching(builds, version)
    refresh_error = None
    if not found and refresh is not None and rom.builds_api:
        refresh_error = refresh(rom, device.codename)
        builds, _status = builds_for(rom, device.codename)
        found = _matching(builds, version)
    if not found:
        if version and builds:
            raise InstallError(
                _("no {rom} build {version} is known for {codename}; known: {known}").format(
                    rom=rom.name,
                    version=version,
                    codename=device.codename,
                    known=", ".join(sorted({b.version for b in builds})),
                ),
                hint=_("Leave out --build to take the newest, or check {command}.").format(
                    command=commands.show(commands.ROMS, device.codename)
                ),
            )
        problem = (
            _(" (refreshing the build list failed: {error})").format(error=refresh_error)
            if refresh_error
            else ""
        )
        raise InstallError(
            _("no build of {rom} for {codename} is known{problem}").format(
                rom=rom.name, codename=device.codename, problem=problem
            ),
            hint=_(
                "Try {command} on a working network, or install from an offline kit made elsewhere ({kit})."
            ).format(
                command=commands.show(commands.INDEX_UPDATE, device.codename), kit=commands.show(commands.KIT)
            ),
        )
    return found[0], refresh_error


def method_steps(
    device: Device, methods: dict[str, Method], method: str | None = None
) -> tuple[str, list[Step]]:
    """The device's install method expanded for it; refuses methods unlocker cannot drive."""
    name = method or device.install_method
    chosen = methods.get(name)
    if chosen is None:
        raise InstallError(_("the index names no install method '{method}'").format(method=name))
    try:
        steps = expand(name, methods, device)
    except MethodError as e:
        raise InstallError(
            _("the install method {method} cannot be used: {problem}").format(method=name, problem=e)
        ) from e
    if not chosen.automated:
        text = next((s.text for s in steps if s.text), chosen.description)
        raise InstallError(
            str(text).replace("{codename}", device.codename),
            hint=_("unlocker shows the way for this phone but cannot install on it by itself."),
        )
    return name, steps


def build_file_for(build: Build, artefact: str, device: Device) -> BuildFile | None:
    """The build's file for ``artefact``. A build without a separate recovery image ships the
    recovery as the image of the partition it lives in (vendor_boot.img, boot.img), as LineageOS
    does for those phones."""
    by_id = {f.artefact: f for f in build.files}
    if artefact in by_id:
        return by_id[artefact]
    if artefact == "recovery":
        return by_id.get(device.recovery_partition)
    return None


def needed_files(steps: list[Step], build: Build, device: Device) -> dict[str, BuildFile | None]:
    """Every artefact the steps read -> the build file serving it (None: the build has none)."""
    return {a: build_file_for(build, a, device) for a in artefacts_needed(steps)}


def uses_methods(name: str, methods: dict[str, Method]) -> list[str]:
    """``name`` and every method it splices in with ``use``, in first-use order."""
    seen: list[str] = []
    stack = [name]
    while stack:
        current = stack.pop(0)
        if current in seen or current not in methods:
            continue
        seen.append(current)
        stack.extend(str(s["use"]) for s in methods[current].steps if "use" in s)
    return seen
