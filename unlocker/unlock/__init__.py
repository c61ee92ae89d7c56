"""Unlocking bootloaders, one module per vendor flow, chosen by the firmware index.

- ``flow``: what every flow receives and returns (:class:`UnlockContext`, :class:`UnlockOutcome`);
- ``registry``: finds the flow for the connected phone: the index's ``unlock.method`` for its
  codename, else the phone's own answers, else a clear :class:`~unlocker.errors.NoUnlockFlow`;
- ``xiaomi``: Mi Unlock (``mi_unlock``): asks Xiaomi's server, never games the waiting period;
- ``fastboot_command``: ``flashing unlock`` and vendor ``oem`` unlock commands.

Adding a vendor is one new module here that defines ``FLOW`` (see ``fastboot_command``).
"""

from unlocker.unlock.flow import UnlockContext, UnlockFlow, UnlockMethod, UnlockOutcome
from unlocker.unlock.registry import choose_flow, flows, unlock

__all__ = ["UnlockContext", "UnlockFlow", "UnlockMethod", "UnlockOutcome", "choose_flow", "flows", "unlock"]
