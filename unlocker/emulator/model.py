"""Compatibility: the emulator's public names now live in :mod:`unlocker.emulator` itself.

``from unlocker.emulator import VirtualPhone`` is the way to import them; this module only
re-exports them for older imports.
"""

from unlocker.emulator import (
    DEFAULT_PROFILE,
    PROFILES,
    Disconnect,
    Fault,
    Profile,
    Session,
    VirtualPhone,
    parse_fault,
)

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "Disconnect",
    "Fault",
    "Profile",
    "Session",
    "VirtualPhone",
    "parse_fault",
]
