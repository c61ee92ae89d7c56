"""The small public API for people who script unlocker in Python (no click involved).

>>> import unlocker
>>> with unlocker.connect("tcp:127.0.0.1:5554") as phone:       # or a USB serial, or None
...     facts = unlocker.read_facts(phone)
...     plan = unlocker.plan_flash(phone, "boot", "boot.img")     # what would happen
...     result = unlocker.flash(phone, "boot", "boot.img", confirm=lambda question: None)
...     outcome = unlocker.unlock_bootloader(phone, confirm=lambda question: None, notify=print)

Every failure is an :class:`unlocker.errors.UnlockerError` with a message and a ``hint``.
Destructive calls take a ``confirm`` callable: it is asked before anything irreversible and
stops the operation by raising (e.g. :class:`unlocker.errors.Aborted`).
"""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any

from unlocker.device.connect import connect_fastboot
from unlocker.device.facts import PhoneFacts, read_facts
from unlocker.device.state import status_report
from unlocker.fastboot.client import FastbootClient
from unlocker.flashing.engine import FlashResult, execute
from unlocker.flashing.image import inspect_image
from unlocker.flashing.plan import FlashPlan
from unlocker.flashing.plan import plan_flash as _plan
from unlocker.flashing.preflight import read_flash_facts
from unlocker.flashing.progress import FlashReporter
from unlocker.unlock import UnlockContext, UnlockOutcome
from unlocker.unlock import unlock as _unlock

__all__ = ["connect", "flash", "plan_flash", "read_facts", "status", "unlock_bootloader"]

#: Seconds a phone may take to come back after rebooting into fastbootd during a flash.
REBOOT_WAIT = 90.0


def connect(name: str | None = None, *, wait: float = 0.0) -> FastbootClient:
    """Open the phone named like Google's tools do (USB serial, ``tcp:HOST[:PORT]``, or None for the
    only one). Use it as a context manager, or call ``close()``: until then this process holds the
    phone's lock, and other unlocker commands are told the phone is in use."""
    return connect_fastboot(name, wait=wait)


def status(phone: FastbootClient) -> dict[str, Any]:
    """What ``unlocker status --json`` prints: lock state, slots, anti-rollback, battery, next step."""
    return status_report(read_facts(phone, full=True))


def plan_flash(
    phone: FastbootClient,
    partition: str,
    image: str | PathLike[str],
    *,
    slot: str | None = None,
    force_critical: bool = False,
) -> FlashPlan:
    """The flash plan (``plan.describe()`` in words), after every preflight check; touches nothing.

    Critical partitions (bootloader chain, calibration and identity data) need ``force_critical``.
    """
    return _plan(
        read_flash_facts(phone, partition),
        partition,
        inspect_image(Path(image)),
        slot=slot,
        force_critical=force_critical,
    )


def flash(
    phone: FastbootClient,
    partition: str,
    image: str | PathLike[str],
    *,
    confirm: Callable[[str], None],
    slot: str | None = None,
    reporter: FlashReporter | None = None,
    plan: FlashPlan | None = None,
    force_critical: bool = False,
) -> FlashResult:
    """Write ``image`` (raw or sparse) into ``partition``, split to the phone's download limit.

    Pass the ``plan`` from :func:`plan_flash` to execute exactly that plan. If the partition is
    logical the phone reboots into fastbootd (``confirm`` is asked first); ``result.client`` is
    then the new session, which the caller closes.
    """
    the_plan = plan or plan_flash(phone, partition, image, slot=slot, force_critical=force_critical)
    name = phone.name
    return execute(
        phone,
        the_plan,
        confirm=confirm,
        reconnect=lambda: connect_fastboot(name, wait=REBOOT_WAIT),
        reporter=reporter,
    )


def unlock_bootloader(
    phone: FastbootClient,
    *,
    confirm: Callable[[str], None],
    notify: Callable[[str], None] = lambda _message: None,
    region: str | None = None,
) -> UnlockOutcome:
    """Unlock the bootloader with the flow the firmware index names for this phone (Mi Unlock
    for Xiaomi: needs a stored Mi account session, see ``unlocker login``). Erases the phone."""
    return _unlock(phone, UnlockContext(confirm=confirm, notify=notify, region=region))


# Re-exported for type hints in scripts.
PhoneFacts = PhoneFacts
