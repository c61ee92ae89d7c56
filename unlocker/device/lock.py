"""One command at a time per phone: an advisory lock file keyed by the phone's name.

Two commands writing to one phone at once interleave their downloads and flashes (a partition
may end up holding neither image). Every command that opens a phone takes its lock first, in the
user runtime dir, and keeps it until it closes the phone; a second command is refused and told
which command holds the phone. The lock is the operating system's (``flock`` on POSIX,
``msvcrt.locking`` on Windows), so a crashed or killed command releases it with its process.
Within one process the lock is re-entrant: a flash that reconnects after a reboot keeps it.
"""

from __future__ import annotations

# The low-level modules, not re, threading, contextlib or pathlib: every command that opens a
# phone takes this lock, and those cost start-up time (issue 15). _thread.allocate_lock is what
# threading.Lock is.
import _thread
import os

from unlocker import filelock, paths
from unlocker.errors import PhoneBusy
from unlocker.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO

_held: dict[str, tuple[int, IO[bytes]]] = {}  # lock file name -> (references, open file)
_guard = _thread.allocate_lock()
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _file_name(name: str) -> str:
    """The lock file's name for the phone called ``name`` (readable, but safe for any file system).

    The checksum tells apart names that read the same once made safe (``a:b``, ``a_b``). CRC-32
    suffices for that (names differing in up to four neighbouring bytes always differ in it).
    """
    readable = "".join(char if char in _SAFE else "_" for char in name[:48])
    checksum = _crc32(name.encode("utf-8", errors="replace"))
    return f"{readable}-{checksum:08x}.lock"


def _crc32(data: bytes) -> int:
    """``zlib.crc32(data)``, bit by bit: a phone's name is a few dozen bytes, and loading zlib (or
    hashlib) would cost every command that opens a phone more start-up time than this loop."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _bit in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _lock_file(key: str) -> str:
    """Where the lock file named ``key`` (:func:`_file_name`) lives."""
    return os.path.join(paths.runtime_dir_str(), "locks", key)


def lock_path(name: str) -> Path:
    """The lock file of the phone called ``name``."""
    from pathlib import Path

    return Path(_lock_file(_file_name(name)))


def acquire(name: str) -> None:
    """Take the phone's lock (again, within this process); PhoneBusy when another process has it."""
    key = _file_name(name)
    with _guard:
        if key in _held:
            count, f = _held[key]
            _held[key] = (count + 1, f)
            return
        f = filelock.open_locked(_lock_file(key), lambda holder: _busy(name, holder))
        _held[key] = (1, f)


def release(name: str) -> None:
    key = _file_name(name)
    with _guard:
        if key not in _held:
            return
        count, f = _held.pop(key)
        if count > 1:
            _held[key] = (count - 1, f)
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


class holding:  # lower-case: it was a contextmanager function of this name
    """``with holding(name):`` the phone's lock, from :func:`acquire` to :func:`release`."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __enter__(self) -> None:
        acquire(self._name)

    def __exit__(self, *exc_info: object) -> None:
        release(self._name)
