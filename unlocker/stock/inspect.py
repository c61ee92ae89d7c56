"""What a file is and what it holds, without extracting it (``unlocker inspect``).

Recognised: Xiaomi fastboot ROMs (.tgz with flash_all scripts and images/), A/B OTA zips
(payload.bin), recovery-flashable zips (update-binary), factory images (android-info.txt, also
inside Google's nested image-*.zip), bare payload.bin, Android sparse images and raw partition
images with a known header. Anything else, or anything damaged, is a clear PackageError.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from unlocker.errors import ImageError, PackageError
from unlocker.i18n import N_, _
from unlocker.sparse.extents import layout_of_sparse
from unlocker.sparse.format import FILE_HEADER_SIZE, is_sparse, parse_header
from unlocker.stock import PAYLOAD, TAR, ZIP, package_kind
from unlocker.stock.ota_zip import METADATA, UPDATE_BINARY, UPDATER_SCRIPT
from unlocker.stock.ota_zip import PAYLOAD as PAYLOAD_ENTRY

KINDS = {
    "xiaomi-fastboot-rom": N_("Xiaomi fastboot ROM"),
    "ab-ota": N_("A/B OTA package (payload.bin)"),
    "payload": N_("A/B update payload (payload.bin)"),
    "recovery-zip": N_("recovery-flashable zip"),
    "factory-image": N_("factory image"),
    "sparse-image": N_("Android sparse image"),
    "raw-image": N_("raw partition image"),
}
_ASSERT_DEVICE = re.compile(r'getprop\("ro\.(?:product\.device|build\.product)"\)\s*==\s*"([^"]+)"')


def inspect_file(path: Path) -> dict[str, Any]:
    """A JSON-ready description; ``kind`` is one of KINDS."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise PackageError(_("cannot read {file}: {reason}").format(file=path, reason=e.strerror or e)) from e
    if size == 0:
        raise PackageError(_("{file} is empty").format(file=path.name), hint=_("Download it again."))
    kind = package_kind(path)
    if kind == TAR:
        return _tar(path)
    if kind == ZIP:
        return _zip(path)
    if kind == PAYLOAD:
        return _payload(path, {})
    return _image(path, size)


# --- Xiaomi fastboot ROM ---------------------------------------------------------------------


def _tar(path: Path) -> dict[str, Any]:
    from unlocker.stock.xiaomi_rom import read_rom

    rom = read_rom(path)
    main = rom.script("flash_all.sh") if "flash_all.sh" in rom.index.texts else None
    scripts = []
    for name in rom.scripts:
        entry: dict[str, Any] = {"name": name}
        if name.endswith(".sh"):
            script = rom.script(name)
            entry.update(
                relocks=bool(script.relocks) or script.relocking_name,
                never_run=bool(script.relocks) or script.relocking_name,
                keeps_data=name.startswith("flash_all_except"),
                steps=len(script.steps),
                not_understood=[{"line": p.line, "text": p.text, "why": p.why} for p in script.problems],
            )
        scripts.append(entry)
    images = []
    for name in sorted(rom.images):
        size, sparse, expanded = rom.image_size(name)
        images.append({"file": name, "size": size, "sparse": sparse, "expanded_size": expanded})
    return {
        "file": str(path),
        "kind": "xiaomi-fastboot-rom",
        "codename": main.codename if main else None,
        "version": rom.version,
        "current_anti_ver": rom.package_anti(main) if main else None,
        "security_patch": (rom.index.texts.get("images/platform_security_patch.txt") or "").strip() or None,
        "scripts": scripts,
        "images": images,
    }


# --- zips ------------------------------------------------------------------------------------


