"""Stock firmware without bricks: reading the packages people download and flashing them safely.

- ``inspect``: what a file is (Xiaomi fastboot ROM, A/B OTA zip, recovery zip, factory image,
  payload.bin, sparse or raw image) and what it holds, without extracting it;
- ``xiaomi_rom`` + ``flash_script`` + ``archive``: Xiaomi's .tgz ROMs, their flash_all*.sh read
  as data, and the archive read safely in one forward pass;
- ``payload`` (+ ``protobuf``) + ``extract`` + ``ota_zip``: A/B OTA payloads, streamed, hashes checked;
- ``checks``: codename, anti-rollback and security-patch checks;
- ``plan`` and ``apply``: the plan (shared with --dry-run) and its execution through the flash engine.

For callers (``unlocker stock``, and ``unlocker install`` for its "required stock firmware"
step)::

    plan = plan_stock(client, Path("alioth_global_images_....tgz"), keep_data=False)
    print("\\n".join(plan.describe()))
    result = apply_stock(client, plan, confirm=ask, reboot=False)

Nothing here ever sends ``oem lock`` or ``flashing lock``, and no option turns off the
anti-rollback check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from unlocker import commands
from unlocker.errors import PackageError, UsageError
from unlocker.fastboot.client import FastbootClient
from unlocker.i18n import _
from unlocker.stock.apply import StockResult, apply_stock
from unlocker.stock.plan import StockPlan, plan_firmware, plan_rom

__all__ = ["StockPlan", "StockResult", "apply_stock", "package_kind", "plan_stock"]

TAR = "tar"
ZIP = "zip"
PAYLOAD = "payload"


def package_kind(path: Path) -> str | None:
    """TAR (.tgz/.tar), ZIP or PAYLOAD (bare payload.bin) from the first bytes; None otherwise."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as e:
        raise PackageError(_("cannot read {file}: {reason}").format(file=path, reason=e.strerror or e)) from e
    if head[:2] == b"\x1f\x8b" or head[257:262] == b"ustar":
        return TAR
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return ZIP
    if head[:4] == b"CrAU":
        return PAYLOAD
    return None


def plan_stock(
    client: FastbootClient,
    package: Path,
    *,
    keep_data: bool = False,
    firmware_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> StockPlan:
    """The plan for flashing ``package`` on the phone, after every check (codename, anti-rollback,
    lock lines, partitions, sizes); touches neither the phone nor the disk. A .tgz is read once
    here (``progress`` gets compressed bytes read)."""
    kind = package_kind(package)
    if kind == TAR:
        if firmware_only:
            raise UsageError(
                _("--firmware-only is for OTA zips; a fastboot ROM is flashed as its script says"),
                hint=_("Drop --firmware-only (add --keep-data to keep the phone's data)."),
            )
        from unlocker.stock.xiaomi_rom import read_rom

        return plan_rom(client, read_rom(package, progress=progress), keep_data=keep_data)
    if kind in (ZIP, PAYLOAD):
        if not firmware_only:
            raise UsageError(
                _("{file} is an OTA package: only its firmware can be flashed from a computer").format(
                    file=package.name
                ),
                hint=_("Add --firmware-only (system partitions are installed by the phone's own updater)."),
            )
        if keep_data:
            raise UsageError(_("--keep-data does not apply to --firmware-only, which never touches data"))
        from unlocker.stock.ota_zip import read_ota

        return plan_firmware(client, read_ota(package))
    raise PackageError(
        _("{file} is neither a fastboot ROM (.tgz) nor an OTA package (.zip)").format(file=package.name),
        hint=_("{command} says what the file is.").format(command=commands.show(commands.INSPECT, "FILE")),
    )
