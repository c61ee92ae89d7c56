"""The guide for the owner of a region-locked or remotely disabled phone: the ways out, safest first.

Pure: :func:`build_guide` takes what the tool could see (the phone's facts, its index entry, the
waiting-period ledger) and returns the steps; ``unlocker guide`` gathers those and prints them.
Each step names the unlocker command that does it. The texts are for people who are not
technicians, and the guide says honestly what cannot be done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from unlocker import commands
from unlocker.device.facts import FASTBOOTD, PhoneFacts
from unlocker.i18n import N_, _
from unlocker.xiaomi.ledger import WaitRecord, describe_end

if TYPE_CHECKING:  # the index (and YAML) loads only when a guide is built for a known phone
    from unlocker.index.model import Device

# Step states: scripts read the key; people read the translated word.
RECOMMENDED, DONE, TODO, POSSIBLE, WAITING, BLOCKED, NOT_POSSIBLE, UNKNOWN = (
    "recommended",
    "done",
    "todo",
    "possible",
    "waiting",
    "blocked",
    "not-possible",
    "unknown",
)
STATE_WORDS: dict[str, str] = {
    RECOMMENDED: N_("start here"),
    DONE: N_("done"),
    TODO: N_("to do"),
    POSSIBLE: N_("possible"),
    WAITING: N_("waiting"),
    BLOCKED: N_("blocked for now"),
    NOT_POSSIBLE: N_("not possible"),
    UNKNOWN: N_("not known yet"),
}


def state_word(state: str) -> str:
    """A step's state as people read it, translated."""
    return _(STATE_WORDS[state])


MI_UNLOCK, FASTBOOT_COMMAND, NOT_UNLOCKABLE = "mi_unlock", "fastboot_command", "not_unlockable"


@dataclass
class Step:
    id: str
    state: str
    title: str
    text: list[str]
    commands: list[str] = field(default_factory=list)  # command lines, as typed

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "title": self.title,
            "text": self.text,
            "commands": self.commands,
        }


@dataclass
class Guide:
    phone: dict[str, Any] | None
    device: dict[str, Any] | None
    waiting_period: dict[str, Any] | None
    steps: list[Step]
    cannot: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "device": self.device,
            "waiting_period": self.waiting_period,
            "steps": [s.to_json() for s in self.steps],
            "cannot": self.cannot,
        }


def _show(command: str, *args: str) -> str:
    return commands.show(command, *args)


def _line(command: str, *args: str) -> str:
    return " ".join([command, *args])


def _is_xiaomi(device: Device | None) -> bool | None:
    """Whether the index says the phone is Xiaomi's (None: the phone is not known)."""
    if device is None:
        return None
    return device.vendor.lower() in ("xiaomi", "redmi", "poco")


def _vendor_step(device: Device | None, facts: PhoneFacts | None) -> Step:
    xiaomi = _is_xiaomi(device)
    if xiaomi is False:
        assert device is not None
        return Step(
            "vendor-release",
            RECOMMENDED,
            _("Ask {vendor} or the seller to undo the block").format(vendor=device.vendor),
            [
                _(
                    "Some remote locks (carrier, finance or region locks) are lifted by whoever set them. "
                    "Contact the vendor or the seller with the phone's serial number. This risks nothing "
                    "and keeps your data."
                )
            ],
        )
    return Step(
        "vendor-release",
        RECOMMENDED,
        _("Let Xiaomi undo the block"),
        [
            _(
                "In 2021 Xiaomi released many phones it had blocked for their region once they connected "
                "to Wi-Fi and reached Xiaomi's servers. This risks nothing and keeps your data."
            ),
            _(
                "Connect the phone to Wi-Fi (through a VPN if Xiaomi's servers are blocked in your "
                "country), stay signed in to the Mi account, leave it switched on for a day and look for "
                "system updates."
            ),
            _("What the block screen means: {command}").format(
                command=_show(commands.EXPLAIN, "region-lock")
            ),
        ],
        [_line(commands.EXPLAIN, "region-lock")],
    )


