"""The journey as one library call each for the CLI and for scripts: plan, start, resume, make a kit.

Order of a fresh install, so that nothing is touched before every check has passed:
identify the phone -> choose ROM and build (index or kit) -> plan -> preflight (right phone,
unlocked, battery) -> [--dry-run stops here] -> confirmation -> disk space -> every file
downloaded or taken from the kit and verified -> journal -> steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unlocker import commands, paths, settings
from unlocker.errors import DeviceNotFound, InstallError, KitError, UsageError, WrongPhone
from unlocker.i18n import _
from unlocker.index.cache import CacheUnreadable
from unlocker.index.cache import load as load_cached
from unlocker.index.model import Rom
from unlocker.install import artefacts as files_mod
from unlocker.install.artefacts import Progress
from unlocker.install.checksums import sha256_file
from unlocker.install.journal import Journal, all_journals, find
from unlocker.install.kit import Kit, load_kit, write_manifest
from unlocker.install.link import PhoneLink, RecoveryConnector, Seen
from unlocker.install.plan import InstallPlan, PlannedArtefact, with_stock
from unlocker.install.preflight import check_identity, check_phone
from unlocker.install.prepare import kit_methods, plan_from_index, plan_from_kit
from unlocker.install.runner import InstallUI, Runner

DEFAULT_TIMEOUT = 300.0

ProgressFactory = Callable[[], Progress | None]


def wait_timeout() -> float:
    """Seconds to wait for the phone in the mode a step needs (UNLOCKER_INSTALL_TIMEOUT)."""
    return settings.get_float("UNLOCKER_INSTALL_TIMEOUT", DEFAULT_TIMEOUT)


@dataclass
class Request:
    """What the person asked for on the command line."""

    name: str | None = None  # -s
    rom: str | None = None
    build: str | None = None
    files: dict[str, Path] = field(default_factory=dict)
    kit: Path | None = None
    stock: Path | None = None  # a stock firmware package for the required-firmware step
    timeout: float = DEFAULT_TIMEOUT
    recovery: RecoveryConnector | None = None
    refresh: bool = True  # refresh the build list when no build is known

    def link(self, keys: dict[str, str] | None = None) -> PhoneLink:
        return PhoneLink(self.name, recovery=self.recovery, timeout=self.timeout, keys=keys)


def default_request(**kwargs: Any) -> Request:
    kwargs.setdefault("timeout", wait_timeout())
    if "recovery" not in kwargs:
        from unlocker.install.adb_link import connect_recovery

        kwargs["recovery"] = connect_recovery
    return Request(**kwargs)


def identify(link: PhoneLink) -> Seen:
    seen = link.probe()
    if seen is None:
        raise DeviceNotFound(
            _("no phone answered in fastboot mode or in the recovery"),
            hint=_(
                "Start the phone in fastboot mode (often: hold Volume Down + Power while it starts), "
                "connect it with a data cable, and check {command}."
            ).format(command=commands.show(commands.DEVICES)),
        )
    return seen


# --- planning ---------------------------------------------------------------------------------


def _refresh(rom: Rom, codename: str) -> str | None:
    from unlocker.index.update import refresh

    return refresh(rom, codename).error


def _check_kit_against_cache(kit: Kit) -> None:
    """A kit's build must agree with what this computer knows of the same build (refreshed data)."""
    try:
        cached = load_cached(kit.rom.id, kit.device.codename)
    except CacheUnreadable:
        return
    if cached is None:
        return
    main = kit.build.main
    for build in cached.builds:
        if build.main.filename == main.filename and build.main.sha256 != main.sha256:
            raise KitError(
                _("the kit's {file} has a checksum {rom} does not publish for it; refused").format(
                    file=main.filename, rom=kit.rom.name
                ),
                hint=_("Make the kit again from the ROM project's own data with {command}.").format(
                    command=commands.show(commands.KIT)
                ),
            )


def plan_for(request: Request, seen: Seen) -> InstallPlan:
    """The plan for the phone ``seen``; checks the files given by hand or in the kit."""
    plan = _plan_for(request, seen)
    if request.stock is not None:
        _add_stock(plan, request.stock)
    return plan


