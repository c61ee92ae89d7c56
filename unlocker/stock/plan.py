"""Planning a stock firmware flash: every check, every step, decided before anything is written.

Two kinds of package lead here: a Xiaomi fastboot ROM (its flash script, read as data) and an
A/B OTA zip (its firmware partitions only, to both slots). Both end as a :class:`StockPlan`: an
ordered list of actions whose flashes are the flash engine's own plans (``plan_flash``), so
``--dry-run`` shows exactly what the real run does. Nothing here writes to the phone or disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unlocker import commands
from unlocker.device.facts import BOOTLOADER, PhoneFacts, Variables, read_facts
from unlocker.errors import PackageError, PreflightError, UsageError
from unlocker.fastboot.client import FastbootClient
from unlocker.flashing.image import ImageFile
from unlocker.flashing.plan import FlashPlan, plan_flash
from unlocker.i18n import _
from unlocker.stock import checks
from unlocker.stock.flash_script import CRC_LISTS, ERASE, FLASH, REBOOT, SET_ACTIVE, FlashScript, Step

ROM = "xiaomi-fastboot-rom"
OTA_FIRMWARE = "ota-firmware"

# Partitions of an OTA that belong to the ROM a person installs, not to the firmware under it:
# replacing them would make an installed ROM (LineageOS, ...) unbootable. The logical partitions
# (listed by the payload's dynamic partition groups) are left out as well.
OS_PARTITIONS = frozenset(
    {
        "boot", "init_boot", "vendor_boot", "dtbo", "recovery", "vbmeta", "vbmeta_system", "vbmeta_vendor",
        "system", "system_ext", "system_dlkm", "vendor", "vendor_dlkm", "product", "odm", "odm_dlkm",
        "mi_ext", "userdata", "metadata", "super",
    }
)  # fmt: skip


def engine_plan(facts: PhoneFacts, partition: str, image: ImageFile, *, slot: str | None) -> FlashPlan:
    """Every write of stock firmware is planned here, by the flash engine itself.

    STOCK PERMISSION: stock packages legitimately write critical partitions (abl, xbl, tz, ...)
    and both slots of them, once the package's codename and anti-rollback checks have passed
    (they run in plan_stock / plan_firmware before any call to this function). When the flash
    engine's critical-partition guard lands, its permission is passed here and only here.
    """
    return plan_flash(facts, partition, image, slot=slot)


@dataclass
class Action:
    kind: str  # FLASH, ERASE, SET_ACTIVE, REBOOT, or "skip"
    text: str  # what the package says (a script line, or the payload partition)
    line: int | None = None
    partition: str | None = None  # as the engine is asked (no '_ab')
    slot: str | None = None  # 'all' for both slots
    targets: list[str] = field(default_factory=list)
    file: str | None = None  # the package file flashed (relative to the package)
    flash: FlashPlan | None = None
    note: str | None = None  # why it is skipped

    def describe(self) -> str:
        where = _("line {line}: ").format(line=self.line) if self.line else ""
        if self.kind == "skip":
            return where + _("skip '{text}': {why}").format(text=self.text, why=self.note)
        if self.kind == FLASH:
            assert self.flash is not None
            how = (
                _("in sparse pieces of at most {limit} bytes").format(limit=self.flash.limit)
                if self.flash.split
                else _("in one download")
            )
            return where + _("flash {file} ({size} bytes) to {targets} {how}").format(
                file=self.file, size=self.flash.image.expanded_size, targets=", ".join(self.targets), how=how
            )
        if self.kind == ERASE:
            return where + _("erase {targets}").format(targets=", ".join(self.targets))
        if self.kind == SET_ACTIVE:
            return where + _("make slot {slot} active").format(slot=self.slot)
        return where + _("reboot the phone")

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.kind,
            "line": self.line,
            "source": self.text,
            "partition": self.partition,
            "targets": self.targets,
            "file": self.file,
            "pieces_limit": self.flash.limit if self.flash and self.flash.split else None,
            "note": self.note,
        }


@dataclass
class StockPlan:
    kind: str  # ROM or OTA_FIRMWARE
    phone: str
    package: Path
    codename: str
    version: str | None
    package_anti: int | None
    phone_anti: int | None
    facts: PhoneFacts
    actions: list[Action]
    files: dict[str, int]  # package files to unpack -> bytes
    script: str | None = None
    wipes_data: bool = False
    crc_lists: bool = False  # the phone checks Xiaomi's CRC lists (getvar crc: 1)
    source: Any = field(default=None, repr=False)  # the package as read (XiaomiRom or OtaPackage)
    warnings: list[str] = field(default_factory=list)

    @property
    def unpack_size(self) -> int:
        return sum(self.files.values())

    def describe(self) -> list[str]:
        lines = [
            _("package {file}: {kind} for '{codename}', version {version}").format(
                file=self.package.name, kind=self.kind, codename=self.codename, version=self.version or "?"
            ),
            _("phone {phone} is '{codename}': matches").format(phone=self.phone, codename=self.facts.product),
            _("anti-rollback: phone {phone_anti}, package {package_anti}: allowed").format(
                phone_anti=self.phone_anti if self.phone_anti is not None else _("not active"),
                package_anti=self.package_anti if self.package_anti is not None else 0,
            ),
        ]
        if self.script:
            lines.append(_("following {script} (read as data; no shell is run)").format(script=self.script))
        lines.append(
            _("unpack {count} files ({size} bytes) into the cache, checking free space first").format(
                count=len(self.files), size=self.unpack_size
            )
        )
        lines += [action.describe() for action in self.actions]
        if self.wipes_data:
            lines.append(_("this erases all data on the phone (--keep-data keeps it)"))
        return lines + [_("warning: {warning}").format(warning=w) for w in self.warnings]

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "package": str(self.package),
            "kind": self.kind,
            "codename": self.codename,
            "version": self.version,
            "script": self.script,
            "anti_rollback": {"phone": self.phone_anti, "package": self.package_anti},
            "wipes_data": self.wipes_data,
            "crc_lists": self.crc_lists,
            "unpack_bytes": self.unpack_size,
            "actions": [a.to_json() for a in self.actions],
            "warnings": self.warnings,
            "steps": self.describe(),
        }


def _base(name: str) -> tuple[str, str | None]:
    """'abl_ab' -> ('abl', 'all'): Xiaomi's name for both slots; anything else as written."""
    if name.endswith("_ab"):
        return name[:-3], "all"
    return name, None


