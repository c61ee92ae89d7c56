"""Executing a flash plan against a phone, piece by piece, reporting exactly what was written.

``execute(client, plan)`` runs the plan it is given: it does not ask the phone again, except
after a reboot into fastbootd, where the phone is a new session that must be asked afresh.

When it stops part-way (a FAIL, a stall, a lost cable, Ctrl+C or SIGTERM) the message says only
what is known: whether this piece's data reached the phone, whether the phone was told to write
it, whether it confirmed; and so whether the partition is unchanged, incomplete or may be changed.
"""

from __future__ import annotations

import time

from unlocker.errors import (
    FastbootFailure,
    FlashError,
    FlashInterrupted,
    PreflightError,
    ProtocolError,
    Terminated,
    TransportError,
)
from unlocker.fastboot.client import FastbootClient
from unlocker.flashing.plan import FlashPlan, plan_flash
from unlocker.flashing.preflight import read_flash_facts
from unlocker.flashing.progress import FlashReporter, SilentReporter
from unlocker.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO

    from unlocker.sparse.writer import SparseStream

    Reconnect = Callable[[], FastbootClient]
    Confirm = Callable[[str], None]
else:
    # Names other modules import for their annotations (never evaluated): spelled as strings,
    # since collections.abc costs start-up time (issue 15).
    Reconnect = "Callable[[], FastbootClient]"
    Confirm = "Callable[[str], None]"


class FlashResult:
    """What a flash did; filled in as it goes."""

    __slots__ = ("bytes_sent", "client", "pieces", "seconds", "written")

    def __init__(self, client: FastbootClient | None = None) -> None:
        self.written: list[str] = []
        self.pieces = 0
        self.bytes_sent = 0
        self.seconds = 0.0
        self.client = client  # the live session (a new one after a reboot to fastbootd)

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
    for question in plan.questions:
        confirm(question)
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
    facts = read_flash_facts(client, plan.partition)
    if not facts.in_fastbootd:
        raise PreflightError(
            _("{phone}: the phone did not come back in fastbootd").format(phone=client.name),
            hint=_("Some components may be unbootable; reboot to the bootloader and retry."),
        )
    return client, plan_flash(
        facts, plan.partition, plan.image, slot=plan.slot, force_critical=plan.critical is not None
    )


def _flash_target(
    client: FastbootClient, target: str, plan: FlashPlan, report: FlashReporter, result: FlashResult
) -> None:
    image = plan.image
    with open(image.path, "rb") as f:
        if not plan.split:
            _send(client, target, f, image.file_size, 1, 1, report, result)
            return
        # Only an image cut in pieces needs the cutting and the sparse writer: a flash that sends
        # the file as it is does not load them (start-up, issue 15).
        from unlocker.sparse.resparse import iter_pieces
        from unlocker.sparse.writer import CRC_CHUNK_SIZE, SparseStream

        assert plan.limit is not None
        layout = image.layout(f)
        # A source with CRC32 chunks gets one per piece, so each piece keeps room for it.
        limit = plan.limit - (CRC_CHUNK_SIZE if layout.has_crc else 0)

        def streams() -> Iterator[SparseStream]:
            # One piece at a time: memory stays flat however many pieces the image needs.
            for extents in iter_pieces(layout, limit):
                yield SparseStream(f, extents, layout.blk_sz, layout.total_blks, crc=layout.has_crc)

        count = total = 0
        for stream in streams():  # sizes only: nothing is read
            count += 1
            total += stream.size
        report.pieces_planned(count, total)
        for number, stream in enumerate(streams(), 1):
            _send(client, target, stream, stream.size, number, count, report, result)


# What is known about the piece being sent when something stops it.
_ASKING = "asking"  # the download command is out; no data sent yet
_SENDING = "sending"  # data partly sent (``sent`` bytes); the phone was not told to write it
_SENT = "sent"  # all data sent, not yet confirmed by the phone; not told to write it
_WRITING = "writing"  # the phone confirmed the data and was told to write it: no answer yet


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
    state = _ASKING
    sent = 0

    def progress(nbytes: int) -> None:
        nonlocal state, sent
        sent += nbytes
        state = _SENT if sent >= size else _SENDING
        report.transferred(nbytes)

    try:
        client.download(source, size, progress=progress)  # type: ignore[arg-type]
        state = _WRITING
        client.flash(target)
    except (FastbootFailure, TransportError, ProtocolError) as e:
        message, next_step = _outcome(client, target, number, count, state, sent, size, e)
        raise FlashError(message, hint=f"{e.hint} {next_step}" if e.hint else next_step) from e
    except KeyboardInterrupt as e:
        message, next_step = _outcome(client, target, number, count, state, sent, size, None)
        raise FlashInterrupted(message, terminated=isinstance(e, Terminated), hint=next_step) from e
    finally:
        report.transfer_done()
    result.pieces += 1
    result.bytes_sent += size


def _outcome(
    client: FastbootClient,
    target: str,
    number: int,
    count: int,
    state: str,
    sent: int,
    size: int,
    error: Exception | None,
) -> tuple[str, str]:
    """The message (what happened, what is known) and the next step, for a piece that stopped."""
    if state == _ASKING:
        known = _("no data of this piece reached the phone")
    elif state == _SENDING:
        known = _(
            "the transfer stopped after {sent} of {size} bytes and the phone was never told to write them"
        ).format(sent=sent, size=size)
    elif state == _SENT:
        known = _(
            "all {size} bytes were sent but the phone did not confirm them; it was never told to write them"
        ).format(size=size)
    elif isinstance(error, FastbootFailure):
        known = _(
            "the phone received the data and refused to write it; whether it wrote part of it first is unknown"
        )
    else:
        known = _("the phone received the data and was told to write it, but did not confirm it")
    written_before = number > 1
    untouched = state != _WRITING
    if untouched and not written_before:
        done = _("nothing was written to {partition}").format(partition=target)
        next_step = _("{partition} is unchanged: fix the problem above, then run the same command again.")
    elif untouched:
        done = _("pieces 1-{last} of {count} were written").format(last=number - 1, count=count)
        next_step = _(
            "{partition} is now incomplete: keep the phone in fastboot mode (do not reboot it) and run the "
            "same command again."
        )
    else:
        if written_before:
            done = _(
                "pieces 1-{last} of {count} were written and piece {number} may be partly written"
            ).format(last=number - 1, count=count, number=number)
        else:
            done = _("{partition} may have been changed").format(partition=target)
        next_step = _(
            "{partition} may be partly written: keep the phone in fastboot mode (do not reboot it) and run "
            "the same command again."
        )
    what = _("interrupted") if error is None else str(error)
    if count > 1:
        message = _(
            "{phone}: flashing {partition} stopped at piece {number}/{count}: {error}; {known}; {done}"
        )
    else:
        message = _("{phone}: flashing {partition} stopped: {error}; {known}; {done}")
    return (
        message.format(
            phone=client.name,
            partition=target,
            number=number,
            count=count,
            error=what,
            known=known,
            done=done,
        ),
        next_step.format(partition=target),
    )
