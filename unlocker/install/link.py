"""The phone across its modes: fastboot (bootloader, fastbootd) and adb (recovery, sideload).

One :class:`PhoneLink` follows the phone through an install: it finds which mode the phone is
in (:meth:`PhoneLink.probe`), waits for the mode a step needs with a timeout, reboots it over
whichever protocol it is reachable on, and hands out the open fastboot session or recovery link.

The recovery side is a small interface (:class:`RecoveryLink`), so the runner does not depend
on how adb is spoken; ``adb_link`` implements it with unlocker's own adb.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from unlocker.device.connect import connect_fastboot
from unlocker.device.facts import PhoneFacts, Variables, read_facts
from unlocker.errors import AdbUnauthorized, InstallError, ProtocolError, TransportError, UnlockerError
from unlocker.fastboot.client import FastbootClient
from unlocker.i18n import _
from unlocker.install.plan import hands_for_mode, mode_words
from unlocker.transport.select import parse_device_name

FASTBOOT_MODES = ("bootloader", "fastbootd")
ADB_MODES = ("recovery", "sideload", "device", "rescue")
# Seconds between looks while waiting for a mode: soon at first (a mode change often takes a
# moment only), then less often (a real phone takes seconds to reboot; each look opens a link).
POLL_FIRST, POLL_MAX = 0.05, 0.5


def _pauses() -> Iterator[float]:
    pause = POLL_FIRST
    while True:
        yield pause
        pause = min(pause * 2, POLL_MAX)


SideloadProgress = Callable[[int, int], None]  # (bytes sent so far, total)


@dataclass
class Seen:
    """What the phone said about itself in the mode it was found in."""

    mode: str  # bootloader, fastbootd, recovery, sideload, device (Android), rescue
    product: str | None = None
    serial: str | None = None
    unlocked: bool | None = None
    battery_soc_ok: bool | None = None
    battery_voltage_mv: int | None = None
    current_slot: str | None = None
    last_install: dict[str, str] | None = None  # the recovery's verdict on its last package

    @classmethod
    def of(cls, facts: PhoneFacts, *, serial: str | None = None) -> Seen:
        """The install's view of the phone's facts record (read over fastboot or adb)."""
        return cls(
            mode=facts.mode,
            product=facts.product,
            serial=serial if serial is not None else facts.serial,
            unlocked=facts.unlocked,
            battery_soc_ok=facts.battery_soc_ok,
            battery_voltage_mv=facts.battery_voltage_mv,
            current_slot=facts.current_slot,
            last_install=facts.last_install,
        )

    @property
    def in_fastboot(self) -> bool:
        return self.mode in FASTBOOT_MODES


class RecoveryLink(Protocol):
    """A phone reachable over adb: the recovery, its sideload mode, or Android."""

    name: str

    def identity(self) -> Seen:
        """Mode and product from the phone's banner (``ro.product.device``), serial where known."""
        ...

    def sideload(self, path: Path, progress: SideloadProgress | None) -> str:
        """Send the package; "done" once the recovery says it has it, "unknown" when it went away
        silently after taking all of it; raise when it refuses it or the link drops."""
        ...

    def reboot(self, target: str) -> None:
        """``""`` (the system), ``bootloader``, ``recovery``, ``sideload`` or ``fastboot``."""
        ...

    def close(self) -> None: ...


RecoveryConnector = Callable[[str | None], RecoveryLink]  # open now, or raise TransportError


def adb_name(name: str | None) -> str | None:
    """The adb address of a phone named for fastboot: the same USB serial; over TCP the next port
    (fastboot's 5554 and adb's 5555 by default; the virtual phone's recovery listens there too)."""
    if not name or not name.startswith("tcp:"):
        return name
    spec = parse_device_name(name)
    host = f"[{spec.host}]" if spec.host and ":" in spec.host else spec.host
    return f"tcp:{host}:{(spec.port or 5554) + 1}"


def satisfies(found: str, wanted: str) -> bool:
    """Whether a phone found in mode ``found`` is where a step wanting ``wanted`` can go on.

    Sideload mode is a state of the recovery: a step that waits for the recovery can go on; the
    system is what adb calls ``device`` mode.
    """
    if found == wanted:
        return True
    return (wanted, found) in (("recovery", "sideload"), ("system", "device"))


def identify_fastboot(client: FastbootClient, variables: Variables | None = None) -> Seen:
    variables = variables or Variables(client)
    facts = read_facts(client, variables=variables)
    return Seen.of(facts, serial=variables.get("serialno"))


