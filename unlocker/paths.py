"""Where unlocker keeps things on this computer: the platform's user directories.

Environment overrides (UNLOCKER_CONFIG_DIR, UNLOCKER_CACHE_DIR, UNLOCKER_STATE_DIR, read through
:mod:`unlocker.settings`) exist so tests and portable installs can redirect them.

On Linux and the BSDs the folders are the XDG base directories, computed here as
``platformdirs`` computes them (``tests/test_paths.py`` compares the two): importing platformdirs
costs more start-up time (tempfile, random, shutil, pathlib) than ``unlocker status`` spends on
everything else, and every command that opens a phone needs the runtime dir for its lock. Other
platforms ask platformdirs. The functions return Path objects; :func:`runtime_dir_str` gives the
lock its folder without importing pathlib.
"""

from __future__ import annotations

import os
import posixpath
import stat
import sys

from unlocker import settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

_APP = "unlocker"

# XDG variable, and the folder below the home directory when it is unset or not absolute.
_XDG = {
    "config": ("XDG_CONFIG_HOME", "~/.config"),
    "cache": ("XDG_CACHE_HOME", "~/.cache"),
    "state": ("XDG_STATE_HOME", "~/.local/state"),
}


def _uses_xdg() -> bool:
    """Whether platformdirs would use its Unix (XDG) rules here: not Windows, macOS, iOS, Android."""
    if sys.platform in ("win32", "darwin", "ios") or hasattr(sys, "getandroidapilevel"):
        return False
    # platformdirs' own test for a Python app on Android, whose folders it asks Android for.
    android = os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT") == "/system"
    return not (android and not os.environ.get("SHELL") and not os.environ.get("PREFIX"))


def _home() -> str | None:
    """The home directory as platformdirs finds it: HOME when absolute, else the password entry."""
    home = os.environ.get("HOME")
    if home is None:
        home = os.path.expanduser("~")
    elif not posixpath.isabs(home):
        try:
            import pwd

            home = pwd.getpwuid(os.getuid()).pw_dir
        except (ImportError, KeyError):
            return None
    return home if posixpath.isabs(home) else None


def _platform_dir(kind: str) -> str:
    """The user ``kind`` dir ("config", "cache", "state") of unlocker, without creating it."""
    if _uses_xdg():
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "")
        if posixpath.isabs(base):
            return os.path.join(base, _APP)
        home = _home()
        if home is not None:
            return home.rstrip("/") + default[1:] + "/" + _APP
    # Another platform, or no home to be found (platformdirs then explains why).
    import platformdirs

    return str(getattr(platformdirs, f"user_{kind}_dir")(_APP))


def _dir(variable: str, kind: str) -> str:
    path = settings.get(variable) or _platform_dir(kind)
    os.makedirs(path, exist_ok=True)
    return path


def _path(path: str) -> Path:
    from pathlib import Path

    return Path(path)


def config_dir() -> Path:
    """Sessions and settings (account session files live here, mode 0600)."""
    return _path(_dir("UNLOCKER_CONFIG_DIR", "config"))


def cache_dir() -> Path:
    """Downloads and refreshed index data: safe to delete."""
    return _path(_dir("UNLOCKER_CACHE_DIR", "cache"))


def state_dir() -> Path:
    """Records that must survive: the Mi Unlock ledger, the virtual phone's default state."""
    return _path(_dir("UNLOCKER_STATE_DIR", "state"))


def _private_to_us(path: str) -> bool:
    """Whether ``path`` is what the XDG spec promises of a runtime dir, so that no other local user
    can plant, swap or read our locks: a directory of this user with mode 0700, below folders of
    root or this user that are no links (platformdirs follows those; refusing is simpler and as
    safe) and that others cannot write to, or only as in /tmp, where the sticky bit keeps them
    from renaming what is not theirs."""
    uid = os.geteuid()
    try:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o777 != 0o700:
            return False
        parent = os.path.dirname(os.path.normpath(path))
        while True:
            info = os.lstat(parent)
            shared = info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX
            if stat.S_ISLNK(info.st_mode) or info.st_uid not in (0, uid) or shared:
                return False
            if parent == os.path.dirname(parent):
                return True
            parent = os.path.dirname(parent)
    except OSError:
        return False


def _default_runtime_dir() -> str:
    """Where the system makes the user's runtime dir when XDG_RUNTIME_DIR does not say (platformdirs' default)."""
    if sys.platform.startswith("openbsd"):
        return f"/tmp/run/user/{os.geteuid()}"  # below /tmp: _private_to_us refuses it
    if sys.platform.startswith(("freebsd", "netbsd")):
        return f"/var/run/user/{os.geteuid()}"
    return f"/run/user/{os.geteuid()}"


def runtime_dir_str() -> str:
    """:func:`runtime_dir` as a str, for the per-phone lock that every command opening a phone takes."""
    candidate = None
    if _uses_xdg():
        # XDG_RUNTIME_DIR, or the system's usual place for it, when it is private to this user.
        # Else the state dir: platformdirs would fall back to a folder in /tmp, which another
        # local user could have created first.
        for base in (os.environ.get("XDG_RUNTIME_DIR", ""), _default_runtime_dir()):
            if posixpath.isabs(base) and _private_to_us(base):
                candidate = os.path.join(base, _APP)
                break
    else:
        import warnings

        import platformdirs

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs' notes on its fallbacks: not news for users
            candidate = str(platformdirs.user_runtime_dir(_APP))
    if candidate is not None:
        try:
            os.makedirs(candidate, mode=0o700, exist_ok=True)
            return candidate
        except OSError:
            pass
    path = os.path.join(_dir("UNLOCKER_STATE_DIR", "state"), "run")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def runtime_dir() -> Path:
    """Short-lived files that must be shared by every unlocker process of this user (per-phone
    locks): the user runtime dir (XDG_RUNTIME_DIR on Linux), or the state dir where there is none."""
    return _path(runtime_dir_str())
