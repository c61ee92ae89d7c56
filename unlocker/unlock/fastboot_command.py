"""Unlock by a fastboot command: AOSP's ``flashing unlock``, or a vendor's ``oem`` command.

The index names the command per device (``unlock.command``: "fastboot flashing unlock",
"fastboot oem unlock-go", ...). Most phones then ask the person to confirm with the volume keys;
the unlock erases the phone.
"""

from __future__ import annotations

from unlocker.device.facts import PhoneFacts, Variables, read_unlock_ability, read_unlocked
from unlocker.errors import NoUnlockFlow, PreflightError
from unlocker.fastboot.client import FastbootClient
from unlocker.i18n import _
from unlocker.unlock.flow import UnlockContext, UnlockMethod, UnlockOutcome

DEFAULT_COMMAND = "flashing unlock"


def device_command(method: UnlockMethod) -> str:
    """The command to send, from the index's "fastboot ..." line; refuses anything that is not a
    single ``flashing unlock`` or ``oem ...`` command (the index is data, not a script)."""
    text = (method.command or f"fastboot {DEFAULT_COMMAND}").strip()
    if text.startswith("fastboot "):
        text = text[len("fastboot ") :].strip()
    if "\n" in text or not (text == DEFAULT_COMMAND or text.startswith("oem ")):
        raise NoUnlockFlow(
            _("this phone is unlocked by a procedure unlocker cannot run: {procedure}").format(
                procedure=method.command
            ),
            hint=_(
                "Follow the vendor's instructions for this model; the bootloader itself is unlocked by them."
            ),
        )
    return text


class FastbootCommandFlow:
    name = "fastboot_command"
    priority = 10

    def recognises(self, client: FastbootClient, facts: PhoneFacts) -> bool:
        return read_unlock_ability(client) is not None

    def run(
        self, client: FastbootClient, facts: PhoneFacts, method: UnlockMethod, context: UnlockContext
    ) -> UnlockOutcome:
        command = device_command(method)
        if read_unlock_ability(client) is False:
            raise PreflightError(
                _("{phone} does not allow unlocking").format(phone=client.name),
                hint=_("Enable 'OEM unlocking' in Settings > Developer options, then try again."),
            )
        context.confirm(_("Unlock {phone}? This ERASES ALL DATA on the phone.").format(phone=client.name))
        client.command(command)
        unlocked = bool(read_unlocked(Variables(client)))
        return UnlockOutcome(unlocked=unlocked, wiped=True, pending_on_phone=not unlocked)


FLOW = FastbootCommandFlow()