def _zip(path: Path) -> dict[str, Any]:
    from unlocker.stock.ota_zip import open_zip, parse_properties, read_text

    with open_zip(path) as archive:
        names = set(archive.namelist())
        metadata = parse_properties(read_text(archive, METADATA))
        if PAYLOAD_ENTRY in names:
            return _payload(path, metadata)
        if UPDATE_BINARY in names:
            script = read_text(archive, UPDATER_SCRIPT) or ""
            devices = sorted(set(_ASSERT_DEVICE.findall(script)))
            if metadata.get("pre-device"):
                from unlocker.stock.ota_zip import devices_of

                devices = devices_of(metadata)
            return {
                "file": str(path),
                "kind": "recovery-zip",
                "devices": devices,
                "ota_type": metadata.get("ota-type"),
                "post_build": metadata.get("post-build"),
                "has_updater_script": UPDATER_SCRIPT in names,
            }
        info = _android_info(archive, names)
        if info is not None:
            return {"file": str(path), "kind": "factory-image", **info}
    raise PackageError(
        _(
            "{file} is a zip, but not a firmware package unlocker knows (no payload.bin, update-binary or "
            "android-info.txt)"
        ).format(file=path.name),
        hint=_("Check that you downloaded the firmware itself, not a page or an installer."),
    )


def _android_info(archive: zipfile.ZipFile, names: set[str]) -> dict[str, Any] | None:
    """android-info.txt at the top, or inside a Google factory zip's nested image-*.zip."""
    from unlocker.stock.ota_zip import read_text

    direct = next((n for n in sorted(names) if n.rsplit("/", 1)[-1] == "android-info.txt"), None)
    if direct:
        return {"android_info": _requirements(read_text(archive, direct) or ""), "images": _imgs(names)}
    nested = next((n for n in sorted(names) if re.search(r"(^|/)image-[^/]*\.zip$", n)), None)
    if nested is None:
        return None
    try:
        with archive.open(nested) as inner_file, zipfile.ZipFile(inner_file) as inner:  # type: ignore[arg-type]
            inner_names = set(inner.namelist())
            if "android-info.txt" not in inner_names:
                return None
            return {
                "nested_image_zip": nested,
                "android_info": _requirements(read_text(inner, "android-info.txt") or ""),
                "images": _imgs(inner_names),
                "scripts": sorted(n for n in names if n.endswith((".sh", ".bat"))),
            }
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise PackageError(
            _("{entry} inside the package is damaged: {reason}").format(entry=nested, reason=e),
            hint=_("Download it again."),
        ) from e


def _requirements(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _imgs(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.endswith(".img"))


def _payload(path: Path, metadata: dict[str, str]) -> dict[str, Any]:
    from unlocker.stock.ota_zip import read_ota

    ota = read_ota(path)
    metadata = metadata or ota.metadata
    manifest = ota.payload.manifest
    reasons = manifest.incremental_reasons()
    return {
        "file": str(path),
        "kind": "ab-ota" if ota.metadata or package_kind(path) == ZIP else "payload",
        "payload_version": ota.payload.major_version,
        "payload_stored": ota.payload_stored,
        "full": not reasons,
        "incremental_because": reasons,
        "minor_version": manifest.minor_version,
        "block_size": manifest.block_size,
        "pre_device": metadata.get("pre-device"),
        "post_build": metadata.get("post-build"),
        "ota_type": metadata.get("ota-type"),
        "pre_build": metadata.get("pre-build"),
        "security_patch": manifest.security_patch_level or metadata.get("post-security-patch-level"),
        "properties": {k: v for k, v in ota.properties.items() if k in ("FILE_SIZE", "METADATA_SIZE")},
        "dynamic_partitions": sorted(manifest.logical_partitions),
        "partitions": [
            {
                "name": p.name,
                "size": p.size,
                "operations": p.operation_counts(),
                "logical": p.name in manifest.logical_partitions,
            }
            for p in manifest.partitions
        ],
    }


# --- images ----------------------------------------------------------------------------------

# (offset, magic, what): headers of partition images found in firmware packages.
_SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"ANDROID!", N_("Android boot image")),
    (0, b"VNDRBOOT", N_("Android vendor_boot image")),
    (0, b"AVB0", N_("Android verified boot metadata (vbmeta)")),
    (0, bytes.fromhex("d7b7ab1e"), N_("device tree overlay image (dtbo)")),
    (0, b"\x7fELF", N_("ELF firmware (bootloader, TrustZone, ...)")),
    (4096, b"gDla", N_("super partition image (logical partitions)")),
    (1024, bytes.fromhex("e2e1f5e0"), N_("EROFS file system")),
    (1024, bytes.fromhex("1020f5f2"), N_("F2FS file system")),
    (1080, bytes.fromhex("53ef"), N_("ext4 file system")),
]
_FAT = N_("FAT file system (modem or bluetooth firmware)")


