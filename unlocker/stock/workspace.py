"""Room on this computer for unpacked images: a private folder in the user cache, checked for
free space before anything is written there, removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unlocker import paths
from unlocker.errors import DiskSpaceError
from unlocker.i18n import _

# Room kept free besides what is unpacked: a full disk breaks more than this command.
RESERVE = 256 * 1024 * 1024
# Folders left by an interrupted run are removed after this long.
STALE_SECONDS = 24 * 3600


def _gib(n: int) -> str:
    return f"{n / (1024**3):.2f} GiB"


def require_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if needed + RESERVE > free:
        raise DiskSpaceError(
            _("unpacking needs {needed} in {directory}, but only {free} is free").format(
                needed=_gib(needed + RESERVE), directory=directory, free=_gib(free)
            ),
            hint=_(
                "Free some space there, or point UNLOCKER_CACHE_DIR at a disk with room. Nothing was written."
            ),
        )


def write_failed(path: Path, error: OSError) -> DiskSpaceError:
    """An OSError while writing unpacked data, as a message a person can act on."""
    return DiskSpaceError(
        _("cannot write {path}: {reason}").format(path=path, reason=error.strerror or error),
        hint=_(
            "Check the free space and permissions there (UNLOCKER_CACHE_DIR moves the cache). Nothing was flashed."
        ),
    )


def _remove_stale(parent: Path) -> None:
    now = time.time()
    for old in parent.glob("unpack-*"):
        try:
            if now - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


@contextmanager
def workspace(needed: int, directory: Path | None = None) -> Iterator[Path]:
    """A new private folder with room for ``needed`` bytes; deleted with everything in it at the end."""
    parent = directory or paths.cache_dir() / "stock"
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(parent)
    require_space(parent, needed)
    folder = Path(tempfile.mkdtemp(prefix="unpack-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
