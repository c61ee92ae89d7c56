"""Where unlocker keeps things on this computer: the platform's user directories.

Environment overrides (UNLOCKER_CONFIG_DIR, UNLOCKER_CACHE_DIR, UNLOCKER_STATE_DIR, read through
:mod:`unlocker.settings`) exist so tests and portable installs can redirect them.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from unlocker import settings

_APP = "unlocker"


def _dir(variable: str, default: str) -> Path:
    override = settings.get(variable)
    path = Path(override) if override else Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Sessions and settings (account session files live here, mode 0600)."""
    return _dir("UNLOCKER_CONFIG_DIR", platformdirs.user_config_dir(_APP))


def cache_dir() -> Path:
    """Downloads and refreshed index data: safe to delete."""
    return _dir("UNLOCKER_CACHE_DIR", platformdirs.user_cache_dir(_APP))


def state_dir() -> Path:
    """Records that must survive: the Mi Unlock ledger, the virtual phone's default state."""
    return _dir("UNLOCKER_STATE_DIR", platformdirs.user_state_dir(_APP))


def runtime_dir() -> Path:
    """Short-lived files that must be shared by every unlocker process of this user (per-phone
    locks): the platform's user runtime dir, or the state dir where there is none."""
    import warnings

    try:
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR, platformdirs picks a /tmp folder and says so: not news for users.
            warnings.simplefilter("ignore")
            path = Path(platformdirs.user_runtime_dir(_APP))
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
    except OSError:
        path = state_dir() / "run"
        path.mkdir(parents=True, exist_ok=True)
        return path
