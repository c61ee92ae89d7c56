"""Deciding what a flash will do, without touching the phone: the same code serves --dry-run.

Preflight rules: the bootloader must be unlocked, the battery not reported low, the image must
fit the partition, slots must exist when asked for; logical partitions need fastbootd.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unlocker.errors import PreflightError, UsageError
from unlocker.flashing.facts import PartitionFacts
from unlocker.flashing.image import ImageFile

SLOT_CHOICES = ("a", "b", "all", "other")


@dataclass
class FlashPlan:
    image: ImageFile
    targets: list[str]
    mode: str
    limit: int | None  # bytes per download, None = no limit published
    split: bool  # resparsed into pieces of at most ``limit``
    needs_fastbootd: bool = False  # logical partition asked for in the bootloader
    cancel_snapshot: bool = False  # a pending snapshot update blocks flashing in fastbootd
    resize_logical: bool = False
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        kind = "sparse" if self.image.sparse else "raw"
        lines = [
            f"image {self.image.path.name}: {kind}, {self.image.file_size} bytes, "
            f"{self.image.expanded_size} bytes once written"
        ]
        if self.needs_fastbootd:
            lines.append("reboot into fastbootd (the partition is logical, inside super), wait for it")
        if self.cancel_snapshot:
            lines.append("cancel the pending snapshot update (snapshot-update:cancel)")
        for target in self.targets:
            if self.resize_logical:
                lines.append(f"resize logical partition {target} to {self.image.expanded_size} bytes")
            how = f"in sparse pieces of at most {self.limit} bytes" if self.split else "in one download"
            lines.append(f"flash {target} {how}")
        return lines + [f"warning: {w}" for w in self.warnings]


def resolve_targets(facts: PartitionFacts, slot: str | None) -> list[str]:
    name = facts.name
    if name.endswith(("_a", "_b")) and facts.has_slot is not True:
        if slot:
            raise UsageError(f"'{name}' already names a slot; drop --slot or the suffix")
        return [name]
    if not facts.has_slot:
        if slot:
            raise UsageError(f"partition '{name}' has no slots on this phone; drop --slot")
        return [name]
    current = facts.current_slot or "a"
    if slot in (None, ""):
        return [f"{name}_{current}"]
    if slot not in SLOT_CHOICES:
        raise UsageError(f"--slot must be one of {', '.join(SLOT_CHOICES)}")
    if slot == "all":
        return [f"{name}_a", f"{name}_b"]
    if slot == "other":
        return [f"{name}_{'b' if current == 'a' else 'a'}"]
    return [f"{name}_{slot}"]


def plan_flash(
    facts: PartitionFacts, image: ImageFile, *, slot: str | None = None, phone: str = "phone"
) -> FlashPlan:
    """The plan, or PreflightError saying why flashing must not start."""
    if facts.unlocked is False:
        raise PreflightError(
            f"{phone}: the bootloader is locked, so {facts.name} cannot be flashed",
            hint="Unlock it first: `unlocker unlock` (this erases the phone).",
        )
    if facts.battery_soc_ok is False:
        raise PreflightError(
            f"{phone}: the phone reports a low battery; flashing now risks a half-written partition",
            hint="Charge the phone to at least 50 %, then run the same command again.",
        )
    targets = resolve_targets(facts, slot)
    logical = any(facts.logical.get(t) for t in targets)
    needs_fastbootd = logical and facts.mode == "bootloader" and facts.name != "super"
    plan = FlashPlan(
        image=image,
        targets=targets,
        mode=facts.mode,
        limit=facts.max_download_size,
        split=_needs_split(image, facts.max_download_size),
        needs_fastbootd=needs_fastbootd,
    )
    if needs_fastbootd:
        return plan  # the rest is decided in fastbootd, from its own answers
    if facts.mode == "fastbootd" and logical:
        plan.resize_logical = True
        status = (facts.snapshot_update_status or "none").lower()
        plan.cancel_snapshot = status not in ("none", "")
    else:
        for target in targets:
            size = facts.sizes.get(target)
            if size is None:
                plan.warnings.append(
                    f"the phone does not say how big {target} is; the size cannot be checked"
                )
            elif image.expanded_size > size:
                raise PreflightError(
                    f"{phone}: {image.path.name} is {image.expanded_size} bytes but {target} holds only {size}",
                    hint="Check that this image is meant for this partition and this phone.",
                )
    if image.expanded_size % 4096 and not image.sparse and plan.split:
        plan.warnings.append("the image is not a multiple of 4096 bytes; the last block is padded with zeros")
    return plan


def _needs_split(image: ImageFile, limit: int | None) -> bool:
    # Google's rule: no published limit means one download, whatever the size.
    return limit is not None and image.file_size > limit