def _preflight(facts: PhoneFacts) -> None:
    if facts.mode != BOOTLOADER:
        raise PreflightError(
            _("{phone} is in fastbootd; stock firmware is flashed from the bootloader").format(
                phone=facts.name
            ),
            hint=_("Reboot it into the bootloader: {command}, then run the same command again.").format(
                command=commands.show(commands.REBOOT_BOOTLOADER)
            ),
        )
    if facts.unlocked is False:
        raise PreflightError(
            _("{phone}: the bootloader is locked, so stock firmware cannot be flashed with fastboot").format(
                phone=facts.name
            ),
            hint=_("Unlock it first: {command} (this erases the phone).").format(
                command=commands.show(commands.UNLOCK)
            ),
        )


def _targets(facts: PhoneFacts, partition: str, slot: str | None, step: Step) -> list[str]:
    part = facts.partition(partition)
    if slot == "all" and part.has_slot is not True:
        raise PreflightError(
            _(
                "line {line}: the package writes both slots of {partition}, but {phone} does not report slots for it"
            ).format(line=step.line, partition=partition, phone=facts.name),
            hint=_("This package is for an A/B phone; check that it is meant for this model."),
        )
    if slot == "all":
        names = [f"{partition}_a", f"{partition}_b"]
    elif part.has_slot and not partition.endswith(("_a", "_b")):
        names = [f"{partition}_{(facts.current_slot or 'a').lstrip('_')}"]
    else:
        names = [partition]
    unknown = [n for n in names if part.sizes.get(n) is None and partition not in CRC_LISTS]
    if unknown:
        raise PreflightError(
            _("line {line}: {phone} does not know partition {partition}").format(
                line=step.line, phone=facts.name, partition=", ".join(unknown)
            ),
            hint=_("This package may be for another model or region of the phone. Nothing was written."),
        )
    return names


