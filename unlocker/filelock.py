"""Advisory file locks that the operating system releases when a process ends, even by a crash
(``flock`` on POSIX, ``msvcrt.locking`` on Windows), each with a note of who holds it.

Used for one command per phone (:mod:`unlocker.device.lock`) and one download per file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

_WINDOWS_LOCK_OFFSET = 1 << 30  # lock a byte past the note, so others can still read the note


def try_lock(f: IO[bytes]) -> bool:
    """Lock ``f`` without waiting; False when another process holds it."""
    if os.name == "nt":
        import msvcrt

        f.seek(_WINDOWS_LOCK_OFFSET)
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def unlock(f: IO[bytes]) -> None:
    if os.name == "nt":
        import msvcrt

        f.seek(_WINDOWS_LOCK_OFFSET)
        with contextlib.suppress(OSError):
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
    else:
        import fcntl

        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _local_time_iso() -> str:
    """Now, as ``datetime.now().astimezone().isoformat(timespec="seconds")`` writes it; from the time
    module, since every command that opens a phone takes a lock and datetime costs start-up time."""
    now = time.localtime()
    offset = now.tm_gmtoff or 0
    sign = "-" if offset < 0 else "+"
    minutes, seconds = divmod(abs(offset), 60)
    zone = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}" + (f":{seconds:02d}" if seconds else "")
    return time.strftime("%Y-%m-%dT%H:%M:%S", now) + zone


def write_note(f: IO[bytes]) -> None:
    """Say who holds the lock: process id, command line, since when."""
    note = {
        "pid": os.getpid(),
        "command": " ".join(["unlocker", *sys.argv[1:]]) if sys.argv else "unlocker",
        "since": _local_time_iso(),
    }
    f.seek(0)
    f.truncate()
    f.write(json.dumps(note).encode())
    f.flush()


def read_note(path: Path) -> dict[str, object]:
    """The holder's note; empty when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def open_locked(path: Path, busy: Callable[[dict[str, object]], BaseException]) -> IO[bytes]:
    """Open and lock ``path`` (created if needed), writing the note; raise ``busy(note)`` when held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a+b")  # noqa: SIM115 - returned locked; release() closes it
    if not try_lock(f):
        f.close()
        raise busy(read_note(path))
    write_note(f)
    return f


def release(f: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        f.seek(0)
        f.truncate()
    unlock(f)
    f.close()


@contextlib.contextmanager
def holding(path: Path, busy: Callable[[dict[str, object]], BaseException]) -> Iterator[None]:
    f = open_locked(path, busy)
    try:
        yield
    finally:
        release(f)
