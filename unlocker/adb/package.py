"""What a ROM zip says about itself, read before a single byte goes to the phone.

Only the zip's central directory and its small metadata entry are read (never the whole file).
Facts (AOSP bootable/recovery install/install.cpp ``CheckPackageMetadata``, build/make
ota_utils): ``META-INF/com/android/metadata`` holds ``key=value`` lines; ``pre-device`` is the
comma-separated list of codenames the package is for, which the recovery compares with
``ro.product.device``; A/B packages carry ``payload.bin``, others run
``META-INF/com/google/android/update-binary``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from unlocker import commands
from unlocker.errors import PreflightError
from unlocker.i18n import _

METADATA = "META-INF/com/android/metadata"
UPDATE_BINARY = "META-INF/com/google/android/update-binary"
AB_PAYLOAD = "payload.bin"
# The metadata entry is a few hundred bytes; more is not metadata.
_METADATA_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Package:
    path: Path
    size: int
    devices: tuple[str, ...]  # from pre-device; empty when the package does not say
    post_build: str | None  # the build fingerprint it installs, when it says
    kind: str  # "ab" (payload.bin), "updater" (update-binary) or "unknown"


def parse_metadata(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            values[key.strip()] = value.strip()
    return values


def inspect_package(path: Path) -> Package:
    """Read the zip's directory and metadata; PreflightError when it is not a zip a recovery takes."""
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            metadata: dict[str, str] = {}
            if METADATA in names and archive.getinfo(METADATA).file_size <= _METADATA_LIMIT:
                metadata = parse_metadata(archive.read(METADATA).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as e:
        raise PreflightError(
            _("{file} is not a zip file; a recovery installs only ROM packages (.zip)").format(
                file=path.name
            ),
            hint=_(
                "Check that you picked the ROM zip, and that its download finished ({command} verifies it)."
            ).format(command=commands.show(commands.DOWNLOAD)),
        ) from e
    except OSError as e:
        raise PreflightError(
            _("cannot read {file} ({reason})").format(file=path, reason=e.strerror or e),
            hint=_("Check the path and that the file is readable."),
        ) from e
    devices = tuple(d.strip() for d in metadata.get("pre-device", "").split(",") if d.strip())
    kind = "ab" if AB_PAYLOAD in names else "updater" if UPDATE_BINARY in names else "unknown"
    return Package(path, size, devices, metadata.get("post-build") or None, kind)


def check_device(package: Package, codename: str | None, *, phone: str) -> None:
    """Refuse a package that says it is for other phones (the recovery would refuse it after the transfer)."""
    if not package.devices or not codename or codename in package.devices:
        return
    raise PreflightError(
        _("{file} is for {devices}, but {phone} is '{codename}'; nothing was sent").format(
            file=package.path.name, devices=", ".join(package.devices), phone=phone, codename=codename
        ),
        hint=_("Download the build made for '{codename}': {command} lists them.").format(
            codename=codename, command=commands.show(commands.ROMS, codename)
        ),
    )
