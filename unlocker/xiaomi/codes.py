"""Every unlock-server code we know, as a plain explanation and the next step (reference 1.4).

The table is marked with ``N_()`` and translated by :func:`explain` when shown. A next step that
tells the person to type a command holds a ``{command}`` placeholder, filled from
:mod:`unlocker.commands` (never spelled in the text a translator sees).
"""

from __future__ import annotations

from unlocker import commands
from unlocker.i18n import N_, _

WAITING_PERIOD = 20036

# code -> (explanation, next step); both untranslated (N_), next steps may hold {command}.
_TABLE: dict[int, tuple[str, str]] = {
    10000: (
        N_("The server rejected the request parameters (device token or codename)."),
        N_("Reboot the phone to fastboot and run {command} again."),
    ),
    10001: (N_("The server rejected the request signature."), N_("Update unlocker; if current, report it.")),
    10002: (N_("Too many requests from your network address."), N_("Wait an hour and try again.")),
    10003: (N_("Xiaomi's server had an internal error."), N_("Try again later.")),
    10004: (N_("The request expired."), N_("Check the computer's clock and time zone, then try again.")),
    10005: (N_("The server rejected the request nonce."), N_("Try again.")),
    10006: (N_("The server says this unlock client is too old."), N_("Update unlocker.")),
    10013: (
        N_("The phone is not activated yet, or was activated too recently (counted in Beijing time)."),
        N_("Use the phone normally with a SIM for a few days, then try again."),
    ),
    10023: (
        N_("This account cannot unlock more devices (yearly limit)."),
        N_("Wait until the yearly limit resets."),
    ),
    20030: (
        N_("This account already unlocked a device this month."),
        N_("Wait at least 30 days from that unlock."),
    ),
    20031: (
        N_("The phone is not bound to this account."),
        N_(
            "On the phone: Settings > Developer options > Mi Unlock status > Add account and device "
            "(mobile data on, Wi-Fi off). Check --region matches your account."
        ),
    ),
    20032: (N_("The server failed to create the unlock signature."), N_("Try again later.")),
    20033: (
        N_("This account is not authorized to unlock (Xiaomi's risk control)."),
        N_("Use the account normally for a while; unlocker cannot change this."),
    ),
    20034: (
        N_("This account cannot unlock this particular phone."),
        N_("Use the account the phone is bound to."),
    ),
    20035: (N_("The server asks for a newer unlock tool."), N_("Update unlocker.")),
    20036: (N_("The waiting period is not over yet."), N_("Wait, then run {command} again.")),
    20037: (N_("The unlock count for this account reached its limit."), N_("Wait for the limit to reset.")),
    20038: (
        N_("The phone is locked by Find Device under another account."),
        N_("Sign out of that account on the phone (Find Device off), then bind again."),
    ),
    20039: (
        N_("The server could not verify the phone's data (incomplete token)."),
        N_("Reboot to fastboot, reconnect and run {command} again."),
    ),
    20041: (
        N_("Your Mi account has no phone number."),
        N_("Add a phone number to the account, then try again."),
    ),
    20045: (
        N_(
            "The account region does not match where the phone was sold, or the wrong regional server "
            "was used."
        ),
        N_(
            "Run {command} with your account's region; if it still fails, the phone's sale region and "
            "account region differ."
        ),
    ),
    30001: (
        N_("Xiaomi requires extra verification of the account for this phone."),
        N_("Follow the instructions Xiaomi shows in the Mi Community app."),
    ),
    30002: (
        N_("Unlocking needs approval in the Xiaomi Community app first (HyperOS)."),
        N_("In Xiaomi Community: Me > Unlock bootloader, apply (global region), then bind the phone again."),
    ),
}

# The command a next step tells the person to type, where it has a {command} placeholder.
_COMMANDS: dict[int, tuple[str, ...]] = {
    10000: (commands.UNLOCK,),
    20036: (commands.UNLOCK,),
    20039: (commands.UNLOCK,),
    20045: (commands.UNLOCK, "--region", "..."),
}


def _next_step(code: int, text: str) -> str:
    command = _COMMANDS.get(code)
    return text.format(command=commands.show(*command)) if command else text


#: code -> (explanation, next step) in English (the source language), commands filled in.
#: For people use :func:`explain`, which gives them in the current language.
CODES: dict[int, tuple[str, str]] = {
    code: (explanation, _next_step(code, step)) for code, (explanation, step) in _TABLE.items()
}


def explain(code: int, description: str | None = None) -> tuple[str, str]:
    """(explanation, next step) for a server code, translated; unknown codes say so."""
    if code in _TABLE:
        explanation, step = _TABLE[code]
        return _(explanation), _next_step(code, _(step))
    if description:
        text = _("Xiaomi's server answered with code {code}: {description}.").format(
            code=code, description=description
        )
    else:
        text = _("Xiaomi's server answered with code {code}.").format(code=code)
    return (
        text,
        _("Share {command} output with a volunteer; this code is not known to unlocker yet.").format(
            command=commands.show(commands.REPORT)
        ),
    )