def plan_rom(
    client: FastbootClient,
    rom: Any,  # xiaomi_rom.XiaomiRom (kept loose: plan is shared by both package kinds)
    *,
    keep_data: bool = False,
    workspace_hint: Path | None = None,
) -> StockPlan:
    """The plan for a Xiaomi fastboot ROM on this phone, after every check; touches nothing."""
    script: FlashScript = rom.choose_script(keep_data=keep_data)
    label = rom.path.name
    if script.relocking_name:
        raise PreflightError(_("{script} relocks the bootloader and is never run").format(script=script.name))
    if script.relocks:
        first = script.relocks[0]
        raise PreflightError(
            _(
                "{script} line {line} would relock the bootloader ('{text}'); unlocker never relocks a phone"
            ).format(script=script.name, line=first.line, text=first.text),
            hint=_(
                "Relocking after flashing can leave the phone unable to boot and needs Mi Unlock again. "
                "Use an unmodified package from Xiaomi."
            ),
        )
    if script.problems:
        first = script.problems[0]
        raise PackageError(
            _("{script} line {line} is not understood ({why}): '{text}'; nothing will be flashed").format(
                script=script.name, line=first.line, why=first.why, text=first.text
            ),
            hint=_(
                "unlocker follows Xiaomi's scripts only when it understands every line. Use an "
                "unmodified package from Xiaomi, or report this line so it can be supported."
            ),
        )
    if not script.codename:
        raise PackageError(
            _("{script} has no product check, so the package's phone is unknown").format(script=script.name),
            hint=_("Use an unmodified package from Xiaomi."),
        )
    bases = sorted({_base(s.partition)[0] for s in script.steps if s.partition})
    variables = Variables(client)
    facts = read_facts(client, partitions=bases, variables=variables)
    _preflight(facts)
    codename = checks.check_phone(facts, [script.codename], label)
    package_anti = rom.package_anti(script)
    checks.check_anti_rollback(facts, package_anti, label, stated=rom.anti_stated(script))
    if script.spl_file:
        checks.check_security_patch(
            facts, variables.get("security-patch-level"), rom.index.texts.get(script.spl_file), label
        )
    crc = (variables.get("crc") or "").strip() == "1"
    plan = StockPlan(
        kind=ROM,
        phone=facts.name,
        package=rom.path,
        codename=codename,
        version=rom.version,
        package_anti=package_anti,
        phone_anti=facts.anti_rollback,
        facts=facts,
        actions=[],
        files={},
        script=script.name,
        wipes_data=not keep_data,
        crc_lists=crc,
        source=rom,
    )
    directory = workspace_hint or Path("package")
    for index, step in enumerate(script.steps):
        plan.actions.append(_action(rom, plan, step, index == len(script.steps) - 1, directory))
    if crc:
        plan.warnings.append(
            _(
                "the phone checks Xiaomi's CRC lists (getvar crc: 1); sparse piece counts are compared with "
                "images/sparsecrclist.txt after unpacking, before anything is written"
            )
        )
    return plan


