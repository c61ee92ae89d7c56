"""Advisory file locks that the operating system releases when a process ends, even by a crash
(``flock`` on POSIX, ``msvcrt.locking`` on Windows), each with a note of who holds it.

Used for one command per phone (:mod:`unlocker.device.lock`) and one download per file.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
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
        try:  # noqa: SIM105 - contextlib costs start-up time
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            pass
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


# How json.dumps (ensure_ascii, its default) writes the characters it does not keep as they are.
_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _json_string(text: str) -> str:
    """``json.dumps(text)``, byte for byte, without importing json (re, at every command's start).

    A command line may hold quotes, backslashes, control characters, any Unicode and, for
    arguments that were not valid UTF-8, lone surrogates: all are escaped, as json does."""
    out = []
    for char in text:
        code = ord(char)
        if char in _JSON_SHORT:
            out.append(_JSON_SHORT[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code > 0xFFFF:  # as a UTF-16 surrogate pair
            code -= 0x10000
            out.append(f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}")
        else:
            out.append(f"\\u{code:04x}")
    return '"' + "".join(out) + '"'


def write_note(f: IO[bytes]) -> None:
    """Say who holds the lock: process id, command line, since when (a JSON object)."""
    command = " ".join(["unlocker", *sys.argv[1:]]) if sys.argv else "unlocker"
    fields = [
        f'"pid": {os.getpid()}',
        f'"command": {_json_string(command)}',
        f'"since": {_json_string(_local_time_iso())}',
    ]
    note = "{" + ", ".join(fields) + "}"  # json.dumps(dict)'s layout
    f.seek(0)
    f.truncate()
    f.write(note.encode())
    f.flush()


def read_note(path: str | os.PathLike[str]) -> dict[str, object]:
    """The holder's note; empty when there is none or it cannot be read."""
    import json  # only when the lock is busy

    try:
        with open(path, encoding="utf-8") as f:
            data = json.loads(f.read() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def open_locked(
    path: str | os.PathLike[str], busy: Callable[[dict[str, object]], BaseException]
) -> IO[bytes]:
    """Open and lock ``path`` (created if needed), writing the note; raise ``busy(note)`` when held."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    f = open(path, "a+b")  # noqa: SIM115 - returned locked; release() closes it
    if not try_lock(f):
        f.close()
        raise busy(read_note(path))
    write_note(f)
    return f


def release(f: IO[bytes]) -> None:
    try:
        f.seek(0)
        f.truncate()
    except OSError:
        pass
    unlock(f)
    f.close()


# A class, not contextlib.contextmanager (contextlib costs start-up time); lower-case as the
# function it replaces, since callers write `with filelock.holding(...)`.
class holding:
    """``with holding(path, busy):`` the lock of :func:`open_locked`, released at the end."""

    def __init__(
        self, path: str | os.PathLike[str], busy: Callable[[dict[str, object]], BaseException]
    ) -> None:
        self._path = path
        self._busy = busy
        self._file: IO[bytes] | None = None

    def __enter__(self) -> None:
        self._file = open_locked(self._path, self._busy)

    def __exit__(self, *exc_info: object) -> None:
        f, self._file = self._file, None
        if f is not None:
            release(f)
