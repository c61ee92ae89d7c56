"""An install plan: pure data, made once, shown by --dry-run, stored in the journal and executed.

The steps are the device's install method expanded for it (``unlocker.index.methods.expand``),
numbered and put in plain words, each with what the person must do with their hands (from the
device's own ``keys``) and what it erases. Nothing here talks to a phone or the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from unlocker import commands
from unlocker.i18n import _
from unlocker.index.methods import Step
from unlocker.index.model import Build, Device, Rom

FORMAT = 1

# Roles some instruct steps play in a journey (decided from the method's data, see _role).
ROLE_UNLOCK = "unlock"  # about unlocking the bootloader: satisfied when the phone reports unlocked
ROLE_FIRMWARE = "firmware"  # the required stock firmware: the person confirms it is on the phone
ROLE_SIDELOAD_MENU = "sideload_menu"  # "choose Apply from ADB": the step that brings sideload mode

#: The install's own action (not the index's): flash a stock firmware package the person named.
STOCK = "stock"
#: Steps that write to the phone; preflight must have passed before the first of them.
WRITE_ACTIONS = ("flash", "boot", "wipe_super", "sideload", STOCK)


@dataclass(frozen=True)
class PlannedArtefact:
    """One file the install needs. ``path`` is set once the file is at hand and verified."""

    id: str  # the artefact name the method uses: boot, dtbo, recovery, rom_zip, ...
    filename: str
    size: int | None
    sha256: str | None  # None only for a --file the index knows no checksum for
    urls: tuple[str, ...] = ()
    source: str = "index"  # "index" (downloaded), "file" (--file), "kit"
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["urls"] = list(self.urls)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedArtefact:
        return cls(
            id=str(data["id"]),
            filename=str(data["filename"]),
            size=None if data.get("size") is None else int(data["size"]),
            sha256=None if data.get("sha256") is None else str(data["sha256"]).lower(),
            urls=tuple(data.get("urls") or ()),
            source=str(data.get("source") or "index"),
            path=data.get("path"),
        )


@dataclass(frozen=True)
class PlannedStep:
    number: int
    action: str  # reboot, wait_for, flash, boot, wipe_super, sideload, instruct
    text: str  # the step in plain words (an instruct step: the index's own text)
    mode: str | None = None  # reboot / wait_for target
    partition: str | None = None
    artefact: str | None = None
    confirm: bool = False  # instruct: wait for Enter (or --yes)
    hands: str | None = None  # what the person must do with their hands
    erases: str | None = None  # what the step erases or replaces
    role: str | None = None
    method: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedStep:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class InstallPlan:
    codename: str
    aliases: tuple[str, ...]
    device_names: tuple[str, ...]
    rom_id: str
    rom_name: str
    build_version: str
    build_date: str | None
    build_source: str
    method: str
    steps: list[PlannedStep]
    artefacts: dict[str, PlannedArtefact]
    firmware: list[str] = field(default_factory=list)  # required stock firmware, one line per variant
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.steps)

    def names_phone(self, product: str | None) -> bool:
        """Whether a phone reporting ``product`` is this plan's device (codename or alias, any case)."""
        if not product:
            return False
        wanted = {self.codename.lower(), *(a.lower() for a in self.aliases)}
        return product.strip().lower() in wanted

    def artefact(self, artefact_id: str) -> PlannedArtefact:
        return self.artefacts[artefact_id]

    def erases(self) -> list[str]:
        return [f"{s.number}: {s.erases}" for s in self.steps if s.erases]

    def download_bytes(self) -> int:
        return sum(a.size or 0 for a in self.artefacts.values() if a.source == "index" and a.path is None)

    def describe(self) -> list[str]:
        """The plan as a person reads it (--dry-run): header, files, numbered steps."""
        lines = [
            _("Install {rom} {version} ({date}) on {device} ({codename}), method {method}").format(
                rom=self.rom_name,
                version=self.build_version,
                date=self.build_date or _("date unknown"),
                device=" / ".join(self.device_names) or self.codename,
                codename=self.codename,
                method=self.method,
            ),
            _("Files:"),
        ]
        for a in self.artefacts.values():
            lines.append(
                "  "
                + _("{artefact}: {file}, {size} bytes, sha256 {sha256} ({where})").format(
                    artefact=a.id,
                    file=a.filename,
                    size=a.size if a.size is not None else "?",
                    sha256=a.sha256 or _("unknown"),
                    where=_source_words(a),
                )
            )
        if self.firmware:
            lines.append(_("Required stock firmware (confirm it is on the phone):"))
            lines.extend("  " + line for line in self.firmware)
        lines.append(_("Steps:"))
        for s in self.steps:
            lines.append(
                "  "
                + _("Step {number}/{total}: {text}").format(number=s.number, total=self.total, text=s.text)
            )
            if s.hands:
                lines.append("      " + _("hands: {what}").format(what=s.hands))
            if s.erases:
                lines.append("      " + _("erases: {what}").format(what=s.erases))
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "codename": self.codename,
            "aliases": list(self.aliases),
            "device_names": list(self.device_names),
            "rom": self.rom_id,
            "rom_name": self.rom_name,
            "build": {"version": self.build_version, "date": self.build_date, "source": self.build_source},
            "method": self.method,
            "artefacts": [a.to_json() for a in self.artefacts.values()],
            "firmware": list(self.firmware),
            "keys": dict(self.keys),
            "steps": [s.to_json() for s in self.steps],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InstallPlan:
        build = data["build"]
        return cls(
            codename=str(data["codename"]),
            aliases=tuple(data.get("aliases") or ()),
            device_names=tuple(data.get("device_names") or ()),
            rom_id=str(data["rom"]),
            rom_name=str(data["rom_name"]),
            build_version=str(build["version"]),
            build_date=build.get("date"),
            build_source=str(build.get("source") or ""),
            method=str(data["method"]),
            steps=[PlannedStep.from_json(s) for s in data["steps"]],
            artefacts={a["id"]: PlannedArtefact.from_json(a) for a in data["artefacts"]},
            firmware=list(data.get("firmware") or ()),
            keys=dict(data.get("keys") or {}),
        )


