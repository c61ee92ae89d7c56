"""Executing a flash plan against a phone, piece by piece, reporting exactly what was written."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from unlocker.errors import (
    FastbootFailure,
    FlashError,
    PreflightError,
    ProtocolError,
    TransportError,
)
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.variables import parse_bool
from unlocker.flashing.facts import read_facts
from unlocker.flashing.image import ImageFile
from unlocker.flashing.plan import FlashPlan, plan_flash
from unlocker.flashing.progress import FlashReporter, SilentReporter
from unlocker.sparse.resparse import resparse
from unlocker.sparse.writer import SparseStream

Reconnect = Callable[[], FastbootClient]
Confirm = Callable[[str], None]


@dataclass
class FlashResult:
    written: list[str] = field(default_factory=list)
    pieces: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    client: FastbootClient | None = None  # the live session (a new one after a reboot to fastbootd)

    @property
    def rate(self) -> float:
        return self.bytes_sent / self.seconds if self.seconds else 0.0


def prepare(client: FastbootClient, partition: str, image: ImageFile, slot: str | None) -> FlashPlan:
    return plan_flash(read_facts(client, partition), image, slot=slot, phone=client.name)


def flash(
    client: FastbootClient,
    partition: str,
    image: ImageFile,
    *,
    slot: str | None = None,
    confirm: Confirm,
    reconnect: Reconnect,
    reporter: FlashReporter | None = None,
) -> FlashResult:
    """Flash ``image`` into ``partition``: preflight, optional trip to fastbootd, pieces, checks."""
    report = reporter or SilentReporter()
    plan = prepare(client, partition, image, slot)
    if plan.needs_fastbootd:
        confirm(f"{partition} is a logical partition: reboot {client.name} into fastbootd to flash it?")
        report.note(f"{client.name}: rebooting into fastbootd")
        client.reboot("fastboot")
        client.close()
        client = reconnect()
        if not parse_bool(client.try_getvar("is-userspace")):
            raise PreflightError(
                f"{client.name}: the phone did not come back in fastbootd",
                hint="Some components may be unbootable; reboot to the bootloader and retry.",
            )
        plan = prepare(client, partition, image, slot)
    if plan.cancel_snapshot:
        confirm(
            f"{client.name} has a pending system update (snapshot); cancel it so {partition} can be flashed?"
        )
        client.command("snapshot-update:cancel")
    result = FlashResult(client=client)
    start = time.monotonic()
    for target in plan.targets:
        if plan.resize_logical:
            client.command(f"resize-logical-partition:{target}:{image.expanded_size}")
        _flash_target(client, target, plan, image, report, result)
        result.written.append(target)
    result.seconds = time.monotonic() - start
    return result


def _flash_target(
    client: FastbootClient,
    target: str,
    plan: FlashPlan,
    image: ImageFile,
    report: FlashReporter,
    result: FlashResult,
) -> None:
    with open(image.path, "rb") as f:
        if not plan.split:
            _send(client, target, f, image.file_size, 1, 1, report, result)
            return
        assert plan.limit is not None
        layout = image.layout(f)
        streams = [
            SparseStream(f, extents, layout.blk_sz, layout.total_blks)
            for extents in resparse(layout, plan.limit)
        ]
        report.pieces_planned(len(streams), sum(s.size for s in streams))
        for number, stream in enumerate(streams, 1):
            _send(client, target, stream, stream.size, number, len(streams), report, result)


def _send(client, target, source, size, number, count, report, result) -> None:  # noqa: ANN001 - internal
    label = f"{target} {number}/{count}" if count > 1 else target
    report.transfer_started(label, size)
    try:
        client.download(source, size, progress=report.transferred)
        client.flash(target)
    except (FastbootFailure, TransportError, ProtocolError) as e:
        done = f"pieces 1-{number - 1} of {count} were written" if number > 1 else "nothing was written"
        piece = f" at piece {number}/{count}" if count > 1 else ""
        raise FlashError(
            f"{client.name}: flashing {target} stopped{piece}: {e}; {done}",
            hint=(e.hint + " " if e.hint else "")
            + f"{target} is now incomplete: keep the phone in fastboot mode and run the same command again.",
        ) from None
    finally:
        report.transfer_done()
    result.pieces += 1
    result.bytes_sent += size
