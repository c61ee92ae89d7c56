"""The virtual phone: a fastboot device that speaks the real wire protocol.

Used by ``unlocker emulate`` (practice the whole flow without a phone) and by every test::

    from unlocker.emulator import EmulatorServer, VirtualPhone

    with EmulatorServer(VirtualPhone(tmp_dir, "xiaomi-qcom")) as server:
        ...  # talk to server.name ("tcp:127.0.0.1:PORT")

``phone`` holds the phone's state and storage; ``session`` answers commands on one connection
(``Session(phone)``; the dependency is one-way, the phone never imports sessions); ``profiles``
and ``faults`` describe what kind of phone it is and what goes wrong. ``tcp_server``, and the
pyusb backend in ``usb_backend`` (import it explicitly: it needs pyusb), only carry bytes to and
from a session.

Importing this package loads neither pyusb nor ``cryptography`` (unlock signatures are checked
with it lazily). The emulator may use ``unlocker.sparse`` and ``unlocker.errors``, never the host
side (``unlocker.fastboot.client``, ``unlocker.transport``, ``unlocker.device``, ``unlocker.cli``).
"""

from unlocker.emulator.faults import Disconnect, Fault, parse_fault
from unlocker.emulator.phone import VirtualPhone
from unlocker.emulator.profiles import DEFAULT_PROFILE, PROFILES, Profile
from unlocker.emulator.session import Session
from unlocker.emulator.tcp_server import EmulatorServer, serve_tcp

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "Disconnect",
    "EmulatorServer",
    "Fault",
    "Profile",
    "Session",
    "VirtualPhone",
    "parse_fault",
    "serve_tcp",
]
