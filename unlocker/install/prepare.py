"""Putting a plan together: from the index (ROM, newest build, method) or from an offline kit,
with the files given by hand (``--file``) in place of downloads."""

from __future__ import annotations

from pathlib import Path

from unlocker import commands
from unlocker.errors import InstallError, UsageError, WrongPhone
from unlocker.i18n import _
from unlocker.index.model import Build, Device, Method, Rom
from unlocker.install.artefacts import safe_name, use_given_files, use_kit_files
from unlocker.install.choose import method_steps, needed_files, uses_methods
from unlocker.install.kit import Kit
from unlocker.install.plan import InstallPlan, PlannedArtefact, make_plan


def check_build_codename(device: Device, build: Build) -> None:
    names = {device.codename.lower(), *(a.lower() for a in device.aliases)}
    if build.codename.lower() not in names:
        raise WrongPhone(
            _("the {rom} build {version} is for {build_codename}, not for {codename}; refused").format(
                rom=build.rom, version=build.version, build_codename=build.codename, codename=device.codename
            ),
            hint=_("Choose a build made for this phone ({command}).").format(
                command=commands.show(commands.ROMS, device.codename)
            ),
        )


def plan_from_index(
    device: Device,
    rom: Rom,
    build: Build,
    methods: dict[str, Method],
    files: dict[str, Path],
) -> InstallPlan:
    """The plan for ``build`` on ``device``; every artefact comes from the build or from ``files``."""
    check_build_codename(device, build)
    method, steps = method_steps(device, methods)
    artefacts: dict[str, PlannedArtefact] = {}
    for artefact_id, build_file in needed_files(steps, build, device).items():
        if build_file is not None:
            artefacts[artefact_id] = PlannedArtefact(
                id=artefact_id,
                filename=safe_name(Path(build_file.filename).name),
                size=build_file.size,
                sha256=build_file.sha256,
                urls=(build_file.url, *build_file.mirrors),
            )
        elif artefact_id in files:
            artefacts[artefact_id] = PlannedArtefact(
                artefact_id, files[artefact_id].name, None, None, source="file"
            )
        else:
            raise InstallError(
                _(
                    "the {rom} build {version} has no '{artefact}' file, and installing on {codename} needs one"
                ).format(rom=rom.name, version=build.version, artefact=artefact_id, codename=device.codename),
                hint=_("Give it by hand with {option}.").format(option=f"--file {artefact_id}=PATH"),
            )
    plan = make_plan(device, rom, build, method, steps, artefacts)
    _apply_files(plan, files)
    return plan


def _apply_files(plan: InstallPlan, files: dict[str, Path]) -> None:
    unknown = sorted(set(files) - set(plan.artefacts))
    if unknown:
        raise UsageError(
            _("--file {artefacts}: this install needs no such file; it needs {needed}").format(
                artefacts=", ".join(unknown), needed=", ".join(plan.artefacts)
            )
        )
    use_given_files(plan, files)


def plan_from_kit(kit: Kit, files: dict[str, Path], *, verify: bool = True) -> InstallPlan:
    """The plan a kit describes; its files are checked against the manifest (``verify``)."""
    check_build_codename(kit.device, kit.build)
    method, steps = method_steps(kit.device, kit.methods, kit.method)
    listed = {a.id: a for a in kit.artefacts}
    artefacts: dict[str, PlannedArtefact] = {}
    for artefact_id in needed_files(steps, kit.build, kit.device):
        if artefact_id in listed:
            artefacts[artefact_id] = listed[artefact_id]
        elif artefact_id in files:
            artefacts[artefact_id] = PlannedArtefact(
                artefact_id, files[artefact_id].name, None, None, source="file"
            )
        else:
            raise InstallError(
                _("the kit has no '{artefact}' file, and installing on {codename} needs one").format(
                    artefact=artefact_id, codename=kit.device.codename
                ),
                hint=_("Give it by hand with {option}, or make the kit again.").format(
                    option=f"--file {artefact_id}=PATH"
                ),
            )
    plan = make_plan(kit.device, kit.rom, kit.build, method, steps, artefacts)
    if verify:
        from_kit = [i for i, item in plan.artefacts.items() if item.source == "kit" and i not in files]
        use_kit_files(plan, from_kit, kit.directory)
    _apply_files(plan, files)
    return plan


def kit_methods(device: Device, methods: dict[str, Method]) -> tuple[str, dict[str, Method]]:
    name = device.install_method
    return name, {m: methods[m] for m in uses_methods(name, methods)}