def _phone_step(facts: PhoneFacts | None) -> Step:
    if facts is None:
        return Step(
            "connect",
            TODO,
            _("Let unlocker see the phone"),
            [
                _(
                    "No phone answered. Power the phone off, hold Volume Down + Power until the fastboot "
                    "screen appears, and connect it with a data cable directly to the computer."
                ),
                _("Then run {status}, and this guide again: it adapts to what the phone says.").format(
                    status=_show(commands.STATUS)
                ),
            ],
            [_line(commands.STATUS), _line(commands.GUIDE)],
        )
    if facts.mode == FASTBOOTD:
        return Step(
            "connect",
            DONE,
            _("The phone is connected, in recovery (fastbootd)"),
            [
                _(
                    "fastbootd is the fastboot mode inside the phone's recovery. Unlocking happens in the "
                    "bootloader: {reboot} takes the phone there."
                ).format(reboot=_show(commands.REBOOT_BOOTLOADER))
            ],
            [_line(commands.REBOOT_BOOTLOADER)],
        )
    return Step(
        "connect",
        DONE,
        _("The phone is connected, in fastboot mode"),
        [_("{status} shows everything the phone reports.").format(status=_show(commands.STATUS))],
        [_line(commands.STATUS)],
    )


def _install_step(device: Device | None, facts: PhoneFacts) -> Step:
    codename = device.codename if device is not None else (facts.product or "CODENAME")
    return Step(
        "install",
        RECOMMENDED,
        _("Install a free ROM"),
        [
            _(
                "The bootloader is unlocked: the phone can run a system that does not depend on the "
                "vendor's servers, such as LineageOS. Installing erases the phone."
            ),
            _("{roms} lists the ROMs for this phone; {install} installs one step by step.").format(
                roms=_show(commands.ROMS, codename), install=_show(commands.INSTALL)
            ),
        ],
        [_line(commands.ROMS, codename), _line(commands.INSTALL)],
    )


def _waiting_text(record: WaitRecord | None) -> tuple[str, str]:
    """(text about the waiting period, step state)."""
    if record is None:
        return (
            _(
                "The waiting period (usually 7 days, longer for new accounts) is counted by Xiaomi's "
                "server from the binding; {unlock} asks the server how long is left."
            ).format(unlock=_show(commands.UNLOCK)),
            POSSIBLE,
        )
    if record.hours_left > 0:
        return (
            _(
                "Waiting period: {hours} hours left, until {end}, as Xiaomi's server last said ({wait} "
                "shows it). Do not add the account again meanwhile: that restarts the count."
            ).format(hours=record.hours_left, end=describe_end(record.ends_at), wait=_show(commands.WAIT)),
            WAITING,
        )
    return (
        _("The waiting period Xiaomi last reported is over: run {unlock}.").format(
            unlock=_show(commands.UNLOCK)
        ),
        POSSIBLE,
    )


def _mi_unlock_step(facts: PhoneFacts | None, record: WaitRecord | None) -> Step:
    waiting, state = _waiting_text(record)
    text = [
        _("Xiaomi unlocks a bootloader only with its signature, through Mi Unlock. It needs all of this:"),
        _(
            "A Mi account bound to this phone: on the phone, Settings > Developer options > Mi Unlock "
            "status > Add account and device. Binding needs the phone to start Android."
        ),
        _("A SIM card with mobile data switched on while binding (Wi-Fi alone is refused)."),
        waiting,
        _(
            "Xiaomi's quota: one account unlocks about one phone a month and a few a year; phones with "
            "HyperOS first need approval in the Xiaomi Community app."
        ),
        _(
            "A phone that only shows the region-lock screen cannot start Android, so it cannot be bound "
            "now: Mi Unlock works for it only if it was bound before the block, or after Xiaomi releases "
            "it (first step)."
        ),
        _("Then: {login}, and {unlock} with the phone in fastboot mode. Unlocking erases the phone.").format(
            login=_show(commands.LOGIN), unlock=_show(commands.UNLOCK)
        ),
    ]
    if facts is not None and facts.unlock_ability is False:
        state = BLOCKED
    return Step(
        "unlock",
        state,
        _("Unlock the bootloader with Mi Unlock"),
        text,
        [_line(commands.LOGIN), _line(commands.UNLOCK), _line(commands.WAIT)],
    )


