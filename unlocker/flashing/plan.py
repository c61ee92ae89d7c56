"""Deciding what a flash will do, without touching the phone: the same code serves --dry-run.

Preflight rules: the bootloader must be unlocked, the battery not reported low, the image must
fit the partition, slots must exist when asked for; logical partitions need fastbootd.
The plan is made once, from the facts read once, and the engine executes exactly this plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unlocker import commands
from unlocker.device.facts import BOOTLOADER, FASTBOOTD, PartitionFacts, PhoneFacts
from unlocker.errors import PreflightError, UsageError
from unlocker.flashing.image import ImageFile
from unlocker.i18n import _

SLOT_CHOICES = ("a", "b", "all", "other")


@dataclass
class FlashPlan:
    phone: str  # how the person named the phone
    partition: str  # as asked for, without a slot suffix added
    slot: str | None  # as asked for (--slot)
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
        """The plan in plain words, one line per step (shown by --dry-run)."""
        if self.image.sparse:
            first = _("image {file}: sparse, {size} bytes, {expanded} bytes once written")
        else:
            first = _("image {file}: raw, {size} bytes, {expanded} bytes once written")
        lines = [
            first.format(
                file=self.image.path.name, size=self.image.file_size, expanded=self.image.expanded_size
            )
        ]
        if self.needs_fastbootd:
            lines.append(_("reboot into fastbootd (the partition is logical, inside super), wait for it"))
        if self.cancel_snapshot:
            lines.append(_("cancel the pending snapshot update (snapshot-update:cancel)"))
        for target in self.targets:
            if self.resize_logical:
                lines.append(
                    _("resize logical partition {partition} to {size} bytes").format(
                        partition=target, size=self.image.expanded_size
                    )
                )
            if self.split:
                how = _("flash {partition} in sparse pieces of at most {limit} bytes")
            else:
                how = _("flash {partition} in one download")
            lines.append(how.format(partition=target, limit=self.limit))
        return lines + [_("warning: {warning}").format(warning=w) for w in self.warnings]

    def to_json(self) -> dict[str, object]:
        return {
            "phone": self.phone,
            "targets": self.targets,
            "split": self.split,
            "limit": self.limit,
            "needs_fastbootd": self.needs_fastbootd,
            "steps": self.describe(),
        }


def resolve_targets(facts: PhoneFacts, part: PartitionFacts, slot: str | None) -> list[str]:
    name = part.name
    if name.endswith(("_a", "_b")) and part.has_slot is not True:
        if slot:
            raise UsageError(
                _("'{partition}' already names a slot; drop --slot or the suffix").format(partition=name)
            )
        return [name]
    if not part.has_slot:
        if slot:
            raise UsageError(
                _("partition '{partition}' has no slots on this phone; drop --slot").format(partition=name)
            )
        return [name]
    current = (facts.current_slot or "a").lstrip("_")
    if slot in (None, ""):
        return [f"{name}_{current}"]
    if slot not in SLOT_CHOICES:
        raise UsageError(_("--slot must be one of {choices}").format(choices=", ".join(SLOT_CHOICES)))
    if slot == "all":
        return [f"{name}_a", f"{name}_b"]
    if slot == "other":
        return [f"{name}_{'b' if current == 'a' else 'a'}"]
    return [f"{name}_{slot}"]


def plan_flash(facts: PhoneFacts, partition: str, image: ImageFile, *, slot: str | None = None) -> FlashPlan:
    """The plan, or PreflightError saying why flashing must not start.

    ``facts`` must hold the partition's facts (``read_facts(client, partitions=[partition])``).
    """
    phone = facts.name
    if facts.unlocked is False:
        raise PreflightError(
            _("{phone}: the bootloader is locked, so {partition} cannot be flashed").format(
                phone=phone, partition=partition
            ),
            hint=_("Unlock it first: {command} (this erases the phone).").format(
                command=commands.show(commands.UNLOCK)
            ),
        )
    if facts.battery_soc_ok is False:
        raise PreflightError(
            _("{phone}: the phone reports a low battery; flashing now risks a half-written partition").format(
                phone=phone
            ),
            hint=_("Charge the phone to at least 50 %, then run the same command again."),
        )
    part = facts.partition(partition)
    targets = resolve_targets(facts, part, slot)
    logical = any(part.logical.get(t) for t in targets)
    needs_fastbootd = logical and facts.mode == BOOTLOADER and partition != "super"
    plan = FlashPlan(
        phone=phone,
        partition=partition,
        slot=slot,
        image=image,
        targets=targets,
        mode=facts.mode,
        limit=facts.max_download_size,
        split=_needs_split(image, facts.max_download_size),
        needs_fastbootd=needs_fastbootd,
    )
    if needs_fastbootd:
        return plan  # the rest is decided in fastbootd, from its own answers
    if facts.mode == FASTBOOTD and logical:
        plan.resize_logical = True
        status = (facts.snapshot_update_status or "none").lower()
        plan.cancel_snapshot = status not in ("none", "")
    else:
        for target in targets:
            size = part.sizes.get(target)
            if size is None:
                plan.warnings.append(
                    _("the phone does not say how big {partition} is; the size cannot be checked").format(
                        partition=target
                    )
                )
            elif image.expanded_size > size:
                raise PreflightError(
                    _("{phone}: {file} is {size} bytes but {partition} holds only {capacity}").format(
                        phone=phone,
                        file=image.path.name,
                        size=image.expanded_size,
                        partition=target,
                        capacity=size,
                    ),
                    hint=_("Check that this image is meant for this partition and this phone."),
                )
    if image.expanded_size % 4096 and not image.sparse and plan.split:
        plan.warnings.append(
            _("the image is not a multiple of 4096 bytes; the last block is padded with zeros")
        )
    return plan


def _needs_split(image: ImageFile, limit: int | None) -> bool:
    # Google's rule: no published limit means one download, whatever the size.
    return limit is not None and image.file_size > limit
