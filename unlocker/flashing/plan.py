"""Deciding what a flash will do, without touching the phone: the same code serves --dry-run.

Preflight rules: the bootloader must be unlocked, the battery not reported low, the partition
must exist (where the phone can tell), the image must fit the partition, slots must exist when
asked for; logical partitions need fastbootd. Critical partitions (:mod:`.critical`) also need
``force_critical``, are never written to both slots at once, refuse images much smaller than
the partition, and on Xiaomi phones compare the image's rollback index with the phone's ``anti``.
The plan is made once, from the facts read once, and the engine executes exactly this plan.
"""

from __future__ import annotations

from unlocker import commands
from unlocker.device.facts import BOOTLOADER, FASTBOOTD, PartitionFacts, PhoneFacts, normalise_slot
from unlocker.errors import PreflightError, UsageError
from unlocker.flashing.critical import Critical, classify
from unlocker.flashing.image import ImageFile
from unlocker.i18n import _

SLOT_CHOICES = ("a", "b", "all", "other")
# A critical partition's image this many times smaller than the partition is not its image
# (real bootloader-chain images fill a good part of theirs; a 4 KiB file into an 8 MiB abl does not).
MUCH_SMALLER = 256


class FlashPlan:
    """What a flash will do. A plain class, not a dataclass: see :class:`~unlocker.device.facts.PhoneFacts`."""

    __slots__ = (
        "cancel_snapshot", "critical", "image", "limit", "mode", "needs_fastbootd", "partition",
        "phone", "questions", "resize_logical", "slot", "split", "targets", "warnings",
    )  # fmt: skip

    def __init__(
        self,
        *,
        phone: str,  # how the person named the phone
        partition: str,  # as asked for, without a slot suffix added
        slot: str | None,  # as asked for (--slot)
        image: ImageFile,
        targets: list[str],
        mode: str,
        limit: int | None,  # bytes per download, None = no limit published
        split: bool,  # resparsed into pieces of at most ``limit``
        needs_fastbootd: bool = False,  # logical partition asked for in the bootloader
        critical: Critical | None = None,
    ) -> None:
        self.phone = phone
        self.partition = partition
        self.slot = slot
        self.image = image
        self.targets = targets
        self.mode = mode
        self.limit = limit
        self.split = split
        self.needs_fastbootd = needs_fastbootd
        self.critical = critical
        self.cancel_snapshot = False  # a pending snapshot update blocks flashing in fastbootd
        self.resize_logical = False
        self.warnings: list[str] = []
        # Questions the person must answer yes to before anything is sent (the engine asks them).
        self.questions: list[str] = []

    def describe(self) -> list[str]:
        """The plan in plain words, one line per step (shown by --dry-run)."""
        if self.image.sparse:
            first = _("image {file}: sparse, {size} bytes, {expanded} bytes once written")
        else:
            first = _("image {file}: raw, {size} bytes, {expanded} bytes once written")
        lines = [
            first.format(
                file=self.image.file_name, size=self.image.file_size, expanded=self.image.expanded_size
            )
        ]
        if self.critical is not None:
            lines.append(_("CRITICAL: {reason}").format(reason=self.critical.reason))
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
        lines += [_("ask first: {question}").format(question=q) for q in self.questions]
        return lines + [_("warning: {warning}").format(warning=w) for w in self.warnings]

    def to_json(self) -> dict[str, object]:
        return {
            "phone": self.phone,
            "targets": self.targets,
            "split": self.split,
            "limit": self.limit,
            "needs_fastbootd": self.needs_fastbootd,
            "critical": self.critical.kind if self.critical else None,
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
    if slot not in (None, "") and slot not in SLOT_CHOICES:
        raise UsageError(_("--slot must be one of {choices}").format(choices=", ".join(SLOT_CHOICES)))
    if slot in ("a", "b"):
        return [f"{name}_{slot}"]
    if slot == "all":
        return [f"{name}_a", f"{name}_b"]
    current = normalise_slot(facts.current_slot)
    if current not in ("a", "b"):
        # Google's fastboot stops here too ("Failed to identify current slot"): never guess.
        raise PreflightError(
            _("{phone}: the phone does not say which slot is active, so {partition} cannot be chosen").format(
                phone=facts.name, partition=name
            ),
            hint=_("Name the slot: --slot a or --slot b."),
        )
    if slot in (None, ""):
        return [f"{name}_{current}"]
    if slot == "other":
        return [f"{name}_{'b' if current == 'a' else 'a'}"]
    return [f"{name}_{slot}"]


def plan_flash(
    facts: PhoneFacts,
    partition: str,
    image: ImageFile,
    *,
    slot: str | None = None,
    force_critical: bool = False,
    both_slots_named: bool = False,
) -> FlashPlan:
    """The plan, or PreflightError saying why flashing must not start.

    ``force_critical`` allows a critical partition (the person's --force-critical, or a vendor
    package whose codename and anti-rollback checks passed); ``both_slots_named`` allows writing
    both slots of one at once, for callers that name both explicitly (a package's ``abl_ab``).

    ``facts`` must hold the partition's facts (``read_flash_facts`` in :mod:`.preflight`, or
    ``read_facts(client, partitions=[partition])``).
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
    _refuse_missing(facts, part)
    targets = resolve_targets(facts, part, slot)
    critical = _critical_guard(
        facts, partition, targets, force_critical, action=_("written"), both_slots_named=both_slots_named
    )
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
        critical=critical,
    )
    if critical is not None:
        _check_critical_image(facts, plan, part)
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
                        file=image.file_name,
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


def plan_erase(facts: PhoneFacts, partition: str, *, force_critical: bool = False) -> Critical | None:
    """Preflight of ``erase``: PreflightError when it must not run; the partition's critical
    classification otherwise. ``facts`` must hold the partition's facts."""
    if facts.unlocked is False:
        raise PreflightError(
            _("{phone}: the bootloader is locked, so {partition} cannot be erased").format(
                phone=facts.name, partition=partition
            ),
            hint=_("Unlock it first: {command}.").format(command=commands.show(commands.UNLOCK)),
        )
    _refuse_missing(facts, facts.partition(partition))
    return _critical_guard(facts, partition, [partition], force_critical, action=_("erased"))


def _refuse_missing(facts: PhoneFacts, part: PartitionFacts) -> None:
    if part.exists is False:
        raise PreflightError(
            _("{phone} has no partition named '{partition}'").format(phone=facts.name, partition=part.name),
            hint=_("Check the name; {command} lists the phone's partitions (partition-size:NAME).").format(
                command=commands.show(commands.GETVAR, "all")
            ),
        )


def _critical_guard(
    facts: PhoneFacts,
    partition: str,
    targets: list[str],
    force: bool,
    *,
    action: str,
    both_slots_named: bool = False,
) -> Critical | None:
    critical = classify(partition, facts.soc_family)
    if critical is None:
        return None
    if not force:
        raise PreflightError(
            _("{phone}: refusing: {reason}. It is only {action} with {option}.").format(
                phone=facts.name, reason=critical.reason, action=action, option="--force-critical"
            ),
            hint=_(
                "Only if this image comes from this exact phone's own firmware package (or is your own "
                "backup of this partition), run the same command with {option}."
            ).format(option="--force-critical"),
        )
    if len(targets) > 1 and not both_slots_named:
        raise PreflightError(
            _(
                "{phone}: {partition} is critical, so both slots are never written at once: the other "
                "slot is what still starts if this image is wrong"
            ).format(phone=facts.name, partition=critical.name),
            hint=_("Flash {first} by name, check that the phone starts, then {second}.").format(
                first=targets[0], second=targets[1]
            ),
        )
    return critical


def _check_critical_image(facts: PhoneFacts, plan: FlashPlan, part: PartitionFacts) -> None:
    """Size and anti-rollback checks that --force-critical does not override."""
    image = plan.image
    for target in plan.targets:
        size = part.sizes.get(target)
        if size is not None and image.expanded_size * MUCH_SMALLER < size:
            raise PreflightError(
                _(
                    "{phone}: {file} is {size} bytes, far too small for {partition} ({capacity} bytes): "
                    "it is not an image of this partition"
                ).format(
                    phone=facts.name,
                    file=image.file_name,
                    size=image.expanded_size,
                    partition=target,
                    capacity=size,
                ),
                hint=_("Take the image for {partition} from this phone's firmware package.").format(
                    partition=target
                ),
            )
    anti = facts.anti_rollback
    if plan.critical is None or not plan.critical.chain or anti is None:
        return
    index = image.rollback_index
    if index is None:
        plan.questions.append(
            _(
                "{phone}'s anti-rollback index is {anti} and {file} carries no rollback index to compare "
                "it with. Writing a bootloader older than the phone's anti-rollback level bricks it for "
                "good. Is this firmware's anti-rollback level {anti} or higher?"
            ).format(phone=facts.name, anti=anti, file=image.file_name)
        )
    elif index < anti:
        raise PreflightError(
            _(
                "{phone}: {file} has rollback index {index}, below the phone's anti-rollback index {anti}: "
                "the phone would refuse to start (hard brick)"
            ).format(phone=facts.name, file=image.file_name, index=index, anti=anti),
            hint=_("Use firmware whose anti-rollback level is {anti} or higher.").format(anti=anti),
        )
    else:
        plan.warnings.append(
            _("rollback index {index} of {file} is not below the phone's anti-rollback index {anti}").format(
                index=index, file=image.file_name, anti=anti
            )
        )


def _needs_split(image: ImageFile, limit: int | None) -> bool:
    # Google's rule: no published limit means one download, whatever the size.
    return limit is not None and image.file_size > limit
