"""``fastboot wipe-super super_empty.img``: reset the super partition to empty dynamic-partition metadata.

What Google's fastboot does (fastboot.cpp ``wipe_super``, liblp images.cpp ``ImageBuilder``):
read the metadata from super_empty.img, then build one sparse image per block device the
metadata names, each the block device's size. The first (super) device gets 4096 bytes of zeros,
the geometry twice, then every metadata slot's primary copy and every backup copy; all other
blocks, and the other devices (retrofit phones spread super over system and vendor), are
DONT_CARE, so nothing else is touched. Each image goes to the partition named after its block
device, with the slot suffix where the phone has slots, through the ordinary flash engine
(pieces, progress, deadlines). A retrofit phone (super not called ``super``) is first sent
``oem allow-flash-super``, whose answer fastboot ignores: bootloaders that do not know it say FAIL.
The pieces are small files in a temporary directory, as fastboot's are: only the metadata region
carries data.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from unlocker import commands
from unlocker.device.facts import BOOTLOADER, PhoneFacts, Variables, read_facts
from unlocker.errors import FastbootFailure, ImageError, PreflightError
from unlocker.fastboot.client import FastbootClient
from unlocker.flashing.engine import Confirm, FlashResult, Reconnect, execute
from unlocker.flashing.image import ImageFile, inspect_image
from unlocker.flashing.lp_metadata import (
    DEFAULT_SUPER_NAME,
    GEOMETRY_SIZE,
    RESERVED_BYTES,
    BlockDevice,
    LpMetadata,
    metadata_region,
    read_super_empty,
    serialize_geometry,
    serialize_metadata,
)
from unlocker.flashing.plan import FlashPlan, plan_flash
from unlocker.flashing.progress import FlashReporter
from unlocker.i18n import _
from unlocker.sparse.extents import Extent
from unlocker.sparse.format import FILL, RAW
from unlocker.sparse.writer import write_sparse

ALLOW_FLASH_SUPER = "oem allow-flash-super"


def metadata_blob(metadata: LpMetadata) -> bytes:
    """What follows the reserved zeros on the super device: two geometries, then each slot's
    metadata padded to metadata_max_size, primary copies then backups (ImageBuilder::Build)."""
    geometry = metadata.geometry
    serialized = serialize_metadata(metadata)
    if len(serialized) > geometry.metadata_max_size:
        raise ImageError(
            _("the logical partition metadata is invalid: {problem}").format(problem="metadata_max_size")
        )
    padded = serialized.ljust(geometry.metadata_max_size, b"\0")
    return serialize_geometry(geometry) * 2 + padded * (geometry.metadata_slot_count * 2)


def _check_layout(metadata: LpMetadata) -> None:
    """ImageBuilder's own checks: everything aligned to the logical block size, counts in 32 bits."""
    block = metadata.geometry.logical_block_size
    problem = None
    if GEOMETRY_SIZE % block or RESERVED_BYTES % block or metadata.geometry.metadata_max_size % block:
        problem = "logical_block_size"
    for device in metadata.block_devices:
        if device.size % block or device.size // block >= 0xFFFFFFFF:
            problem = "block device size"
    if metadata_region(metadata.geometry) > metadata.super_device.size:
        problem = "block device size"
    if problem:
        raise ImageError(_("the logical partition metadata is invalid: {problem}").format(problem=problem))


@dataclass(frozen=True)
class EmptyImage:
    device: BlockDevice
    image: ImageFile  # a sparse file in the temporary directory


@dataclass(frozen=True)
class EmptySuper:
    """super_empty.img read and turned into one sparse image per block device."""

    source: Path
    metadata: LpMetadata
    images: list[EmptyImage]

    @property
    def super_name(self) -> str:
        return self.metadata.super_device.partition_name

    @property
    def retrofit(self) -> bool:
        return self.super_name != DEFAULT_SUPER_NAME


