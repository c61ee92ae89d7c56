"""Getting every file an install needs, verified, before anything is written to the phone.

Files come from the downloader (sha256 verified, resumable), from ``--file ARTEFACT=PATH``
(verified when the index knows the checksum), or from an offline kit (verified against its
manifest). A ROM zip that names the device it is for (``pre-device`` in
``META-INF/com/android/metadata``) must name this phone.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from unlocker import commands
from unlocker.errors import ChecksumMismatch, InstallError, KitError, PreflightError, WrongPhone
from unlocker.i18n import _
from unlocker.install.checksums import sha256_file, sha256_files
from unlocker.install.plan import InstallPlan, PlannedArtefact

#: Room kept free beyond the downloads themselves (temporary copies, the journal, the system).
DISK_MARGIN = 64 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Progress(Protocol):
    """Byte progress of one file; the CLI draws bars, tests and scripts pass None."""

    def start(self, label: str, total: int | None) -> None: ...
    def update(self, done: int, total: int | None) -> None: ...
    def done(self) -> None: ...


def safe_name(text: str) -> str:
    """A file or directory name made only of safe characters (never a path)."""
    cleaned = _SAFE.sub("_", text).strip("._") or "_"
    return cleaned[:120]


def download_dir(cache: Path, plan: InstallPlan) -> Path:
    return (
        cache
        / "downloads"
        / safe_name(plan.rom_id)
        / safe_name(plan.codename)
        / safe_name(plan.build_version)
    )


def parse_file_options(values: Iterable[str]) -> dict[str, Path]:
    """``--file ARTEFACT=PATH`` options; a bad one is a usage error."""
    from unlocker.errors import UsageError

    result: dict[str, Path] = {}
    for value in values:
        artefact, sep, path = value.partition("=")
        if not sep or not artefact.strip() or not path.strip():
            raise UsageError(
                _("--file '{value}': expected ARTEFACT=PATH, e.g. {example}").format(
                    value=value, example="--file rom_zip=lineage.zip"
                )
            )
        file = Path(path).expanduser()
        if not file.is_file():
            raise UsageError(
                _("--file {artefact}: {path} is not a file").format(artefact=artefact, path=file)
            )
        result[artefact.strip()] = file
    return result


def use_given_file(
    plan: InstallPlan, artefact_id: str, path: Path, *, digest: str | None = None
) -> PlannedArtefact:
    """A file given by hand: verified when the index knows its checksum, recorded with its own otherwise.

    ``digest``: the file's sha256 when it was just computed (files are hashed side by side).
    """
    item = plan.artefacts[artefact_id]
    if artefact_id == "rom_zip":
        check_zip_device(plan, path)  # another phone's ROM says so more clearly than its checksum
    if digest is None:
        digest = sha256_file(path)
    if item.sha256 and digest != item.sha256:
        raise ChecksumMismatch(
            _("{path}: its sha256 is {got}, but {want} is expected for {artefact}; refused").format(
                path=path, got=digest, want=item.sha256, artefact=item.filename
            ),
            hint=_(
                "The file is damaged or another one; download it again, or leave out --file to let unlocker fetch it."
            ),
        )
    new = replace(
        item,
        filename=path.name,
        size=path.stat().st_size,
        sha256=digest,
        source="file",
        path=str(path.resolve()),
    )
    plan.artefacts[artefact_id] = new
    return new


def use_given_files(plan: InstallPlan, files: dict[str, Path]) -> None:
    """Every ``--file`` of the command, hashed side by side."""
    digests = sha256_files(files.values())
    for artefact_id, path in files.items():
        use_given_file(plan, artefact_id, path, digest=digests[path])


def use_kit_files(plan: InstallPlan, ids: Iterable[str], kit_dir: Path) -> None:
    """The kit's files for ``ids``, each checked against the manifest (all hashed side by side)."""
    paths: dict[str, Path] = {}
    for artefact_id in ids:
        item = plan.artefacts[artefact_id]
        path = kit_dir / item.filename
        if not path.is_file():
            raise KitError(
                _("the kit in {kit} lacks {file}").format(kit=kit_dir, file=item.filename),
                hint=_("Copy the whole kit directory again, or make the kit again with {command}.").format(
                    command=commands.show(commands.KIT)
                ),
            )
        if item.size is not None and path.stat().st_size != item.size:
            raise _damaged_kit_file(item)  # no need to hash it to know
        paths[artefact_id] = path
    digests = sha256_files(paths.values())
    for artefact_id, path in paths.items():
        item = plan.artefacts[artefact_id]
        if digests[path] != item.sha256:
            raise _damaged_kit_file(item)
        plan.artefacts[artefact_id] = replace(item, source="kit", path=str(path.resolve()))


