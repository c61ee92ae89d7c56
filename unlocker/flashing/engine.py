"""Executing a flash plan against a phone, piece by piece, reporting exactly what was written.

``execute(client, plan)`` runs the plan it is given: it does not ask the phone again, except
after a reboot into fastbootd, where the phone is a new session that must be asked afresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from unlocker.device.facts import read_facts
from unlocker.errors import FastbootFailure, FlashError, PreflightError, ProtocolError, TransportError
from unlocker.fastboot.client import FastbootClient
from unlocker.flashing.plan import FlashPlan, plan_flash
from unlocker.flashing.progress import FlashReporter, SilentReporter
from unlocker.i18n import _
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


def execute(
    client: FastbootClient,
    plan: FlashPlan,
    *,
    confirm: Confirm,
    reconnect: Reconnect,
    reporter: FlashReporter | None = None,
) -> FlashResult:
    """Carry out ``plan``: optional trip to fastbootd, pieces, checks. Raises FlashError with
    what was written when it stops part-way."""
    report = reporter or SilentReporter()
    if plan.needs_fastbootd:
        client, plan = _into_fastbootd(client, plan, confirm, reconnect, report)
    if plan.cancel_snapshot:
        confirm(
            _(
                "{phone} has a pending system update (snapshot); cancel it so {partition} can be flashed?"
            ).format(phone=client.name, partition=plan.partition)
        )
        client.command("snapshot-update:cancel")
    result = FlashResult(client=client)
    start = time.monotonic()
    for target in plan.targets:
        if plan.resize_logical:
            client.command(f"resize-logical-partition:{target}:{plan.image.expanded_size}")
        _flash_target(client, target, plan, report, result)
        result.written.append(target)
    result.seconds = time.monotonic() - start
    return result


def _into_fastbootd(
    client: FastbootClient, plan: FlashPlan, confirm: Confirm, reconnect: Reconnect, report: FlashReporter
) -> tuple[FastbootClient, FlashPlan]:
    confirm(
        _("{partition} is a logical partition: reboot {phone} into fastbootd to flash it?").format(
            partition=plan.partition, phone=client.name
        )
    )
    report.note(_("{phone}: rebooting into fastbootd").format(phone=client.name))
    client.reboot("fastboot")
    client.close()
    client = reconnect()
    facts = read_facts(client, partitions=[plan.partition])
    if not facts.in_fastbootd:
        raise PreflightError(
            _("{phone}: the phone did not come back in fastbootd").format(phone=client.name),
            hint=_("Some components may be unbootable; reboot to the bootloader and retry."),
        )
    return client, plan_flash(facts, plan.partition, plan.image, slot=plan.slot)


def _flash_target(
    client: FastbootClient, target: str, plan: FlashPlan, report: FlashReporter, result: FlashResult
) -> None:
    image = plan.image
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


def _send(
    client: FastbootClient,
    target: str,
    source: BinaryIO | SparseStream,
    size: int,
    number: int,
    count: int,
    report: FlashReporter,
    result: FlashResult,
) -> None:
    label = f"{target} {number}/{count}" if count > 1 else target
    report.transfer_started(label, size)
    try:
        client.download(source, size, progress=report.transferred)  # type: ignore[arg-type]
        client.flash(target)
    except (FastbootFailure, TransportError, ProtocolError) as e:
        if number > 1:
            done = _("pieces 1-{last} of {count} were written").format(last=number - 1, count=count)
        else:
            done = _("nothing was written")
        if count > 1:
            message = _("{phone}: flashing {partition} stopped at piece {number}/{count}: {error}; {done}")
        else:
            message = _("{phone}: flashing {partition} stopped: {error}; {done}")
        next_step = _(
            "{partition} is now incomplete: keep the phone in fastboot mode and run the same command again."
        ).format(partition=target)
        raise FlashError(
            message.format(
                phone=client.name, partition=target, number=number, count=count, error=e, done=done
            ),
            hint=f"{e.hint} {next_step}" if e.hint else next_step,
        ) from e
    finally:
        report.transfer_done()
    result.pieces += 1
    result.bytes_sent += size
