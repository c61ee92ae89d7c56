"""OTA zips: the A/B kind holding payload.bin, and where payload.bin's bytes sit inside.

The OTA tool stores payload.bin uncompressed (ZIP_STORED) so recovery can read it in place
(AOSP build/tools/releasetools ota_utils.py): its bytes start at the entry's local header +
30 + name length + the *local* extra-field length. We read it there, seeking, never copying it.
``META-INF/com/android/metadata`` is ``key=value`` lines (``pre-device``, ``post-build``,
``ota-type``, ...).
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from unlocker import commands
from unlocker.errors import PackageError, UsageError
from unlocker.i18n import _
from unlocker.stock.extract import PayloadSource
from unlocker.stock.payload import Payload, read_payload

PAYLOAD = "payload.bin"
PAYLOAD_PROPERTIES = "payload_properties.txt"
METADATA = "META-INF/com/android/metadata"
UPDATE_BINARY = "META-INF/com/google/android/update-binary"
UPDATER_SCRIPT = "META-INF/com/google/android/updater-script"
MAX_TEXT = 1024 * 1024  # metadata and property files are a few hundred bytes


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise PackageError(
            _("{file} is not a readable zip archive: {reason}").format(file=path.name, reason=e),
            hint=_("The download is probably incomplete: download it again."),
        ) from e


def read_text(archive: zipfile.ZipFile, name: str) -> str | None:
    """A small text entry, or None when absent."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_TEXT:
        raise PackageError(_("{entry} in the package is too large to be what it claims").format(entry=name))
    try:
        with archive.open(info) as f:
            return f.read(MAX_TEXT).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise PackageError(
            _("{entry} in the package cannot be read: {reason}").format(entry=name, reason=e),
            hint=_("The download is probably incomplete: download it again."),
        ) from e


def parse_properties(text: str | None) -> dict[str, str]:
    """``key=value`` lines (metadata, payload_properties.txt); recovery trims spaces around both."""
    result: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            result[key.strip()] = value.strip()
    return result


def devices_of(metadata: dict[str, str]) -> list[str]:
    """``pre-device`` values: '|'-separated (AOSP); LineageOS also splits on ',' and ':'."""
    raw = metadata.get("pre-device", "")
    for sep in ",:":
        raw = raw.replace(sep, "|")
    return [d.strip() for d in raw.split("|") if d.strip()]


def stored_data_offset(f: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where an entry's bytes start in the zip file (its local header decides, not the central
    directory's copy of the extra field)."""
    f.seek(info.header_offset)
    header = f.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise PackageError(
            _("the zip entry {entry} has a damaged header").format(entry=info.filename),
            hint=_("The download is probably incomplete: download it again."),
        )
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


@dataclass
class OtaPackage:
    path: Path
    metadata: dict[str, str]
    properties: dict[str, str]
    payload: Payload
    payload_stored: bool

    @property
    def devices(self) -> list[str]:
        return devices_of(self.metadata)


@contextmanager
def open_payload(path: Path) -> Iterator[tuple[PayloadSource, Payload, zipfile.ZipFile | None]]:
    """A payload (a bare payload.bin or the one inside an OTA zip), ready to extract from."""
    with open(path, "rb") as raw:
        head = raw.read(4)
        if head == b"CrAU":
            raw.seek(0)
            size = path.stat().st_size
            yield PayloadSource(raw, 0, size), read_payload(raw, size), None
            return
    archive = open_zip(path)
    with archive:
        try:
            info = archive.getinfo(PAYLOAD)
        except KeyError:
            raise PackageError(
                _("{file} has no payload.bin: it is not an A/B OTA package").format(file=path.name),
                hint=_("{command} says what the file is.").format(
                    command=commands.show(commands.INSPECT, "FILE")
                ),
            ) from None
        if info.compress_type == zipfile.ZIP_STORED:
            with open(path, "rb") as f:
                base = stored_data_offset(f, info)
                source = PayloadSource(f, base, info.file_size)
                f.seek(base)
                yield source, read_payload(f, info.file_size), archive
        else:
            # Not how OTA tools write it, but still readable: zipfile's reader seeks forward by
            # decompressing, and operations come in data order, so this stays one pass.
            with archive.open(info) as f:
                source = PayloadSource(f, 0, info.file_size)  # type: ignore[arg-type]
                yield source, read_payload(f, info.file_size), archive  # type: ignore[arg-type]


def read_ota(path: Path) -> OtaPackage:
    """Metadata and manifest of an A/B OTA zip (or a bare payload.bin), without extracting."""
    with open_payload(path) as (_source, payload, archive):
        if archive is None:
            return OtaPackage(path, {}, {}, payload, True)
        metadata = parse_properties(read_text(archive, METADATA))
        properties = parse_properties(read_text(archive, PAYLOAD_PROPERTIES))
        stored = archive.getinfo(PAYLOAD).compress_type == zipfile.ZIP_STORED
        return OtaPackage(path, metadata, properties, payload, stored)


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def extract_partitions(
    path: Path,
    names: list[str],
    directory: Path,
    *,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[str, int], None] | None = None,
) -> dict[str, Path]:
    """Write each named partition of a full payload as ``DIRECTORY/NAME.img`` (raw), every hash
    checked; an image appears under its name only once it is right. Returns name -> file."""
    from unlocker.stock.extract import check_extractable, extract_to_file
    from unlocker.stock.workspace import require_space

    with open_payload(path) as (source, payload, _archive):
        manifest = payload.manifest
        reasons = manifest.incremental_reasons()
        if reasons:
            raise PackageError(
                _(
                    "{file} is an incremental update ({reasons}): its partitions cannot be written on their own"
                ).format(file=path.name, reasons="; ".join(reasons)),
                hint=_("Use the full OTA package of that version."),
            )
        parts = []
        for name in dict.fromkeys(names):
            part = manifest.partition(name)
            if part is None:
                raise UsageError(
                    _("{file} has no partition '{partition}'").format(file=path.name, partition=name),
                    hint=_("It holds: {partitions}.").format(
                        partitions=", ".join(p.name for p in manifest.partitions)
                    ),
                )
            if not _SAFE_NAME.match(part.name):
                raise PackageError(
                    _("{file} names a partition '{partition}' that is not a plain name").format(
                        file=path.name, partition=part.name[:60]
                    ),
                    hint=_("The package is damaged or was made to harm: do not use it."),
                )
            check_extractable(part, payload)
            parts.append(part)
        directory.mkdir(parents=True, exist_ok=True)
        require_space(directory, sum(p.size or 0 for p in parts))
        written: dict[str, Path] = {}
        for part in parts:
            if on_start:
                on_start(part.name, part.size or 0)
            destination = directory / f"{part.name}.img"
            extract_to_file(source, payload, part, destination, progress=progress)
            written[part.name] = destination
        return written
