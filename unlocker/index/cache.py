"""Refreshed builds in the user cache: cache_dir()/index/builds/ROM/CODENAME.json.

Writes are atomic (temporary file in the same directory, fsync, os.replace): a failed or
interrupted refresh leaves the previous file exactly as it was. The shipped index is never
written to.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unlocker import paths
from unlocker.i18n import _
from unlocker.index.model import Build

FORMAT = 1


@dataclass(frozen=True)
class CachedBuilds:
    rom: str
    codename: str
    fetched_at: str
    source_url: str
    builds: tuple[Build, ...]


def cache_root() -> Path:
    return paths.cache_dir() / "index"


def cache_file(rom: str, codename: str) -> Path:
    return cache_root() / "builds" / rom / f"{codename}.json"


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step; on any failure the old file stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def store(entry: CachedBuilds) -> Path:
    record: dict[str, Any] = {
        "format": FORMAT,
        "rom": entry.rom,
        "codename": entry.codename,
        "fetched_at": entry.fetched_at,
        "source_url": entry.source_url,
        "builds": [b.to_record() for b in entry.builds],
    }
    path = cache_file(entry.rom, entry.codename)
    write_atomic(path, json.dumps(record, indent=1) + "\n")
    return path


class CacheUnreadable(Exception):
    """A cache file that cannot be read back; the message (for people) names the file."""


def load(rom: str, codename: str) -> CachedBuilds | None:
    """The cached builds, None when never refreshed; CacheUnreadable when the file is damaged."""
    path = cache_file(rom, codename)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        record = json.loads(text)
        found = record.get("format")
    except (ValueError, AttributeError) as e:
        raise CacheUnreadable(_("{path}: not a cache file ({problem})").format(path=path, problem=e)) from e
    if found != FORMAT:
        raise CacheUnreadable(_("{path}: unknown format {format}").format(path=path, format=repr(found)))
    try:
        builds = tuple(Build.from_json(rom, b) for b in record["builds"])
        return CachedBuilds(rom, codename, str(record["fetched_at"]), str(record["source_url"]), builds)
    except KeyError as e:
        raise CacheUnreadable(_("{path}: field {field} is missing").format(path=path, field=e)) from e
    except (ValueError, TypeError, AttributeError) as e:
        raise CacheUnreadable(_("{path}: damaged ({problem})").format(path=path, problem=e)) from e
