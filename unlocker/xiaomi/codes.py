"""Every unlock-server code we know, as a plain explanation and the next step (reference 1.4)."""

from __future__ import annotations

WAITING_PERIOD = 20036

CODES: dict[int, tuple[str, str]] = {
    10000: (
        "The server rejected the request parameters (device token or codename).",
        "Reboot the phone to fastboot and run `unlocker unlock` again.",
    ),
    10001: ("The server rejected the request signature.", "Update unlocker; if current, report it."),
    10002: ("Too many requests from your network address.", "Wait an hour and try again."),
    10003: ("Xiaomi's server had an internal error.", "Try again later."),
    10004: ("The request expired.", "Check the computer's clock and time zone, then try again."),
    10005: ("The server rejected the request nonce.", "Try again."),
    10006: ("The server says this unlock client is too old.", "Update unlocker."),
    10013: (
        "The phone is not activated yet, or was activated too recently (counted in Beijing time).",
        "Use the phone normally with a SIM for a few days, then try again.",
    ),
    10023: ("This account cannot unlock more devices (yearly limit).", "Wait until the yearly limit resets."),
    20030: ("This account already unlocked a device this month.", "Wait at least 30 days from that unlock."),
    20031: (
        "The phone is not bound to this account.",
        "On the phone: Settings > Developer options > Mi Unlock status > Add account and device "
        "(mobile data on, Wi-Fi off). Check --region matches your account.",
    ),
    20032: ("The server failed to create the unlock signature.", "Try again later."),
    20033: (
        "This account is not authorized to unlock (Xiaomi's risk control).",
        "Use the account normally for a while; unlocker cannot change this.",
    ),
    20034: ("This account cannot unlock this particular phone.", "Use the account the phone is bound to."),
    20035: ("The server asks for a newer unlock tool.", "Update unlocker."),
    20036: ("The waiting period is not over yet.", "Wait, then run `unlocker unlock` again."),
    20037: ("The unlock count for this account reached its limit.", "Wait for the limit to reset."),
    20038: (
        "The phone is locked by Find Device under another account.",
        "Sign out of that account on the phone (Find Device off), then bind again.",
    ),
    20039: (
        "The server could not verify the phone's data (incomplete token).",
        "Reboot to fastboot, reconnect and run `unlocker unlock` again.",
    ),
    20041: ("Your Mi account has no phone number.", "Add a phone number to the account, then try again."),
    20045: (
        "The account region does not match where the phone was sold, or the wrong regional server was used.",
        "Run `unlocker unlock --region ...` with your account's region; if it still fails, the phone's "
        "sale region and account region differ.",
    ),
    30001: (
        "Xiaomi requires extra verification of the account for this phone.",
        "Follow the instructions Xiaomi shows in the Mi Community app.",
    ),
    30002: (
        "Unlocking needs approval in the Xiaomi Community app first (HyperOS).",
        "In Xiaomi Community: Me > Unlock bootloader, apply (global region), then bind the phone again.",
    ),
}


def explain(code: int, description: str | None = None) -> tuple[str, str]:
    if code in CODES:
        return CODES[code]
    text = f"Xiaomi's server answered with code {code}"
    if description:
        text += f": {description}"
    return (
        text + ".",
        "Share `unlocker report` output with a volunteer; this code is not known to unlocker yet.",
    )
