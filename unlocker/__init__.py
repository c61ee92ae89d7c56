"""unlocker: a fastboot implementation and guided toolkit for taking back control of Android phones.

The package is layered; every import points down (``tests/test_layers.py`` checks it):

- base modules: ``errors`` (the one error family), ``i18n`` (``_()``), ``settings`` (every
  ``UNLOCKER_*`` variable), ``paths`` (user dirs), ``http`` (the one HTTP session factory),
  ``commands`` (the command lines messages tell people to type), ``filelock`` (locks a crash releases);
- ``unlocker.transport``: byte pipes to a phone (USB via pyusb, TCP);
- ``unlocker.fastboot``: the fastboot protocol client on top of a transport; ``unlocker.adb``
  beside it: adb (wire format, keys, client, sideload);
- ``unlocker.device``: the connected phone: opening it by name (``connect``), the one record of
  its facts (``facts``), the status report (``state``);
- ``unlocker.sparse``: Android sparse images (read, write, convert, resparse);
- ``unlocker.flashing``: flash plans (pure, shared with --dry-run) and their execution;
- ``unlocker.xiaomi``: Mi account and Xiaomi's unlock server (no phone code);
- ``unlocker.unlock``: unlock flows, one module per vendor, chosen by the firmware index;
- ``unlocker.index``: the firmware index (devices, ROMs, install methods), queries, live update;
- ``unlocker.download``: resumable, verified, mirror-aware downloads;
- ``unlocker.stock``: stock firmware packages (Xiaomi fastboot ROMs, OTA payloads): inspect,
  plan and flash them through the flash engine, with the codename and anti-rollback guards;
- ``unlocker.install``: the guided install of a ROM: plans from the index's methods, verified
  files, offline kits, the journal per phone, the runner that resumes;
- ``unlocker.support``: ``doctor`` and the redacted support ``report``;
- ``unlocker.emulator``: the virtual phone (shares the protocol's parsers, never its client);
- ``unlocker.api``: the small public API below; ``unlocker.cli``: the thin click shell.

For scripts: ``unlocker.connect``, ``unlocker.read_facts``, ``unlocker.status``,
``unlocker.plan_flash``, ``unlocker.flash`` and ``unlocker.unlock_bootloader`` (see
``unlocker.api``).
They load on first use, so ``import unlocker`` stays instant.
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: importing typing costs start-up time, and `unlocker --version` needs
# nothing else from this package.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

# (not "unlock": that name is the unlock flows' sub-package)
_API = ("connect", "read_facts", "status", "plan_flash", "flash", "unlock_bootloader")
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from unlocker import api

        return getattr(api, name)
    raise AttributeError(f"module 'unlocker' has no attribute {name!r}")
