"""One command at a time per phone: an advisory lock file keyed by the phone's name.

Two commands writing to one phone at once interleave their downloads and flashes (a partition
may end up holding neither image). Every command that opens a phone takes its lock first, in the
user runtime dir, and keeps it until it closes the phone; a second command is refused and told
which command holds the phone. The lock is the operating system's (``flock`` on POSIX,
``msvcrt.locking`` on Windows), so a crashed or killed command releases it with its process.
Within one process the lock is re-entrant: a flash that reconnects after a reboot keeps it.
"""

from __future__ import annotations

import contextlib
import re
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from unlocker import filelock, paths
from unlocker.errors import PhoneBusy
from unlocker.i18n import _

_held: dict[str, tuple[int, IO[bytes]]] = {}  # lock path -> (references, open file)
_guard = threading.Lock()


def lock_path(name: str) -> Path:
    """The lock file of the phone called ``name`` (readable, but safe for any file system).

    The checksum tells apart names that read the same once made safe (``a:b``, ``a_b``). CRC-32
    suffices for that (names differing in up to four neighbouring bytes always differ in it) and,
    unlike hashlib, costs no start-up time.
    """
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:48]
    checksum = zlib.crc32(name.encode("utf-8", errors="replace"))
    return paths.runtime_dir() / "locks" / f"{readable}-{checksum:08x}.lock"


def acquire(name: str) -> None:
    """Take the phone's lock (again, within this process); PhoneBusy when another process has it."""
    path = lock_path(name)
    with _guard:
        if path.name in _held:
            count, f = _held[path.name]
            _held[path.name] = (count + 1, f)
            return
        f = filelock.open_locked(path, lambda holder: _busy(name, holder))
        _held[path.name] = (1, f)


def release(name: str) -> None:
    path = lock_path(name)
    with _guard:
        if path.name not in _held:
            return
        count, f = _held.pop(path.name)
        if count > 1:
            _held[path.name] = (count - 1, f)
            return
        filelock.release(f)


def _busy(name: str, holder: dict[str, object]) -> PhoneBusy:
    return PhoneBusy(
        _("{phone} is in use by another unlocker command: {command} (process {pid}, since {since})").format(
            phone=name,
            command=holder.get("command", "?"),
            pid=holder.get("pid", "?"),
            since=holder.get("since", "?"),
        ),
        hint=_("Wait for it to finish (or stop it), then run this command again."),
    )


@contextlib.contextmanager
def holding(name: str) -> Iterator[None]:
    acquire(name)
    try:
        yield
    finally:
        release(name)
