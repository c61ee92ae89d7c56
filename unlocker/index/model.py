"""Records of the firmware index: devices, ROM projects, builds, install methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Device:
    codename: str
    aliases: tuple[str, ...]
    names: tuple[str, ...]
    models: tuple[str, ...]
    vendor: str
    soc: str | None
    soc_vendor: str | None
    unlock: dict[str, Any]
    ab: bool | None
    dynamic_partitions: bool | None
    wipe_super: bool
    recovery_partition: str
    recovery_via_fastboot_boot: bool
    boot_stack: tuple[str, ...]
    install_method: str
    firmware: dict[str, Any] | None
    keys: dict[str, Any]
    notes: tuple[str, ...]
    variants: tuple[dict[str, Any], ...]
    file: str
    data: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_data(cls, data: dict[str, Any], file: str) -> Device:
        return cls(
            codename=str(data["codename"]),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
            names=tuple(data.get("names") or ()),
            models=tuple(str(m) for m in data.get("models") or ()),
            vendor=data["vendor"],
            soc=data.get("soc"),
            soc_vendor=data.get("soc_vendor"),
            unlock=dict(data.get("unlock") or {}),
            ab=data.get("ab"),
            dynamic_partitions=data.get("dynamic_partitions"),
            wipe_super=bool(data.get("wipe_super")),
            recovery_partition=data["recovery_partition"],
            recovery_via_fastboot_boot=bool(data.get("recovery_via_fastboot_boot")),
            boot_stack=tuple(data.get("boot_stack") or ()),
            install_method=data["install_method"],
            firmware=data.get("firmware"),
            keys=dict(data.get("keys") or {}),
            notes=tuple(data.get("notes") or ()),
            variants=tuple(data.get("variants") or ()),
            file=file,
            data=data,
        )

    @property
    def install_methods(self) -> tuple[str, ...]:
        """The device's method and any variant's different one (carrier models, ...)."""
        names = [self.install_method]
        for variant in self.variants:
            method = variant.get("install_method")
            if method and method not in names:
                names.append(method)
        return tuple(names)


@dataclass(frozen=True)
class BuildFile:
    artefact: str
    filename: str
    url: str
    size: int
    sha256: str
    mirrors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "artefact": self.artefact,
            "filename": self.filename,
            "url": self.url,
            "size": self.size,
            "sha256": self.sha256,
            "mirrors": list(self.mirrors),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildFile:
        return cls(
            artefact=str(data["artefact"]),
            filename=str(data["filename"]),
            url=str(data["url"]),
            size=int(data["size"]),
            sha256=str(data["sha256"]).lower(),
            mirrors=tuple(data.get("mirrors") or ()),
        )


@dataclass(frozen=True)
class Build:
    """One published build of a ROM for one codename; ``files[0]`` is the installable zip."""

    rom: str
    codename: str
    version: str
    date: str | None
    type: str | None
    files: tuple[BuildFile, ...]
    source: str  # where the facts come from: a URL or "shipped: <origin>"

    @property
    def main(self) -> BuildFile:
        for f in self.files:
            if f.artefact == "rom_zip":
                return f
        return self.files[0]

    def to_json(self) -> dict[str, Any]:
        main = self.main
        return {
            "version": self.version,
            "date": self.date,
            "type": self.type,
            "filename": main.filename,
            "url": main.url,
            "size": main.size,
            "sha256": main.sha256,
            "mirrors": list(main.mirrors),
            "files": [f.to_json() for f in self.files],
            "source": self.source,
        }

    @classmethod
    def from_json(cls, rom: str, data: dict[str, Any]) -> Build:
        return cls(
            rom=rom,
            codename=str(data["codename"]),
            version=str(data["version"]),
            date=None if data.get("date") is None else str(data["date"]),
            type=None if data.get("type") is None else str(data["type"]),
            files=tuple(BuildFile.from_json(f) for f in data["files"]),
            source=str(data.get("source") or ""),
        )

    def to_record(self) -> dict[str, Any]:
        """The form stored in the cache and in roms/*.yaml ``builds``."""
        return {
            "codename": self.codename,
            "version": self.version,
            "date": self.date,
            "type": self.type,
            "source": self.source,
            "files": [f.to_json() for f in self.files],
        }


@dataclass(frozen=True)
class Rom:
    id: str
    name: str
    licence: str
    homepage: str
    builds_api: dict[str, Any] | None
    artefacts: dict[str, dict[str, Any]]
    devices: dict[str, dict[str, Any]]
    builds: tuple[Build, ...]
    notes: tuple[str, ...]
    file: str
    wiki: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any], file: str) -> Rom:
        rom_id = str(data["id"])
        return cls(
            id=rom_id,
            name=data["name"],
            licence=data["licence"],
            homepage=data["homepage"],
            builds_api=data.get("builds_api"),
            artefacts=dict(data.get("artefacts") or {}),
            devices={str(k): dict(v or {}) for k, v in (data.get("devices") or {}).items()},
            builds=tuple(Build.from_json(rom_id, b) for b in data.get("builds") or ()),
            notes=tuple(data.get("notes") or ()),
            file=file,
            wiki=data.get("wiki"),
        )

    def supports(self, codename: str) -> bool:
        return codename in self.devices


@dataclass(frozen=True)
class Method:
    name: str
    description: str
    automated: bool
    steps: tuple[dict[str, Any], ...]
    artefacts: dict[str, dict[str, Any]]
    file: str

    @classmethod
    def from_data(cls, data: dict[str, Any], file: str) -> Method:
        return cls(
            name=str(data["name"]),
            description=data["description"],
            automated=bool(data["automated"]),
            steps=tuple(data.get("steps") or ()),
            artefacts=dict(data.get("artefacts") or {}),
            file=file,
        )