def _add_stock(plan: InstallPlan, package: Path) -> None:
    digest = sha256_file(package)  # the journal keeps it: a resume checks the same file
    item = PlannedArtefact(
        "stock", package.name, package.stat().st_size, digest, source="file", path=str(package.resolve())
    )
    if not with_stock(plan, item):
        raise UsageError(
            _(
                "the index names no stock firmware for {codename}, so there is no step to flash {file} in"
            ).format(codename=plan.codename, file=package.name),
            hint=_("Flash it on its own first with {command}, then install.").format(
                command=commands.show(commands.STOCK, package.name)
            ),
        )


def check_stock(plan: InstallPlan, link: PhoneLink) -> list[str]:
    """The stock package against the phone, before anything is written (its plan, in words)."""
    item = plan.artefacts.get("stock")
    if item is None or item.path is None:
        return []
    if link.client is None:
        return [_("the stock firmware is checked against the phone in fastboot mode, before it is flashed")]
    from unlocker.stock import plan_stock

    stock = plan_stock(link.client, Path(item.path))
    lines = [_("stock firmware: {line}").format(line=line) for line in stock.describe()]
    return [*lines, _("stock firmware: the install goes on in fastboot mode instead of the package's reboot")]


def _plan_for(request: Request, seen: Seen) -> InstallPlan:
    if request.kit is not None:
        kit = load_kit(request.kit)
        _check_kit_against_cache(kit)
        plan = plan_from_kit(kit, request.files)
        check_identity(plan, seen)
        return plan
    from unlocker.index import load_index
    from unlocker.index.queries import resolve
    from unlocker.install.choose import pick_build, pick_rom

    if not seen.product:
        raise InstallError(
            _("the phone does not say which model it is"),
            hint=_("Start it in fastboot mode and run the same command again."),
        )
    index = load_index()
    device = resolve(index, seen.product)
    rom = pick_rom(index, device, request.rom)
    build, _error = pick_build(rom, device, request.build, _refresh if request.refresh else None)
    return plan_from_index(device, rom, build, index.methods, request.files)


def preflight(plan: InstallPlan, seen: Seen) -> list[str]:
    return check_phone(plan, seen)


# --- files ------------------------------------------------------------------------------------


def obtain(plan: InstallPlan, progress: ProgressFactory) -> None:
    """Every file at hand and verified: free disk checked first, then downloads."""
    directory = files_mod.download_dir(paths.cache_dir(), plan)
    files_mod.check_disk_space(plan, directory)
    for item in list(plan.artefacts.values()):
        if item.path is None:
            files_mod.download(plan, item.id, directory, progress())
    files_mod.check_rom_zip(plan)


# --- running ----------------------------------------------------------------------------------


BeforeStart = Callable[[InstallPlan, Seen, list[str]], bool]


def install(request: Request, ui: InstallUI, before_start: BeforeStart) -> InstallPlan | None:
    """A fresh install, in the order of this module's docstring. ``before_start(plan, seen, notes)``
    comes after every check and before any download or write: it shows the plan, asks for the
    confirmation, and returns False to stop there (--dry-run)."""
    link = request.link()
    try:
        seen = identify(link)
        plan = plan_for(request, seen)
        notes = preflight(plan, seen) + check_stock(plan, link)
        if not before_start(plan, seen, notes):
            return None
        if any(item.path is None for item in plan.artefacts.values()):
            link.close()  # downloads can take long: the phone is looked for again when the steps start
        obtain(plan, ui.bytes_progress)
    except BaseException:
        link.close()
        raise
    start(plan, seen, link, ui, kit=request.kit)
    return plan


def start(plan: InstallPlan, seen: Seen, link: PhoneLink, ui: InstallUI, *, kit: Path | None) -> Journal:
    journal = Journal.new(
        plan, serial=seen.serial, product=seen.product, name=link.name, kit=str(kit) if kit else None
    )
    journal.save()
    link.keys = dict(plan.keys)
    Runner(journal, link, ui, unlocked=seen.unlocked if seen.in_fastboot else None).run()
    return journal


def journal_name(name: str | None) -> str | None:
    """The phone name to resume with: -s, else the one the only unfinished install used."""
    if name:
        return name
    unfinished = [j for j in all_journals() if not j.finished]
    if len(unfinished) == 1:
        return unfinished[0].phone.get("name")
    return None


def _by_model(seen: Seen, name: str | None) -> Journal | None:
    """When the phone's serial finds no journal (sideload mode has no shell to ask for it, or
    the install started where the phone did not say it): the one unfinished install for its
    model, named the same way, whose serial is unknown or the same."""
    candidates = [
        j
        for j in all_journals()
        if not j.finished
        and j.plan.names_phone(seen.product)
        and (not name or j.phone.get("name") in (None, name))
        and (not seen.serial or j.phone.get("serial") in (None, seen.serial))
    ]
    return candidates[0] if len(candidates) == 1 else None