class PhoneLink:
    """The one phone of an install, followed across reboots. Close it when done."""

    def __init__(
        self,
        name: str | None,
        *,
        recovery: RecoveryConnector | None,
        timeout: float,
        keys: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.connect_recovery = recovery
        self.timeout = timeout
        self.keys = dict(keys or {})
        self.client: FastbootClient | None = None
        # The open fastboot session's getvar answers: a phone cannot change mode, lock state or
        # slot without a reboot, and a reboot ends the session, so they hold while it is open.
        self.variables: Variables | None = None
        self.recovery: RecoveryLink | None = None
        self.seen: Seen | None = None
        self.unauthorized: UnlockerError | None = None  # adb: the phone has not allowed this computer yet

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(UnlockerError, OSError):
                self.client.close()
            self.client = None
            self.variables = None
        if self.recovery is not None:
            with contextlib.suppress(UnlockerError, OSError):
                self.recovery.close()
            self.recovery = None
        self.seen = None

    # --- finding the phone --------------------------------------------------------------------

    def _try_fastboot(self) -> Seen | None:
        try:
            client = connect_fastboot(self.name)
        except (TransportError, ProtocolError):
            return None
        variables = Variables(client)
        try:
            seen = identify_fastboot(client, variables)
        except (TransportError, ProtocolError):
            client.close()
            return None
        self.client, self.variables = client, variables
        return seen

    def _still_there(self) -> bool:
        """Whether the open fastboot session still answers. Then the phone is where it was last
        seen: it cannot change mode without rebooting, and a reboot ends the session."""
        assert self.client is not None
        try:
            self.client.try_getvar("product")
        except (TransportError, ProtocolError):
            return False
        return True

    def adopt(self, client: FastbootClient) -> None:
        """Use ``client``, a new session with the phone (a flash that reconnected), and look at it again."""
        if client is self.client:
            return
        self.client, self.variables = client, Variables(client)
        try:
            self.seen = identify_fastboot(client, self.variables)
        except (TransportError, ProtocolError):
            self.close()  # the next step looks for the phone anew

    def _try_recovery(self) -> Seen | None:
        if self.connect_recovery is None:
            return None
        try:
            link = self.connect_recovery(adb_name(self.name))
        except AdbUnauthorized as e:
            self.unauthorized = e  # the owner must allow this computer on the phone's screen
            return None
        except (TransportError, ProtocolError):
            return None
        try:
            seen = link.identity()
        except (TransportError, ProtocolError):
            link.close()
            return None
        self.recovery = link
        return seen

    def probe(self) -> Seen | None:
        """Look for the phone now, in any mode; keeps the link it was found on open.

        An open fastboot session that still answers is the phone as last seen (one getvar,
        where a new look costs a connection and the whole facts record)."""
        if self.client is not None and self.seen is not None and self._still_there():
            return self.seen
        self.close()
        seen = self._try_fastboot() or self._try_recovery()
        self.seen = seen
        return seen

    def wait_for_any(self, timeout: float | None = None) -> Seen | None:
        """The phone in whatever mode it shows up in within ``timeout`` seconds (it may be rebooting)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        pauses = _pauses()
        while True:
            seen = self.probe()
            if seen is not None or time.monotonic() >= deadline:
                return seen
            time.sleep(next(pauses))

    def wait_for(self, mode: str, timeout: float | None = None, *, exact: bool = False) -> Seen:
        """The phone in ``mode`` (see :func:`satisfies`; ``exact``: that mode only), waiting up to
        ``timeout`` seconds."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        last: Seen | None = None
        self.unauthorized = None
        pauses = _pauses()
        while True:
            seen = self.probe()
            if seen is not None:
                last = seen
                if seen.mode == mode or (not exact and satisfies(seen.mode, mode)):
                    return seen
            if time.monotonic() >= deadline:
                break
            self.close()
            time.sleep(next(pauses))
        self.close()
        if self.unauthorized is not None and last is None:
            raise self.unauthorized
        if mode in ADB_MODES and self.connect_recovery is None:
            raise InstallError(
                _("this unlocker cannot talk to the recovery: its adb support is missing"),
                hint=_("Update unlocker, or finish this step with Google's adb (adb sideload)."),
            )
        where = (
            _("it was last seen in {mode}").format(mode=mode_words(last.mode))
            if last
            else _("it was not seen at all")
        )
        hands = hands_for_mode(mode, self.keys) or ""
        raise InstallError(
            _("the phone did not appear in {mode} within {seconds} s; {where}").format(
                mode=mode_words(mode), seconds=f"{limit:.0f}", where=where
            ),
            hint=_(
                "{hands} Check the cable (another port, another cable) and that no other program holds the phone."
            )
            .format(hands=hands)
            .strip(),
        )

    # --- using it -----------------------------------------------------------------------------

    def fastboot(self) -> FastbootClient:
        """The open fastboot session; waits for the phone in fastboot mode when it has none."""
        if self.client is None:
            seen = self.probe()
            if seen is None or not seen.in_fastboot:
                self.wait_for("bootloader")
        assert self.client is not None
        return self.client

    def adb(self, mode: str) -> RecoveryLink:
        """The open recovery link, the phone being in ``mode`` (waits for it)."""
        if self.recovery is None or self.seen is None or not satisfies(self.seen.mode, mode):
            self.wait_for(mode)
        assert self.recovery is not None
        return self.recovery

    def reboot(self, target: str) -> None:
        """Reboot to ``target`` (bootloader, fastbootd, recovery, sideload, system) over the open link."""
        if self.client is not None:
            fastboot_target = {
                "bootloader": "bootloader",
                "fastbootd": "fastboot",
                "recovery": "recovery",
            }.get(target)
            if target not in ("bootloader", "fastbootd", "recovery", "system"):
                raise InstallError(
                    _("a phone in fastboot mode cannot go straight to {mode}").format(mode=mode_words(target))
                )
            # The phone may drop the link before its OKAY arrives: it is rebooting either way.
            with contextlib.suppress(TransportError):
                self.client.reboot(fastboot_target)
        elif self.recovery is not None:
            adb_target = {"system": "", "fastbootd": "fastboot"}.get(target, target)
            with contextlib.suppress(TransportError):
                self.recovery.reboot(adb_target)
        else:
            raise InstallError(_("the phone is not connected"))
        self.close()
