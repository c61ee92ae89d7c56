"""Xiaomi fastboot ROMs (.tgz): what the package holds, which script to follow, its anti-rollback index.

Layout (public packages, e.g. ``alioth_global_images_V14.0.3.0.TKHMIXM_20230620.0000.00_13.0_global_<hex>.tgz``):
one top folder holding ``flash_all.sh`` (wipes data), ``flash_all_except_storage.sh`` (keeps
it; ``flash_all_except_data_storage.sh`` in older ROMs), ``flash_all_lock.sh`` (relocks: never
used here), their ``.bat`` twins, ``misc.txt`` and ``images/`` with the partition images, the
CRC lists and, on newer ROMs, ``anti_version.txt`` and ``platform_security_patch.txt``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unlocker import commands
from unlocker.errors import ImageError, PackageError, UsageError
from unlocker.i18n import _
from unlocker.sparse.format import is_sparse, parse_header
from unlocker.stock import archive
from unlocker.stock.flash_script import ANTI_VERSION_FILE, SPL_FILE, FlashScript, parse_script

WIPE_SCRIPT = "flash_all.sh"
KEEP_DATA_SCRIPTS = ("flash_all_except_storage.sh", "flash_all_except_data_storage.sh")
_TEXTS = {"misc.txt", ANTI_VERSION_FILE, SPL_FILE, "images/crclist.txt", "images/sparsecrclist.txt"}
_VERSION = re.compile(r"_images_([^_]+)_")


def _is_script(name: str) -> bool:
    return "/" not in name and name.startswith("flash_all") and name.endswith((".sh", ".bat"))


@dataclass
class XiaomiRom:
    index: archive.ArchiveIndex

    @property
    def path(self) -> Path:
        return self.index.path

    @property
    def scripts(self) -> list[str]:
        return sorted(n for n in self.index.members if _is_script(n))

    @property
    def images(self) -> dict[str, archive.Member]:
        return {n: m for n, m in self.index.members.items() if n.startswith("images/")}

    @property
    def version(self) -> str | None:
        for name in (self.index.root, self.path.name):
            m = _VERSION.search(name)
            if m:
                return m.group(1)
        return self.misc.get("build_number") or None

    @property
    def misc(self) -> dict[str, str]:
        result = {}
        for line in self.index.texts.get("misc.txt", "").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                result[key.strip()] = value.strip()
        return result

    def script(self, name: str) -> FlashScript:
        text = self.index.texts.get(name)
        if text is None:
            raise PackageError(_("{file} has no {script}").format(file=self.path.name, script=name))
        return parse_script(name, text)

    def choose_script(self, *, keep_data: bool) -> FlashScript:
        """flash_all.sh, or the except-storage variant with --keep-data; never the _lock one."""
        names = KEEP_DATA_SCRIPTS if keep_data else (WIPE_SCRIPT,)
        for name in names:
            if name in self.index.texts:
                return self.script(name)
        if any(n.endswith(".bat") for n in self.scripts) and not any(n.endswith(".sh") for n in self.scripts):
            raise PackageError(
                _("{file} has only Windows .bat flash scripts; unlocker reads the .sh ones").format(
                    file=self.path.name
                ),
                hint=_("Use the same firmware's package for Linux/macOS (it holds both kinds)."),
            )
        if keep_data:
            raise UsageError(
                _("{file} has no script that keeps your data (flash_all_except_storage.sh)").format(
                    file=self.path.name
                ),
                hint=_("Run without --keep-data to flash everything (this erases the phone)."),
            )
        raise PackageError(_("{file} has no flash_all.sh").format(file=self.path.name))

    def package_anti(self, script: FlashScript) -> int:
        """The package's anti-rollback index (CURRENT_ANTI_VER), as Xiaomi's script computes it:
        a number in the script, or images/anti_version.txt; empty or missing means 0."""
        if script.anti_checked and script.anti_literal is not None:
            return script.anti_literal
        text = self.index.texts.get(script.anti_file or ANTI_VERSION_FILE, "").strip()
        if not text:
            return 0
        if not text.isdigit():
            raise PackageError(
                _("{file}: the anti-rollback version '{value}' is not a number").format(
                    file=self.path.name, value=text[:20]
                ),
                hint=_("The package is damaged: download it again."),
            )
        return int(text)

    def anti_stated(self, script: FlashScript) -> bool:
        """Whether the package states its index at all (in the script, or a non-empty file)."""
        if script.anti_checked and script.anti_literal is not None:
            return True
        return bool(self.index.texts.get(script.anti_file or ANTI_VERSION_FILE, "").strip())

    def image_size(self, name: str) -> tuple[int, bool, int]:
        """(file size, sparse, size once written) of a package file, from its header."""
        member = self.index.members[name]
        if is_sparse(member.head):
            try:
                header = parse_header(member.head)
            except ImageError as e:
                raise PackageError(
                    _("{file}: {entry} is a damaged sparse image").format(file=self.path.name, entry=name),
                    hint=_("Download the package again."),
                ) from e
            return member.size, True, header.expanded_size
        return member.size, False, member.size


def looks_like_rom(index: archive.ArchiveIndex) -> bool:
    return any(_is_script(n) for n in index.members) and any(n.startswith("images/") for n in index.members)


def read_rom(path: Path, *, progress: Callable[[int], None] | None = None) -> XiaomiRom:
    """Read the whole archive once (entries, scripts, small files, image headers); refuses hostile
    or damaged archives and anything that is not a Xiaomi fastboot ROM."""
    index = archive.scan(
        path,
        keep_text=lambda n: _is_script(n) or n in _TEXTS,
        keep_head=lambda n: n.startswith("images/"),
        progress=progress,
    )
    if not looks_like_rom(index):
        raise PackageError(
            _("{file} is not a Xiaomi fastboot ROM (no flash_all script and images/ folder)").format(
                file=path.name
            ),
            hint=_("{command} says what the file is.").format(
                command=commands.show(commands.INSPECT, "FILE")
            ),
        )
    return XiaomiRom(index)