def _damaged_kit_file(item: PlannedArtefact) -> KitError:
    return KitError(
        _("the kit's {file} is damaged or was edited: its checksum differs from the kit's manifest").format(
            file=item.filename
        ),
        hint=_("Copy the kit again from its source, or make it again with {command}.").format(
            command=commands.show(commands.KIT)
        ),
    )


def _present(directory: Path, item: PlannedArtefact) -> int:
    """Bytes of ``item`` already on disk (complete or partial download)."""
    for candidate in (directory / item.filename, directory / (item.filename + ".part")):
        if candidate.is_file():
            return candidate.stat().st_size
    return 0


def check_disk_space(plan: InstallPlan, directory: Path) -> None:
    """Refuse before downloading when the disk cannot hold the files still missing."""
    missing = 0
    for item in plan.artefacts.values():
        if item.path is None and item.source == "index":
            missing += max(0, (item.size or 0) - _present(directory, item))
    if not missing:
        return
    directory.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(directory).free
    if free < missing + DISK_MARGIN:
        raise PreflightError(
            _(
                "not enough free disk space: the downloads need {need} MiB in {path}, {free} MiB are free"
            ).format(
                need=(missing + DISK_MARGIN) // (1024 * 1024), path=directory, free=free // (1024 * 1024)
            ),
            hint=_(
                "Free some space, or point UNLOCKER_CACHE_DIR at a bigger disk, then run the same command again."
            ),
        )


def download(
    plan: InstallPlan, artefact_id: str, directory: Path, progress: Progress | None
) -> PlannedArtefact:
    item = plan.artefacts[artefact_id]
    if not item.sha256:
        raise InstallError(
            _("{file}: no checksum is known, so it cannot be downloaded safely").format(file=item.filename),
            hint=_("Pass a copy you trust with {option}.").format(option=f"--file {artefact_id}=PATH"),
        )
    from unlocker.download.fetch import Artifact, fetch  # requests: only when something is downloaded

    if progress is not None:
        progress.start(item.filename, item.size)
    try:
        path = fetch(
            Artifact(item.filename, item.sha256, item.urls, item.size),
            directory,
            progress=(lambda done, total: progress.update(done, total)) if progress is not None else None,
        )
    finally:
        if progress is not None:
            progress.done()
    new = replace(item, path=str(path))
    plan.artefacts[artefact_id] = new
    return new


def verify_at_hand(plan: InstallPlan, ids: Iterable[str]) -> None:
    """Check again that every file named is still where it was and still has its checksum (resume)."""
    paths: dict[str, Path] = {}
    for artefact_id in ids:
        item = plan.artefacts[artefact_id]
        path = Path(item.path) if item.path else None
        if path is None or not path.is_file():
            raise InstallError(
                _("{file} is no longer at {path}").format(file=item.filename, path=item.path or "?"),
                hint=_("Give it again with {option} (or {kit}), then resume.").format(
                    option=f"--file {artefact_id}=PATH", kit="--kit DIR"
                ),
            )
        if item.sha256:
            paths[artefact_id] = path
    digests = sha256_files(paths.values())
    for artefact_id, path in paths.items():
        if digests[path] != plan.artefacts[artefact_id].sha256:
            raise ChecksumMismatch(
                _("{path} changed since the install started: its sha256 no longer matches").format(path=path),
                hint=_("Give a good copy with {option}, then resume.").format(
                    option=f"--file {artefact_id}=PATH"
                ),
            )


def zip_devices(path: Path) -> list[str] | None:
    """The devices an OTA zip declares it is for (``pre-device``), None when it does not say."""
    try:
        with zipfile.ZipFile(path) as z:
            try:
                text = z.read("META-INF/com/android/metadata").decode("utf-8", "replace")
            except KeyError:
                return None
    except (zipfile.BadZipFile, OSError) as e:
        raise InstallError(
            _("{file} is not a readable zip ({problem})").format(file=path.name, problem=e),
            hint=_("A ROM is installed from its zip; check that the right file was given."),
        ) from e
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "pre-device":
            return [d.strip() for d in re.split(r"[,|]", value) if d.strip()]
    return None


def check_rom_zip(plan: InstallPlan, artefact_id: str = "rom_zip") -> None:
    item = plan.artefacts.get(artefact_id)
    if item is not None and item.path is not None:
        check_zip_device(plan, Path(item.path))


def check_zip_device(plan: InstallPlan, path: Path) -> None:
    """Refuse a ROM zip that says it is for another device."""
    devices = zip_devices(path)
    if devices is None:
        return
    if not any(plan.names_phone(d) for d in devices):
        raise WrongPhone(
            _("{file} is for {devices}, not for {codename}; refused").format(
                file=path.name, devices=", ".join(devices), codename=plan.codename
            ),
            hint=_(
                "Installing another phone's ROM would leave this one unable to start; use the build for {codename}."
            ).format(codename=plan.codename),
        )