def write_empty_images(metadata: LpMetadata, directory: Path) -> list[tuple[BlockDevice, Path]]:
    """One sparse file per block device, named after it (``super_NAME.img`` when there are several,
    as fastboot names them)."""
    _check_layout(metadata)
    block = metadata.geometry.logical_block_size
    blob = metadata_blob(metadata)
    out = []
    several = len(metadata.block_devices) > 1
    for index, device in enumerate(metadata.block_devices):
        extents: list[Extent] = []
        if index == 0:
            reserved = RESERVED_BYTES // block
            extents = [
                Extent(FILL, 0, reserved, fill=bytes(4)),
                Extent(RAW, reserved, len(blob) // block, source_offset=0),
            ]
        name = f"super_{device.partition_name}.img" if several else f"{device.partition_name}.img"
        path = directory / name
        with open(path, "wb") as dst:
            write_sparse(io.BytesIO(blob), extents, block, device.size // block, dst)
        out.append((device, path))
    return out


@contextmanager
def empty_super(source: Path) -> Iterator[EmptySuper]:
    """Read ``source`` (refused when damaged) and make its empty images; they are deleted afterwards."""
    metadata = read_super_empty(source)
    with tempfile.TemporaryDirectory(prefix="unlocker-wipe-super-") as tmp:
        try:
            written = write_empty_images(metadata, Path(tmp))
        except ImageError as e:
            raise ImageError(
                _("{file}: {problem}").format(file=source.name, problem=e),
                hint=_("This is not a usable super_empty.img: download it again from the ROM's build."),
            ) from e
        yield EmptySuper(source, metadata, [EmptyImage(d, inspect_image(p)) for d, p in written])


@dataclass
class WipeSuperPlan:
    phone: str
    empty: EmptySuper
    flashes: list[FlashPlan]
    warnings: list[str] = field(default_factory=list)

    @property
    def targets(self) -> list[str]:
        return [t for f in self.flashes for t in f.targets]

    def describe(self) -> list[str]:
        lines = [
            _("read {file}: {count} block device(s), super is {name}").format(
                file=self.empty.source.name, count=len(self.empty.images), name=self.empty.super_name
            )
        ]
        if self.empty.retrofit:
            lines.append(_("send {command} (its answer does not matter)").format(command=ALLOW_FLASH_SUPER))
        for flash in self.flashes:
            for target in flash.targets:
                lines.append(
                    _("write empty dynamic-partition metadata to {partition} ({size} bytes)").format(
                        partition=target, size=flash.image.expanded_size
                    )
                )
        return lines + [_("warning: {warning}").format(warning=w) for w in self.warnings]

    def to_json(self) -> dict[str, object]:
        return {
            "phone": self.phone,
            "source": str(self.empty.source),
            "super": self.empty.super_name,
            "retrofit": self.empty.retrofit,
            "targets": self.targets,
            "steps": self.describe(),
        }


def read_wipe_facts(client: FastbootClient, empty: EmptySuper) -> tuple[PhoneFacts, str | None]:
    """The facts for every block device's partition, and the phone's ``super-partition-name``."""
    variables = Variables(client)
    names = [i.device.partition_name for i in empty.images]
    facts = read_facts(client, partitions=names, variables=variables)
    return facts, variables.get("super-partition-name")


def plan_wipe_super(
    facts: PhoneFacts, phone_super_name: str | None, empty: EmptySuper, *, slot: str | None = None
) -> WipeSuperPlan:
    """PreflightError when the phone is not one this super_empty.img can be written to."""
    if facts.mode != BOOTLOADER:
        # In fastbootd the same names are logical partitions inside super: writing them there
        # would not reset super at all.
        raise PreflightError(
            _("{phone} is in fastbootd; wipe-super writes super from the bootloader").format(
                phone=facts.name
            ),
            hint=_("Reboot it to the bootloader ({command}), then run the same command again.").format(
                command=commands.show(commands.REBOOT_BOOTLOADER)
            ),
        )
    expected = empty.super_name
    if phone_super_name:
        said = phone_super_name.strip()
        allowed = {expected}
        if empty.metadata.super_device.slot_suffixed:
            allowed |= {f"{expected}_a", f"{expected}_b"}
        if said not in allowed:
            raise PreflightError(
                _(
                    "{phone} calls its super partition {said}, but {file} is for a super partition called "
                    "{expected}: it is not this phone's super_empty.img"
                ).format(phone=facts.name, said=said, file=empty.source.name, expected=expected),
                hint=_("Use the super_empty.img of this phone's own build."),
            )
    flashes = []
    for item in empty.images:
        part = facts.partition(item.device.partition_name)
        if part.exists is not True:
            # Block devices are GPT partitions the bootloader knows (never logical ones), and
            # bootloaders of dynamic-partition phones answer has-slot / partition-size for them:
            # no answer means this file describes another phone's layout.
            raise PreflightError(
                _("{phone} has no partition named '{partition}'").format(
                    phone=facts.name, partition=part.name
                ),
                hint=_("Use the super_empty.img of this phone's own build."),
            )
        flash = plan_flash(facts, item.device.partition_name, item.image, slot=slot)
        if flash.needs_fastbootd or flash.resize_logical:
            raise PreflightError(
                _("{phone} reports {partition} as a logical partition; wipe-super cannot write it").format(
                    phone=facts.name, partition=item.device.partition_name
                ),
                hint=_("Check that this super_empty.img is for this phone."),
            )
        flashes.append(flash)
    warnings = [w for f in flashes for w in f.warnings]
    return WipeSuperPlan(facts.name, empty, flashes, warnings)


def execute_wipe_super(
    client: FastbootClient,
    plan: WipeSuperPlan,
    *,
    confirm: Confirm,
    reconnect: Reconnect,
    reporter: FlashReporter | None = None,
    note: Callable[[str], None] | None = None,
) -> FlashResult:
    """``oem allow-flash-super`` on retrofit phones, then each block device's image in order."""
    if plan.empty.retrofit:
        try:
            client.command(ALLOW_FLASH_SUPER)
        except FastbootFailure as e:
            if note is not None:  # fastboot ignores the answer too: most bootloaders lack it
                note(
                    _("{phone} does not know {command} ({answer}); going on").format(
                        phone=client.name, command=ALLOW_FLASH_SUPER, answer=e.device_message
                    )
                )
    total = FlashResult(client=client)
    for flash in plan.flashes:
        result = execute(client, flash, confirm=confirm, reconnect=reconnect, reporter=reporter)
        # A phone that dropped and came back mid-write is reached through the new link from then on.
        client = total.client = result.client or client
        total.written += result.written
        total.pieces += result.pieces
        total.bytes_sent += result.bytes_sent
        total.seconds += result.seconds
    return total
