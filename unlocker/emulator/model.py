"""The public face of the emulator model: import VirtualPhone, Session and faults from here."""

from unlocker.emulator.faults import Disconnect, Fault, parse_fault
from unlocker.emulator.phone import VirtualPhone
from unlocker.emulator.profiles import DEFAULT_PROFILE, PROFILES, Profile
from unlocker.emulator.session import Session

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