def _action(rom: Any, plan: StockPlan, step: Step, last: bool, directory: Path) -> Action:
    facts = plan.facts
    if step.kind == FLASH:
        assert step.partition and step.file
        if step.when_crc and not plan.crc_lists:
            return Action(
                "skip", step.text, step.line, note=_("the phone does not check CRC lists, as in the script")
            )
        if step.file not in rom.index.members:
            raise PackageError(
                _("{script} line {line} flashes {file}, which the package does not hold").format(
                    script=plan.script, line=step.line, file=step.file
                ),
                hint=_("The package is incomplete: download it again."),
            )
        partition, slot = _base(step.partition)
        targets = _targets(facts, partition, slot, step)
        size, sparse, expanded = rom.image_size(step.file)
        image = ImageFile(directory / step.file, size, sparse, expanded)
        flash = engine_plan(facts, partition, image, slot=slot)
        if flash.needs_fastbootd:
            raise PackageError(
                _(
                    "line {line}: {partition} is a logical partition, but the script flashes it from the bootloader"
                ).format(line=step.line, partition=partition),
                hint=_("This package does not match how this phone is partitioned."),
            )
        if partition not in CRC_LISTS:  # pseudo-partitions: the phone never publishes their size
            plan.warnings += [w for w in flash.warnings if w not in plan.warnings]
        plan.files[step.file] = size
        return Action(
            FLASH, step.text, step.line, partition, slot, flash.targets or targets, step.file, flash
        )
    if step.kind == ERASE:
        assert step.partition
        partition, slot = _base(step.partition)
        return Action(ERASE, step.text, step.line, partition, slot, _targets(facts, partition, slot, step))
    if step.kind == SET_ACTIVE:
        if not facts.slot_count or facts.slot_count < 2:
            raise PreflightError(
                _("line {line}: the package sets the active slot, but {phone} has no slots").format(
                    line=step.line, phone=facts.name
                ),
                hint=_("This package is for an A/B phone; check that it is meant for this model."),
            )
        return Action(SET_ACTIVE, step.text, step.line, slot=step.argument)
    if step.kind == REBOOT and last:
        return Action(REBOOT, step.text, step.line)
    raise PackageError(
        _("{script} line {line} reboots the phone before the end; unlocker does not follow that").format(
            script=plan.script, line=step.line
        ),
        hint=_("Use an unmodified package from Xiaomi."),
    )


def firmware_partitions(manifest: Any) -> list[Any]:
    """The payload's firmware: not logical (in super), not part of the installed ROM."""
    logical = manifest.logical_partitions | OS_PARTITIONS
    return [p for p in manifest.partitions if p.name not in logical]


def plan_firmware(client: FastbootClient, ota: Any, *, workspace_hint: Path | None = None) -> StockPlan:
    """The plan for flashing an A/B OTA's firmware partitions to both slots; touches nothing."""
    label = ota.path.name
    reasons = ota.payload.manifest.incremental_reasons()
    if reasons:
        raise PackageError(
            _("{file} is an incremental update: {reasons}").format(file=label, reasons="; ".join(reasons)),
            hint=_("Only full OTA packages can be flashed this way; use the full package of that version."),
        )
    parts = firmware_partitions(ota.payload.manifest)
    if not parts:
        raise UsageError(_("{file} holds no firmware partitions (only the system's)").format(file=label))
    facts = read_facts(client, partitions=[p.name for p in parts])
    _preflight(facts)
    codename = checks.check_phone(facts, ota.devices, label)
    checks.check_anti_rollback(facts, None, label, stated=False)
    plan = StockPlan(
        kind=OTA_FIRMWARE,
        phone=facts.name,
        package=ota.path,
        codename=codename,
        version=ota.metadata.get("post-build"),
        package_anti=None,
        phone_anti=facts.anti_rollback,
        facts=facts,
        actions=[],
        files={},
        source=ota,
    )
    directory = workspace_hint or Path("payload")
    for part in parts:
        step = Step(FLASH, 0, part.name, partition=part.name, file=f"{part.name}.img")
        targets = _targets(facts, part.name, "all", step)
        size = part.size or 0
        image = ImageFile(directory / f"{part.name}.img", size, False, size)
        flash = engine_plan(facts, part.name, image, slot="all")
        plan.files[f"{part.name}.img"] = size
        plan.actions.append(
            Action(
                FLASH, part.name, None, part.name, "all", flash.targets or targets, f"{part.name}.img", flash
            )
        )
    skipped = [p.name for p in ota.payload.manifest.partitions if p not in parts]
    if skipped:
        plan.warnings.append(
            _("left alone (the ROM's, not firmware): {partitions}").format(partitions=", ".join(skipped))
        )
    return plan