def _image(path: Path, size: int) -> dict[str, Any]:
    with open(path, "rb") as f:
        head = f.read(max(FILE_HEADER_SIZE, 4100))
        if is_sparse(head):
            try:
                header = parse_header(head[:FILE_HEADER_SIZE])
                f.seek(0)
                layout = layout_of_sparse(f)
            except ImageError as e:
                raise PackageError(
                    _("{file} is a damaged sparse image: {problem}").format(file=path.name, problem=e),
                    hint=_("Download it again."),
                ) from e
            return {
                "file": str(path),
                "kind": "sparse-image",
                "size": size,
                "expanded_size": header.expanded_size,
                "block_size": header.blk_sz,
                "blocks": header.total_blks,
                "chunks": header.total_chunks,
                "extents": len(layout.extents),
            }
    what = next((w for offset, magic, w in _SIGNATURES if head[offset : offset + len(magic)] == magic), None)
    if what is None and len(head) >= 512 and head[510:512] == b"\x55\xaa" and b"FAT" in head[:512]:
        what = _FAT
    if what is None:
        raise PackageError(
            _("{file} is not a package or partition image unlocker recognises").format(file=path.name),
            hint=_(
                "Known: Xiaomi fastboot ROMs (.tgz), OTA and recovery zips, factory images, payload.bin, "
                "sparse images and raw images with a known header."
            ),
        )
    result: dict[str, Any] = {"file": str(path), "kind": "raw-image", "size": size, "content": what}
    if head[:8] == b"ANDROID!":
        result["boot_header_version"] = struct.unpack_from("<I", head, 40)[0]
    return result


def describe(report: dict[str, Any]) -> list[str]:
    """The report in plain words, for people."""
    kind = report["kind"]
    label = KINDS.get(kind, kind)
    lines = [_("{file}: {kind}").format(file=Path(report["file"]).name, kind=_(label))]
    if kind == "xiaomi-fastboot-rom":
        lines.append(
            _("for '{codename}', version {version}, CURRENT_ANTI_VER {anti}").format(
                codename=report["codename"], version=report["version"] or "?", anti=report["current_anti_ver"]
            )
        )
        for script in report["scripts"]:
            note = ""
            if script.get("never_run"):
                note = _(" (relocks the bootloader: never run)")
            elif script.get("not_understood"):
                note = _(" ({count} lines not understood)").format(count=len(script["not_understood"]))
            lines.append(_("script {name}{note}").format(name=script["name"], note=note))
        for image in report["images"]:
            lines.append(
                _("  {file}: {size} bytes{sparse}").format(
                    file=image["file"],
                    size=image["expanded_size"],
                    sparse=_(" (sparse, {size} in the package)").format(size=image["size"])
                    if image["sparse"]
                    else "",
                )
            )
    elif kind in ("ab-ota", "payload"):
        full = (
            _("full")
            if report["full"]
            else _("incremental ({why})").format(why="; ".join(report["incremental_because"]))
        )
        lines.append(
            _("payload version {version}, {full}").format(version=report["payload_version"], full=full)
        )
        for key in ("pre_device", "post_build", "ota_type"):
            if report.get(key):
                lines.append(f"{key.replace('_', '-')}: {report[key]}")
        for part in report["partitions"]:
            ops = ", ".join(f"{n} {c}" for n, c in sorted(part["operations"].items()))
            logical = _(" (logical)") if part["logical"] else ""
            lines.append(
                _("  {name}{logical}: {size} bytes; {operations}").format(
                    name=part["name"], logical=logical, size=part["size"], operations=ops
                )
            )
    elif kind == "recovery-zip":
        lines.append(_("for: {devices}").format(devices=", ".join(report["devices"]) or _("not stated")))
    elif kind == "factory-image":
        lines += [f"  {line}" for line in report["android_info"]]
    elif kind == "sparse-image":
        lines.append(
            _("{size} bytes, {expanded} bytes once written, {chunks} chunks of {block}-byte blocks").format(
                size=report["size"],
                expanded=report["expanded_size"],
                chunks=report["chunks"],
                block=report["block_size"],
            )
        )
    else:
        lines.append(_("{size} bytes: {content}").format(size=report["size"], content=_(report["content"])))
    return lines
