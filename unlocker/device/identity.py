"""Is the phone's ``getvar product`` its codename? Usually; not when a bootloader reports its
platform name instead (MediaTek's ``k6895v1_64``), which every phone on that chip shares.

The firmware index's platform data (``firmware_index/platforms.yaml``) recognises those names;
then the codename is uncertain, and commands that need it must not be built from ``product``.
"""

from __future__ import annotations

from unlocker import commands
from unlocker.device.facts import BOOTLOADER, PhoneFacts
from unlocker.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from unlocker.index.platforms import Platform


def reported_platform(facts: PhoneFacts) -> Platform | None:
    """The platform the bootloader named instead of a codename, or None when ``product`` may be
    trusted as the codename (fastbootd always reports the codename)."""
    if facts.mode != BOOTLOADER or not facts.product:
        return None
    from unlocker.index.platforms import platform_of  # YAML: only when there is a product to check

    return platform_of(facts.product)


def codename_known(facts: PhoneFacts) -> bool:
    """Whether ``facts.product`` can be used as the codename in commands."""
    return bool(facts.product) and reported_platform(facts) is None


def uncertain_codename_note(facts: PhoneFacts) -> str | None:
    """A sentence for people when the codename is uncertain (what was reported, what to run to
    learn the codename); None when ``product`` is the codename."""
    platform = reported_platform(facts)
    if platform is None:
        return None
    if platform.soc:
        said = _(
            "This bootloader reports its platform name '{platform}' ({soc}) instead of the phone's codename, "
            "so the codename is uncertain."
        ).format(platform=platform.name, soc=platform.soc)
    else:
        said = _(
            "This bootloader reports a platform name ('{platform}') instead of the phone's codename, "
            "so the codename is uncertain."
        ).format(platform=platform.name)
    if platform.codenames:
        how = _("It is one of {codenames}: compare Settings > About phone, then use {command}.").format(
            codenames=", ".join(platform.codenames), command=commands.show(commands.DEVICE, "CODENAME")
        )
    else:
        how = _(
            "To learn it, run {reboot} and then {status} (fastbootd reports the codename), or read it in "
            "Settings > About phone."
        ).format(reboot=commands.show(commands.REBOOT_FASTBOOTD), status=commands.show(commands.STATUS))
    return _("{said} {how}").format(said=said, how=how)
