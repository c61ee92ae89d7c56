"""Carrying out a stock plan: unpack (checked), re-plan each flash on the real file, then write.

Order matters for safety: the person confirms; the package is unpacked into the cache (free
space checked first; every hash and the archive's CRC verified); each flash is planned again by
the engine on the unpacked file; Xiaomi's CRC-list piece counts are compared; only then is the
first byte sent. Every write goes through the flash engine (``engine.execute``); no lock
command is ever sent, because plans cannot hold one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from unlocker.errors import (
    FastbootFailure,
    FlashError,
    PackageError,
    PreflightError,
    ProtocolError,
    TransportError,
)
from unlocker.fastboot.client import FastbootClient
from unlocker.flashing.engine import execute
from unlocker.flashing.image import inspect_image
from unlocker.flashing.plan import FlashPlan
from unlocker.flashing.progress import FlashReporter, SilentReporter
from unlocker.i18n import _
from unlocker.sparse.resparse import resparse
from unlocker.stock import archive, workspace
from unlocker.stock.flash_script import ERASE, FLASH, REBOOT, SET_ACTIVE
from unlocker.stock.plan import OTA_FIRMWARE, Action, StockPlan, engine_plan

Confirm = Callable[[str], None]
Progress = Callable[[int], None]


@dataclass
class StockResult:
    phone: str
    done: list[str] = field(default_factory=list)  # one line per completed action
    written: list[str] = field(default_factory=list)  # partitions flashed, in order
    erased: list[str] = field(default_factory=list)
    bytes_sent: int = 0
    rebooted: bool = False


def question(plan: StockPlan) -> str:
    if plan.kind == OTA_FIRMWARE:
        return _("Flash the firmware of {package} to both slots of {phone} ({count} partitions)?").format(
            package=plan.package.name, phone=plan.phone, count=len(plan.actions)
        )
    if plan.wipes_data:
        return _("Flash {package} to {phone}? This ERASES ALL DATA on the phone.").format(
            package=plan.package.name, phone=plan.phone
        )
    return _("Flash {package} to {phone}, keeping its data?").format(
        package=plan.package.name, phone=plan.phone
    )


def apply_stock(
    client: FastbootClient,
    plan: StockPlan,
    *,
    confirm: Confirm,
    reporter: FlashReporter | None = None,
    unpack_progress: Progress | None = None,
    reboot: bool = True,
    cache: Path | None = None,
) -> StockResult:
    """Run ``plan`` (from :func:`unlocker.stock.plan_stock`) on the phone it was made for.

    ``confirm(question)`` is asked once, before anything is unpacked or written, and stops
    everything by raising. ``reboot=False`` leaves the phone in the bootloader at the end even
    if the package's script reboots it (for callers with more steps to take).
    """
    confirm(question(plan))
    report = reporter or SilentReporter()
    with workspace.workspace(plan.unpack_size, cache) as folder:
        files = _unpack(plan, folder, report, unpack_progress)
        flashes = {id(a): _replan(plan, a, files) for a in plan.actions if a.kind == FLASH}
        if plan.crc_lists:
            _check_crc_pieces(plan, flashes)
        return _run(client, plan, flashes, confirm, report, reboot)


def _unpack(
    plan: StockPlan, folder: Path, report: FlashReporter, progress: Progress | None
) -> dict[str, Path]:
    if plan.kind == OTA_FIRMWARE:
        return _unpack_payload(plan, folder, report, progress)
    report.note(
        _("unpacking {count} files from {package}").format(count=len(plan.files), package=plan.package.name)
    )
    # The second and last pass over the archive; it must match the index the plan was made from.
    return archive.extract(plan.source.index, set(plan.files), folder, progress=progress)


def _unpack_payload(
    plan: StockPlan, folder: Path, report: FlashReporter, progress: Progress | None
) -> dict[str, Path]:
    from unlocker.stock.extract import extract_to_file
    from unlocker.stock.ota_zip import open_payload

    files: dict[str, Path] = {}
    with open_payload(plan.package) as (source, payload, _archive):
        for action in plan.actions:
            part = payload.manifest.partition(action.partition or "")
            if part is None:
                raise PackageError(_("the package changed since it was read"))
            report.note(_("extracting {partition} and checking its hash").format(partition=part.name))
            destination = folder / f"{part.name}.img"
            extract_to_file(source, payload, part, destination, progress=progress)
            files[f"{part.name}.img"] = destination
    return files


def _replan(plan: StockPlan, action: Action, files: dict[str, Path]) -> FlashPlan:
    assert action.file and action.partition and action.flash
    image = inspect_image(files[action.file])
    if image.expanded_size != action.flash.image.expanded_size:
        raise PackageError(
            _("{file} unpacked to {size} bytes, not the {expected} its header promised").format(
                file=action.file, size=image.expanded_size, expected=action.flash.image.expanded_size
            ),
            hint=_("The package is damaged: download it again. Nothing was flashed."),
        )
    return engine_plan(plan.facts, action.partition, image, slot=action.slot)


def crc_piece_counts(text: str) -> dict[str, int]:
    """images/sparsecrclist.txt: 'SPARSECRC-LIST', then '<partition> <count> <crc>...' lines."""
    counts: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        words = line.split()
        if len(words) >= 2 and words[1].isdigit():
            counts[words[0]] = int(words[1])
    return counts


def _check_crc_pieces(plan: StockPlan, flashes: dict[int, FlashPlan]) -> None:
    """A bootloader that checks CRC lists expects each sparse image in the number of pieces the
    package was made for (an inference: the format is not documented). A different count would
    fail half-way through flashing, so it is refused before the first write."""
    listed = plan.source.index.texts.get("images/sparsecrclist.txt")
    if listed is None:
        return
    counts = crc_piece_counts(listed)
    for action in plan.actions:
        flash = flashes.get(id(action))
        if flash is None or action.partition not in counts:
            continue
        pieces = 1
        if flash.split and flash.limit is not None:
            with open(flash.image.path, "rb") as f:
                pieces = len(resparse(flash.image.layout(f), flash.limit))
        if pieces != counts[action.partition]:
            raise PreflightError(
                _(
                    "{partition}: the package's CRC list expects {expected} pieces, but this phone's download "
                    "limit gives {pieces}; the phone would reject the flash half-way"
                ).format(partition=action.partition, expected=counts[action.partition], pieces=pieces),
                hint=_("Nothing was written. Please report this with {phone}'s `getvar all` output.").format(
                    phone=plan.phone
                ),
            )


def _run(
    client: FastbootClient,
    plan: StockPlan,
    flashes: dict[int, FlashPlan],
    confirm: Confirm,
    report: FlashReporter,
    reboot: bool,
) -> StockResult:
    result = StockResult(plan.phone)
    total = sum(1 for a in plan.actions if a.kind != "skip")
    number = 0
    for action in plan.actions:
        if action.kind == "skip":
            continue
        number += 1
        try:
            if action.kind == FLASH:
                flash = execute(
                    client,
                    flashes[id(action)],
                    confirm=confirm,
                    reconnect=_no_reconnect,
                    reporter=report,
                )
                result.written += flash.written
                result.bytes_sent += flash.bytes_sent
            elif action.kind == ERASE:
                for target in action.targets:
                    client.erase(target)
                result.erased += action.targets
            elif action.kind == SET_ACTIVE:
                client.set_active(action.slot or "a")
            elif action.kind == REBOOT:
                if not reboot:
                    continue
                client.reboot()
                result.rebooted = True
        except (FlashError, FastbootFailure, TransportError, ProtocolError) as e:
            raise FlashError(
                _("{phone}: stopped at step {number} of {total} ({step}): {error}").format(
                    phone=plan.phone, number=number, total=total, step=action.text, error=e
                ),
                hint=_(
                    "The phone may not start now, but its bootloader is intact if it still shows fastboot "
                    "mode: keep it there and run the same command again."
                ),
            ) from e
        result.done.append(action.describe())
    return result


def _no_reconnect() -> FastbootClient:
    # Plans never need fastbootd (plan_rom refuses logical partitions), so the engine never reboots.
    raise PreflightError(_("stock firmware is flashed from the bootloader only"))
