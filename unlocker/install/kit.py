"""Offline kits: a directory holding every file an install needs and ``manifest.json``.

The manifest lists the artefacts (file name, size, sha256, where they came from) and the index
entries used (the device, the ROM's entry for it, the build, the install method and every method
it uses), so ``unlocker install --kit DIR`` needs no network and not even the same index version.
The manifest carries a checksum over its own content; every file is checked against it. A
damaged or edited kit is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unlocker import __version__, commands
from unlocker.errors import KitError
from unlocker.i18n import _
from unlocker.index.cache import write_atomic
from unlocker.index.model import Build, Device, Method, Rom
from unlocker.install.plan import PlannedArtefact

MANIFEST = "manifest.json"
FORMAT = 1
KIND = "unlocker-install-kit"


def _canonical(data: dict[str, Any]) -> bytes:
    body = {k: v for k, v in data.items() if k != "checksum"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def manifest_checksum(data: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(data)).hexdigest()


@dataclass
class Kit:
    directory: Path
    device: Device
    rom: Rom
    build: Build
    method: str
    methods: dict[str, Method]
    artefacts: list[PlannedArtefact]
    created_at: str

    def artefact(self, artefact_id: str) -> PlannedArtefact | None:
        return next((a for a in self.artefacts if a.id == artefact_id), None)


def _method_record(method: Method) -> dict[str, Any]:
    return {
        "name": method.name,
        "description": method.description,
        "automated": method.automated,
        "steps": list(method.steps),
        "artefacts": dict(method.artefacts),
    }


def write_manifest(
    directory: Path,
    *,
    device: Device,
    rom: Rom,
    build: Build,
    method: str,
    methods: dict[str, Method],
    artefacts: list[PlannedArtefact],
) -> Path:
    data: dict[str, Any] = {
        "format": FORMAT,
        "kind": KIND,
        "created_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "unlocker_version": __version__,
        "codename": device.codename,
        "device": device.data,
        "rom": {
            "id": rom.id,
            "name": rom.name,
            "licence": rom.licence,
            "homepage": rom.homepage,
            "wiki": rom.wiki,
            "support": rom.devices.get(device.codename, {}),
            "artefacts": rom.artefacts,
        },
        "build": build.to_record(),
        "method": method,
        "methods": {name: _method_record(m) for name, m in methods.items()},
        "artefacts": [
            {"id": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256, "urls": list(a.urls)}
            for a in artefacts
        ],
    }
    data["checksum"] = manifest_checksum(json.loads(json.dumps(data, default=str)))
    path = directory / MANIFEST
    write_atomic(path, json.dumps(data, indent=1, default=str) + "\n")
    return path


def _refuse(directory: Path, problem: str) -> KitError:
    return KitError(
        _("{kit} is not a usable kit: {problem}").format(kit=directory, problem=problem),
        hint=_("Copy the whole kit directory again, or make it again with {command}.").format(
            command=commands.show(commands.KIT)
        ),
    )


def _plain_name(name: str) -> bool:
    return (
        bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name
    )


def load_kit(directory: Path) -> Kit:
    """The kit in ``directory``; KitError when its manifest is missing, damaged or edited.

    The files themselves are checked when the install takes them (artefacts.use_kit_files).
    """
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise _refuse(directory, _("it has no {file}").format(file=MANIFEST)) from e
    except (OSError, ValueError) as e:
        raise _refuse(
            directory, _("{file} cannot be read ({problem})").format(file=MANIFEST, problem=e)
        ) from e
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise _refuse(directory, _("{file} is not an unlocker kit manifest").format(file=MANIFEST))
    if data.get("format") != FORMAT:
        raise _refuse(directory, _("unknown manifest format {format}").format(format=data.get("format")))
    if data.get("checksum") != manifest_checksum(data):
        raise _refuse(directory, _("its manifest was changed after the kit was made (checksum mismatch)"))
    try:
        device = Device.from_data(dict(data["device"]), f"{MANIFEST}: device")
        rom_data = data["rom"]
        rom = Rom.from_data(
            {
                "id": rom_data["id"],
                "name": rom_data["name"],
                "licence": rom_data["licence"],
                "homepage": rom_data["homepage"],
                "wiki": rom_data.get("wiki"),
                "artefacts": rom_data.get("artefacts") or {},
                "devices": {device.codename: rom_data.get("support") or {}},
            },
            f"{MANIFEST}: rom",
        )
        build = Build.from_json(rom.id, data["build"])
        methods = {name: Method.from_data(m, f"{MANIFEST}: methods") for name, m in data["methods"].items()}
        artefacts = [
            PlannedArtefact(
                id=str(a["id"]),
                filename=str(a["filename"]),
                size=int(a["size"]),
                sha256=str(a["sha256"]).lower(),
                urls=tuple(a.get("urls") or ()),
                source="kit",
            )
            for a in data["artefacts"]
        ]
        method = str(data["method"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise _refuse(directory, _("its manifest lacks {field}").format(field=e)) from e
    for a in artefacts:
        if not _plain_name(a.filename):
            raise _refuse(
                directory, _("its manifest names a file outside the kit: {file}").format(file=a.filename)
            )
    if method not in methods:
        raise _refuse(directory, _("its manifest lacks the install method {method}").format(method=method))
    return Kit(directory, device, rom, build, method, methods, artefacts, str(data.get("created_at") or ""))
