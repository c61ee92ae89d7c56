"""Checks before any write: the right phone, unlocked, charged. Each refusal says what to do next."""

from __future__ import annotations

from unlocker import commands
from unlocker.errors import PreflightError, WrongPhone
from unlocker.i18n import _
from unlocker.install.link import Seen
from unlocker.install.plan import InstallPlan

#: Below this the battery may not last a whole install (bootloaders that report a voltage).
MIN_BATTERY_MV = 3500


def wrong_phone(plan: InstallPlan, product: str | None) -> WrongPhone:
    return WrongPhone(
        _(
            "the phone reports itself as '{product}', but this install is for {codename} ({names}); refused"
        ).format(
            product=product or "?",
            codename=plan.codename,
            names=" / ".join(plan.device_names) or plan.codename,
        ),
        hint=_("Connect the phone the install is for, or choose the build or kit made for this phone."),
    )


def check_identity(plan: InstallPlan, seen: Seen, serial: str | None = None) -> None:
    """The phone is the plan's device (codename or alias) and, when a serial is recorded, the same one."""
    if not plan.names_phone(seen.product):
        raise wrong_phone(plan, seen.product)
    if serial and seen.serial and seen.serial != serial:
        raise WrongPhone(
            _("another phone is attached: its serial differs from the one this install started on"),
            hint=_("Connect the phone the install started on, then run {command}.").format(
                command=commands.show(commands.INSTALL_RESUME)
            ),
        )


def check_phone(plan: InstallPlan, seen: Seen) -> list[str]:
    """Refuse a phone the plan must not run on; returns notes about what could not be checked."""
    check_identity(plan, seen)
    notes: list[str] = []
    if not seen.in_fastboot:
        notes.append(_("the lock state and battery are checked in fastboot mode, before the first write"))
        return notes
    if seen.unlocked is False:
        raise PreflightError(
            _("the bootloader of this {codename} is locked: nothing can be installed yet").format(
                codename=plan.codename
            ),
            hint=_("The next step is {command} (it erases the phone); then run this install again.").format(
                command=commands.show(commands.UNLOCK)
            ),
        )
    if seen.unlocked is None:
        notes.append(_("the bootloader does not say whether it is unlocked; the first write will tell"))
    low_voltage = seen.battery_voltage_mv is not None and seen.battery_voltage_mv < MIN_BATTERY_MV
    if seen.battery_soc_ok is False or low_voltage:
        raise PreflightError(
            _(
                "the phone reports a low battery ({voltage} mV); an install that stops half-way can leave it unable to start"
            ).format(voltage=seen.battery_voltage_mv if seen.battery_voltage_mv is not None else "?"),
            hint=_("Charge the phone to at least 50 %, then run the same command again."),
        )
    return notes