def _source_words(a: PlannedArtefact) -> str:
    if a.source == "kit":
        return _("from the kit")
    if a.source == "file":
        return _("given with --file")
    if a.path:
        return _("already downloaded")
    return _("to download")


def mode_words(mode: str | None) -> str:
    return {
        "bootloader": _("fastboot mode (the bootloader)"),
        "fastbootd": _("fastbootd (fastboot in the recovery)"),
        "recovery": _("the recovery"),
        "sideload": _("sideload mode (Apply from ADB in the recovery)"),
        "system": _("the system"),
    }.get(mode or "", mode or _("an unknown mode"))


def hands_for_mode(mode: str | None, keys: dict[str, str]) -> str | None:
    """What the person does when the phone does not reach ``mode`` by itself, in the device's words."""
    if mode in ("bootloader", "fastbootd"):
        combo = keys.get("fastboot") or _(
            "hold the key combination for fastboot mode (often Volume Down + Power)"
        )
        return _("If the phone does not show the fastboot screen by itself: {keys}").format(keys=combo)
    if mode == "recovery":
        combo = keys.get("recovery") or _(
            "hold the key combination for the recovery (often Volume Up + Power)"
        )
        return _("If the phone does not start the recovery by itself: {keys}").format(keys=combo)
    if mode == "sideload":
        return _("In the recovery on the phone: choose Apply update, then Apply from ADB.")
    return None


def _role(step: Step, before_writes: bool) -> str | None:
    if step.action != "instruct":
        return None
    if step.when == "required_firmware":
        return ROLE_FIRMWARE
    if before_writes and "unlock" in (step.text or "").lower():
        return ROLE_UNLOCK
    return None


def _instruct_text(text: str, device: Device) -> str:
    # Method texts are shared by many devices; they name "the device" with these placeholders.
    return text.replace("{codename}", device.codename).replace("CODENAME", device.codename)


def _erases_instruct(text: str) -> str | None:
    lowered = text.lower()
    if "format data" in lowered or "erases all data" in lowered:
        return _("all data on the phone (apps, photos, accounts)")
    return None


def _text(step: Step, device: Device, rom: Rom, files: dict[str, str]) -> str:
    if step.action == "instruct":
        return _instruct_text(str(step.text), device)
    if step.action == "reboot":
        return {
            "bootloader": _("Restart the phone into fastboot mode (the bootloader)"),
            "fastbootd": _("Restart the phone into fastbootd"),
            "recovery": _("Restart the phone into the recovery"),
            "sideload": _("Restart the recovery into sideload mode"),
            "system": _("Restart the phone into {rom}; the first start takes several minutes").format(
                rom=rom.name
            ),
        }.get(str(step.mode), _("Restart the phone into {mode}").format(mode=mode_words(step.mode)))
    if step.action == "wait_for":
        return _("Wait for the phone in {mode}").format(mode=mode_words(step.mode))
    file = files.get(str(step.artefact), str(step.artefact))
    if step.action == "flash":
        return _("Write {file} to the {partition} partition").format(file=file, partition=step.partition)
    if step.action == "boot":
        return _("Start the recovery from {file} without writing it (fastboot boot)").format(file=file)
    if step.action == "wipe_super":
        return _("Wipe the super partition with {file} (fastboot wipe-super)").format(file=file)
    return _("Install {file} from the recovery (adb sideload)").format(file=file)


