"""Faults the virtual phone can inject, so tests see what real phones and cables do.

Spec strings (``unlocker emulate --fault SPEC``, repeatable):

- ``disconnect@BYTES``           drop the link after BYTES bytes of download (or sideload) data
- ``stall@BYTES``                stop answering after BYTES bytes of download (or sideload) data
- ``KIND:PREFIX[#N]``            on the N-th command (fastboot) or service (adb: ``sideload-host``,
                                 ``shell:getprop``, ``reboot:``) starting with PREFIX (default 1st):
    ``disconnect`` drops the link, ``stall`` never answers, ``garbage`` answers non-fastboot bytes,
    ``fail`` answers FAIL (``fail:PREFIX[#N]=MESSAGE`` sets the message; adb: refuses the
    service), ``info-flood`` sends 1000 INFO lines before the real answer (fastboot only).
"""

from __future__ import annotations

from dataclasses import dataclass

from unlocker.errors import UsageError
from unlocker.i18n import _

KINDS = ("disconnect", "stall", "garbage", "fail", "info-flood")


class Disconnect(Exception):
    """Raised by a session when a fault says the link drops now."""


@dataclass
class Fault:
    kind: str
    command_prefix: str | None = None
    nth: int = 1
    after_bytes: int | None = None
    message: str = "injected failure"
    seen: int = 0  # matching commands so far (faults fire once)
    fired: bool = False

    def matches_command(self, command: str) -> bool:
        if self.fired or self.command_prefix is None or not command.startswith(self.command_prefix):
            return False
        self.seen += 1
        if self.seen == self.nth:
            self.fired = True
            return True
        return False


def parse_fault(spec: str) -> Fault:
    text = spec.strip()
    if text.startswith(("disconnect@", "stall@")):
        kind, _at, count = text.partition("@")
        if not count.isdigit():
            raise UsageError(
                _("fault '{spec}': {kind}@BYTES needs a byte count").format(spec=spec, kind=kind)
            )
        return Fault(kind, after_bytes=int(count))
    kind, sep, rest = text.partition(":")
    if kind not in KINDS or not sep or not rest:
        raise UsageError(
            _("fault '{spec}': expected KIND:COMMAND[#N] with KIND one of {kinds}").format(
                spec=spec, kinds=", ".join(KINDS)
            )
        )
    message = "injected failure"  # a bootloader reply sent over the wire: never translated
    if kind == "fail" and "=" in rest:
        rest, _sep, message = rest.partition("=")
    nth = 1
    if "#" in rest:
        rest, _sep, n = rest.rpartition("#")
        if not n.isdigit() or int(n) < 1:
            raise UsageError(_("fault '{spec}': #N must be a positive number").format(spec=spec))
        nth = int(n)
    return Fault(kind, command_prefix=rest, nth=nth, message=message)
