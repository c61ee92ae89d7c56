"""The checks a stock package must pass before a byte is written: right phone, not older than
the phone's anti-rollback index, not older than its security patch where the package says so.

Anti-rollback (Xiaomi fastboot ROMs, xiaomi-unlock.md section 4): the phone keeps a rollback
index that updates raise. A package whose index (``CURRENT_ANTI_VER``) is lower than the phone's
carries bootloader images the phone will refuse to start: a hard brick that only Xiaomi's
authorised EDL service can undo. The official scripts refuse such packages; so do we, and no
option turns this off.
"""

from __future__ import annotations

import functools
from typing import Any

from unlocker import commands
from unlocker.device.facts import PhoneFacts
from unlocker.errors import IndexInvalid, PreflightError, RollbackRefused
from unlocker.i18n import _


@functools.lru_cache(maxsize=1)
def _index() -> Any:
    """The firmware index, loaded once per process (it takes seconds), or None when unusable."""
    from unlocker.index import load_index

    try:
        return load_index()
    except IndexInvalid:
        return None


def same_phone(package_codename: str, product: str) -> bool:
    """Exact match (trimmed; Xiaomi's own grep is a prefix match, so `raphael` would pass for a
    `raphaelin`: we do not), or the index says one name is what the other device reports
    (``aliases``: e.g. porg reports p3450)."""
    a, b = package_codename.strip(), product.strip()
    if a == b:
        return True
    index = _index()
    if index is None:
        return False
    device_a, device_b = index.devices.get(a), index.devices.get(b)
    return bool((device_a and b in device_a.aliases) or (device_b and a in device_b.aliases))


def check_phone(facts: PhoneFacts, codenames: list[str], package: str) -> str:
    """The package's codename that matches the phone, or PreflightError."""
    product = (facts.product or "").strip()
    if not product:
        raise PreflightError(
            _(
                "{phone} does not say which model it is (getvar product), so {package} cannot be checked"
            ).format(phone=facts.name, package=package),
            hint=_("Make sure the phone is in fastboot mode (bootloader), then run the same command again."),
        )
    if not codenames:
        raise PreflightError(
            _("{package} does not say which phone it is for, so it cannot be checked against {phone}").format(
                package=package, phone=facts.name
            ),
            hint=_("Use the package made for your phone, from the vendor's site."),
        )
    for codename in codenames:
        if same_phone(codename, product):
            return codename
    raise PreflightError(
        _(
            "{package} is for '{codename}', but {phone} is '{product}': flashing it would break the phone"
        ).format(package=package, codename=", ".join(codenames), phone=facts.name, product=product),
        hint=_("Download the package for '{product}' ({command} lists its firmware).").format(
            product=product, command=commands.show(commands.DEVICE, product)
        ),
    )


def check_anti_rollback(
    facts: PhoneFacts, package_anti: int | None, package: str, *, stated: bool = True
) -> None:
    """Refuse a package older than the phone's anti-rollback index. An index the phone does not
    publish (or 0) means anti-rollback is not active; a package that does not state its index
    counts as 0, as in Xiaomi's own scripts."""
    phone_anti = facts.anti_rollback or 0
    package_level = package_anti or 0
    if phone_anti <= package_level:
        return
    if stated:
        message = _(
            "{phone} has anti-rollback index {phone_anti}, but {package} is index {package_anti}: the phone "
            "refuses to start bootloaders older than its index, so flashing this package would brick it "
            "(only Xiaomi's authorised service can revive it)"
        )
    else:
        message = _(
            "{phone} has anti-rollback index {phone_anti}, and {package} does not state its index (so it counts "
            "as {package_anti}): if its bootloader images are older than the phone's index, the phone will not "
            "start again (only Xiaomi's authorised service can revive it)"
        )
    raise RollbackRefused(
        message.format(phone=facts.name, phone_anti=phone_anti, package=package, package_anti=package_level),
        hint=_(
            "Use a fastboot ROM whose CURRENT_ANTI_VER is {phone_anti} or higher (the same or a newer "
            "firmware than the phone has). This check cannot be turned off."
        ).format(phone_anti=phone_anti),
    )


def check_security_patch(
    facts: PhoneFacts, phone_spl: str | None, package_spl: str | None, package: str
) -> None:
    """flash_all_except_storage.sh refuses phones with a newer security patch than the package
    (keeping data across a downgrade leaves it unreadable). Dates are YYYY-MM-DD."""
    if not phone_spl or not package_spl:
        return
    if phone_spl.strip()[:10] > package_spl.strip()[:10]:
        raise PreflightError(
            _(
                "{phone} has security patch {phone_spl}, newer than {package} ({package_spl}); keeping the data "
                "across this downgrade is refused by the package itself"
            ).format(phone=facts.name, phone_spl=phone_spl, package=package, package_spl=package_spl),
            hint=_("Use a newer package, or flash without --keep-data (this erases the phone)."),
        )