def _erases(step: Step, rom: Rom) -> str | None:
    if step.action == "flash":
        return _("what is on {partition} now (on A/B phones: the active slot's copy)").format(
            partition=step.partition
        )
    if step.action == "wipe_super":
        return _("every logical partition inside super")
    if step.action == "sideload":
        return _("the phone's current system, replaced by {rom}").format(rom=rom.name)
    if step.action == "instruct":
        return _erases_instruct(str(step.text))
    return None


def _hands(step: Step, device: Device, next_step: Step | None) -> str | None:
    keys = {k: str(v) for k, v in device.keys.items() if v}
    if step.action in ("reboot", "wait_for"):
        return hands_for_mode(step.mode, keys)
    if step.action in ("flash", "boot", "wipe_super", "sideload"):
        return _("Keep the cable in and do not press any button until the step is done.")
    return None


def firmware_lines(device: Device) -> list[str]:
    """The stock firmware the index names for the device, one line per variant."""
    firmware = device.firmware or {}
    lines = []
    for variant in firmware.get("variants") or ():
        lines.append(
            _("{variant}: {firmware}").format(
                variant=variant.get("device") or "?", firmware=variant.get("firmware")
            )
        )
    if not lines and firmware.get("android_version"):
        lines.append(_("stock Android {version}").format(version=firmware["android_version"]))
    return lines


def make_plan(
    device: Device,
    rom: Rom,
    build: Build,
    method: str,
    steps: list[Step],
    artefacts: dict[str, PlannedArtefact],
) -> InstallPlan:
    """Number and word ``steps`` (``expand(method, ...)`` for ``device``, see choose.method_steps)."""
    files = {a.id: a.filename for a in artefacts.values()}
    first_write = next((i for i, s in enumerate(steps) if s.action in WRITE_ACTIONS), len(steps))
    planned: list[PlannedStep] = []
    for i, step in enumerate(steps):
        following = steps[i + 1] if i + 1 < len(steps) else None
        role = _role(step, i < first_write)
        leads_to_sideload = following is not None and (following.action, following.mode) == (
            "wait_for",
            "sideload",
        )
        if role is None and step.action == "instruct" and leads_to_sideload:
            role = ROLE_SIDELOAD_MENU
        text = _text(step, device, rom, files)
        if role == ROLE_FIRMWARE:
            text = _(
                "Make sure the phone runs the stock firmware the index names for it before installing: "
                "{firmware} (details: {command})."
            ).format(
                firmware="; ".join(firmware_lines(device)) or _("see the device's install page"),
                command=commands.show(commands.DEVICE, device.codename),
            )
        planned.append(
            PlannedStep(
                number=i + 1,
                action=step.action,
                text=text,
                mode=step.mode,
                partition=step.partition,
                artefact=step.artefact,
                confirm=step.confirm or role == ROLE_FIRMWARE,
                hands=_hands(step, device, following),
                erases=None if role == ROLE_UNLOCK else _erases(step, rom),
                role=role,
                method=step.method,
            )
        )
    return InstallPlan(
        codename=device.codename,
        aliases=device.aliases,
        device_names=device.names,
        rom_id=rom.id,
        rom_name=rom.name,
        build_version=build.version,
        build_date=build.date,
        build_source=build.source,
        method=method,
        steps=planned,
        artefacts=dict(artefacts),
        firmware=firmware_lines(device),
        keys={k: str(v) for k, v in device.keys.items() if v},
    )


def entry_modes(plan: InstallPlan) -> list[str | None]:
    """For each step, the mode the phone is in when the step before it has finished (None: not known).

    Resuming uses it to bring the phone back to where the journey stood.
    """
    modes: list[str | None] = []
    current: str | None = None
    for step in plan.steps:
        modes.append(current)
        if step.action in ("reboot", "wait_for"):
            current = step.mode
        elif step.action == "boot":
            current = "recovery"
        elif step.action == STOCK:
            current = "bootloader"  # the package is flashed in fastboot mode, and no reboot follows
        elif step.action == "sideload":
            current = "recovery"  # a recovery goes back to its menu after installing a package
        elif step.role == ROLE_SIDELOAD_MENU:
            current = "sideload"  # the person chose Apply from ADB
    return modes


def with_stock(plan: InstallPlan, package: PlannedArtefact) -> bool:
    """Flash ``package`` (a stock firmware the person named) where the method asks for the
    required stock firmware, instead of asking whether it is on the phone. False when the plan
    has no such step (the index names no required firmware for this phone)."""
    for i, step in enumerate(plan.steps):
        if step.role != ROLE_FIRMWARE:
            continue
        plan.steps[i] = replace(
            step,
            action=STOCK,
            text=_(
                "Flash the stock firmware {file}; its model and anti-rollback index are checked first, "
                "and no lock command is ever sent"
            ).format(file=package.filename),
            artefact=package.id,
            confirm=False,
            hands=_("Keep the cable in and do not press any button until the step is done."),
            erases=_("all data on the phone, and every partition the package holds"),
        )
        plan.artefacts[package.id] = package
        return True
    return False
