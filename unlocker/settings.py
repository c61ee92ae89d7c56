"""Every ``UNLOCKER_*`` environment variable, in one list: name, meaning, default.

The code reads these variables only through :func:`get`, :func:`get_float` and :func:`get_flag`,
so this table is complete by construction (a test checks that nothing else reads ``UNLOCKER_*``),
and the README's table is generated from it (``python -m unlocker.settings``).
"""

from __future__ import annotations

import os

from unlocker.record import Record


class Variable(Record):
    name: str
    meaning: str
    default: str  # how it behaves when unset, in words


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "UNLOCKER_CONFIG_DIR",
        "where the Mi account session and settings are kept",
        "the platform's user config dir",
    ),
    Variable(
        "UNLOCKER_CACHE_DIR", "where downloads and refreshed index data go", "the platform's user cache dir"
    ),
    Variable(
        "UNLOCKER_STATE_DIR",
        "where the Mi Unlock ledger and the virtual phone's state live",
        "the platform's user state dir",
    ),
    Variable(
        "UNLOCKER_LANG",
        "language of messages (es, fa, ar, ru, ...)",
        "from LANGUAGE, LC_ALL, LC_MESSAGES, LANG",
    ),
    Variable("UNLOCKER_DEBUG", "1: show the causes of errors and tracebacks (as --debug does)", "off"),
    Variable(
        "UNLOCKER_RESPONSE_TIMEOUT",
        "seconds to wait for a fastboot or adb answer (a shorter value also shortens flash and erase)",
        "30 (flash and erase: 600)",
    ),
    Variable(
        "UNLOCKER_SIDELOAD_TIMEOUT",
        "seconds a recovery may stay silent during `sideload` (it verifies and installs in between)",
        "600",
    ),
    Variable(
        "UNLOCKER_LIBUSB",
        "'system', or the path of a libusb-1.0 library to use",
        "the libusb-package wheel's copy",
    ),
    Variable(
        "UNLOCKER_MI_ACCOUNT_URL",
        "Mi account server (tests, or another route to Xiaomi)",
        "https://account.xiaomi.com",
    ),
    Variable(
        "UNLOCKER_MI_UNLOCK_URL",
        "Mi unlock server (tests, or another route to Xiaomi)",
        "the account region's host",
    ),
    Variable("UNLOCKER_MI_TIMEOUT", "seconds to wait for the Mi unlock server's answer", "60"),
    Variable(
        "UNLOCKER_LINEAGE_API_URL",
        "LineageOS build API used by `index update`",
        "https://download.lineageos.org/api/v2",
    ),
    Variable(
        "UNLOCKER_CRDROID_OTA_URL", "crDroid OTA data used by `index update`", "crDroid's OTA repository"
    ),
    Variable(
        "UNLOCKER_INSTALL_TIMEOUT",
        "seconds `unlocker install` waits for the phone to appear in the mode a step needs",
        "300",
    ),
)

_KNOWN = {v.name for v in VARIABLES}


def _check(name: str) -> None:
    if name not in _KNOWN:
        raise KeyError(f"{name} is not in unlocker.settings.VARIABLES; add it there first")


def get(name: str) -> str | None:
    """The variable's value, or None when unset or empty."""
    _check(name)
    value = os.environ.get(name, "").strip()
    return value or None


def get_float(name: str, default: float) -> float:
    """A positive number of seconds; unset or unreadable values give ``default``."""
    value = get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        return default
    return number if number > 0 else default


def get_flag(name: str) -> bool:
    return (get(name) or "").lower() in ("1", "true", "yes", "on")


def markdown_table() -> str:
    rows = ["| variable | meaning | when unset |", "| --- | --- | --- |"]
    rows += [f"| `{v.name}` | {v.meaning} | {v.default} |" for v in VARIABLES]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
