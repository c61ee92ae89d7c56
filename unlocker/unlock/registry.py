"""Choosing the unlock flow for the connected phone, and running it.

The firmware index says, per device, how its bootloader is unlocked (``unlock.method``). The
phone's own answers decide when the index does not know the phone. Flows are the modules of
this package that define ``FLOW``; they are found at run time, so adding a vendor touches no
other file.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from unlocker import commands
from unlocker.device.facts import PhoneFacts, read_facts
from unlocker.errors import NotInIndex, NoUnlockFlow, PreflightError
from unlocker.fastboot.client import FastbootClient
from unlocker.i18n import _
from unlocker.unlock.flow import UnlockContext, UnlockFlow, UnlockMethod, UnlockOutcome

NOT_UNLOCKABLE = "not_unlockable"
UNKNOWN = "unknown"
_NOT_FLOWS = {"flow", "registry"}


def flows() -> dict[str, UnlockFlow]:
    """Every flow in this package, by the index method it serves."""
    found: dict[str, UnlockFlow] = {}
    package = importlib.import_module("unlocker.unlock")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name in _NOT_FLOWS:
            continue
        module = importlib.import_module(f"unlocker.unlock.{info.name}")
        flow = getattr(module, "FLOW", None)
        if flow is not None:
            found[flow.name] = flow
    return found


def method_from_index(product: str | None) -> UnlockMethod | None:
    """The index's unlock entry for the phone's codename (aliases allowed), or None."""
    if not product:
        return None
    from unlocker.index import load_index
    from unlocker.index.queries import resolve

    try:
        device = resolve(load_index(), product)
    except NotInIndex:
        return None
    entry = device.unlock or {}
    return UnlockMethod(
        method=str(entry.get("method") or UNKNOWN),
        command=entry.get("command"),
        token_command=entry.get("token_command"),
    )


@dataclass(frozen=True)
class Choice:
    flow: UnlockFlow
    method: UnlockMethod


def choose_flow(client: FastbootClient, facts: PhoneFacts, method: UnlockMethod | None) -> Choice:
    """The flow for this phone: the index's method when it names one we have, else the first flow
    (by priority) whose phone-side check recognises the phone; NoUnlockFlow otherwise."""
    available = flows()
    phone = facts.name
    if method is not None and method.method == NOT_UNLOCKABLE:
        raise NoUnlockFlow(
            _("{phone} ({product}) has no official way to unlock its bootloader").format(
                phone=phone, product=facts.product
            ),
            hint=_("The firmware index marks this model as not unlockable: see {command}.").format(
                command=commands.show(commands.DEVICE, facts.product or "CODENAME")
            ),
        )
    if method is not None and method.method in available:
        return Choice(available[method.method], method)
    for flow in sorted(available.values(), key=lambda f: f.priority):
        if flow.recognises(client, facts):
            return Choice(flow, UnlockMethod(flow.name, source="phone"))
    raise NoUnlockFlow(
        _("no unlock flow is known for {phone} ({product})").format(
            phone=phone, product=facts.product or _("unknown model")
        ),
        hint=_(
            "The phone answers neither Xiaomi's token request nor `flashing get_unlock_ability`. Run "
            "{command} and ask a volunteer with the output."
        ).format(command=commands.show(commands.REPORT)),
    )


def preflight(facts: PhoneFacts) -> None:
    """What every unlock needs: the real bootloader (not fastbootd) and a locked phone."""
    if facts.in_fastbootd:
        raise PreflightError(
            _("{phone} is in fastbootd (userspace fastboot), where the bootloader cannot be unlocked").format(
                phone=facts.name
            ),
            hint=_("Run {command} (or hold Volume Down + Power from off) and try again.").format(
                command=commands.show(commands.REBOOT_BOOTLOADER)
            ),
        )


def unlock(
    client: FastbootClient, context: UnlockContext, *, facts: PhoneFacts | None = None
) -> UnlockOutcome:
    """Unlock the phone behind ``client`` with the flow the index (or the phone) calls for.

    An outcome with ``already`` set means there was nothing to do. Raises NoUnlockFlow,
    PreflightError, Aborted (the person said no), WaitingPeriodNotOver and the other errors of
    the flow.
    """
    facts = facts or read_facts(client)
    if facts.unlocked:
        return UnlockOutcome(unlocked=True, wiped=False, already=True)
    preflight(facts)
    choice = choose_flow(client, facts, method_from_index(facts.product))
    return choice.flow.run(client, facts, choice.method, context)