def journal_for(seen: Seen, name: str | None) -> Journal:
    journal = find(seen.serial, name) if seen.serial else None
    if journal is None or journal.finished:
        journal = _by_model(seen, name) or journal
    if journal is None or journal.finished:
        others = [j for j in all_journals() if not j.finished and j is not journal]
        if others:
            other = others[0]
            raise WrongPhone(
                _(
                    "the attached phone ({product}) is not the one the unfinished install is for "
                    "({codename}, started {started}); refused"
                ).format(product=seen.product or "?", codename=other.plan.codename, started=other.started_at),
                hint=_("Connect that phone (and name it with -s), then run {command}.").format(
                    command=commands.show(commands.INSTALL_RESUME)
                ),
            )
        if journal is not None:
            raise InstallError(
                _("the install of {rom} on this phone finished at {when}; nothing to resume").format(
                    rom=journal.plan.rom_name, when=journal.finished_at
                )
            )
        raise InstallError(
            _("no unfinished install is recorded for this phone"),
            hint=_("Start one with {command}.").format(command=commands.show(commands.INSTALL)),
        )
    return journal


def _repoint(journal: Journal, request: Request) -> set[str]:
    """Files may have moved (a kit on another mount point): take them from --kit / --file again.
    Returns the artefacts verified on the way (they need no second hash in this command)."""
    plan = journal.plan
    verified: set[str] = set()
    if request.kit is not None:
        kit = load_kit(request.kit)
        for item in kit.artefacts:
            mine = plan.artefacts.get(item.id)
            if mine is not None and mine.sha256 == item.sha256:
                plan.artefacts[item.id] = PlannedArtefact(
                    mine.id, mine.filename, mine.size, mine.sha256, mine.urls, "kit", None
                )
                verified.add(item.id)
        files_mod.use_kit_files(plan, sorted(verified), request.kit)
        journal.kit = str(request.kit)
    for artefact_id in request.files:
        if artefact_id not in plan.artefacts:
            raise InstallError(
                _("--file {artefact}: this install needs no such file").format(artefact=artefact_id)
            )
    files_mod.use_given_files(plan, request.files)
    return verified | set(request.files)


def resume(request: Request, ui: InstallUI) -> Journal:
    """Re-identify the phone, re-check the finished steps' state, and continue."""
    request.name = journal_name(request.name)
    link = request.link()
    try:
        seen = link.wait_for_any() or identify(link)
        journal = journal_for(seen, request.name)
        link.keys = dict(journal.plan.keys)
        check_identity(journal.plan, seen, journal.phone.get("serial"))
        verified = _repoint(journal, request)
        needed = {
            s.artefact
            for s in journal.plan.steps
            if s.artefact and (not journal.done(s.number) or s.action == "boot")
        }
        files_mod.verify_at_hand(journal.plan, sorted(needed - verified))
        journal.resumes += 1
        journal.save()
    except BaseException:
        link.close()
        raise
    Runner(journal, link, ui).resume(seen)
    return journal


# --- kits -------------------------------------------------------------------------------------


def make_kit(
    codename: str,
    rom_name: str | None,
    build_version: str | None,
    output: Path,
    progress: ProgressFactory,
    *,
    refresh: bool = True,
) -> tuple[Path, InstallPlan]:
    """Download and verify everything an install of ``codename`` needs into ``output``; write the manifest."""
    from unlocker.index import load_index
    from unlocker.index.queries import resolve
    from unlocker.install.choose import pick_build, pick_rom

    index = load_index()
    device = resolve(index, codename)
    rom = pick_rom(index, device, rom_name)
    build, _error = pick_build(rom, device, build_version, _refresh if refresh else None)
    plan = plan_from_index(device, rom, build, index.methods, {})
    output.mkdir(parents=True, exist_ok=True)
    files_mod.check_disk_space(plan, output)
    for item in list(plan.artefacts.values()):
        files_mod.download(plan, item.id, output, progress())
    files_mod.check_rom_zip(plan)
    method, methods = kit_methods(device, index.methods)
    manifest = write_manifest(
        output,
        device=device,
        rom=rom,
        build=build,
        method=method,
        methods=methods,
        artefacts=list(plan.artefacts.values()),
    )
    return manifest, plan