def _unlock_step(method: str | None, facts: PhoneFacts | None, record: WaitRecord | None) -> Step:
    if method == MI_UNLOCK:
        return _mi_unlock_step(facts, record)
    if method == NOT_UNLOCKABLE:
        return Step(
            "unlock",
            NOT_POSSIBLE,
            _("The bootloader cannot be unlocked"),
            [
                _(
                    "The firmware index says the vendor offers no way to unlock this phone's bootloader. "
                    "Only the vendor's own software can run on it."
                )
            ],
        )
    if method == FASTBOOT_COMMAND:
        switched_off = facts is not None and facts.unlock_ability is False
        text = [
            _(
                "This phone unlocks with a fastboot command once 'OEM unlocking' is switched on in "
                "Settings > Developer options (that needs Android to start). Unlocking erases the phone."
            ),
            _("Then run {unlock} with the phone in fastboot mode.").format(unlock=_show(commands.UNLOCK)),
        ]
        if switched_off:
            text.insert(0, _("The phone says 'OEM unlocking' is switched off."))
        return Step(
            "unlock",
            BLOCKED if switched_off else POSSIBLE,
            _("Unlock the bootloader"),
            text,
            [_line(commands.UNLOCK)],
        )
    return Step(
        "unlock",
        UNKNOWN,
        _("Unlock the bootloader"),
        [
            _(
                "unlocker does not know yet how this phone unlocks. With the phone in fastboot mode, "
                "{unlock} tries the ways the phone itself offers and asks before anything is erased."
            ).format(unlock=_show(commands.UNLOCK))
        ],
        [_line(commands.UNLOCK)],
    )


def cannot_be_done() -> list[str]:
    return [
        _(
            "No tool can unlock a bootloader without the vendor's signature: the phone checks it itself. "
            "Offers to do it for money are scams, or break the phone."
        ),
        _(
            "Authorised EDL (emergency download) accounts belong to the vendor's service centres; they "
            "are outside this tool."
        ),
        _("unlocker does not remove the region lock or the Mi account lock from the vendor's own software."),
    ]


def build_guide(facts: PhoneFacts | None, device: Device | None, record: WaitRecord | None) -> Guide:
    """The steps for what the tool can see (each argument None when it could not be seen)."""
    steps = [_vendor_step(device, facts), _phone_step(facts)]
    method = str((device.unlock or {}).get("method") or "") if device is not None else None
    if method in (None, "", "unknown") and device is not None and _is_xiaomi(device):
        method = MI_UNLOCK
    if facts is not None and facts.unlocked:
        steps.append(_install_step(device, facts))
    else:
        steps.append(_unlock_step(method, facts, record))
        if facts is None or facts.unlocked is None:
            steps.append(
                Step(
                    "install",
                    TODO,
                    _("After unlocking: install a free ROM"),
                    [
                        _("{roms} lists the ROMs for a phone; {install} installs one step by step.").format(
                            roms=_show(commands.ROMS), install=_show(commands.INSTALL)
                        )
                    ],
                    [_line(commands.ROMS), _line(commands.INSTALL)],
                )
            )
    phone = None
    if facts is not None:
        phone = {"name": facts.name, "mode": facts.mode, "product": facts.product, "unlocked": facts.unlocked}
    about = None
    if device is not None:
        about = {
            "codename": device.codename,
            "names": list(device.names),
            "vendor": device.vendor,
            "unlock_method": method or None,
        }
    waiting = None
    if record is not None:
        waiting = {"hours_left": record.hours_left, "ends_at": record.ends_at, "source": record.source}
    return Guide(phone, about, waiting, steps, cannot_be_done())
