"""The virtual phone: a fastboot device that speaks the real wire protocol.

Used by ``unlocker emulate`` (practice the whole flow without a phone) and by every test::

    from unlocker.emulator import EmulatorServer, VirtualPhone

    with EmulatorServer(VirtualPhone(tmp_dir, "xiaomi-qcom")) as server:
        ...  # talk to server.name ("tcp:127.0.0.1:PORT")

``phone`` holds the phone's state and storage; ``session`` answers commands on one connection
(``Session(phone)``; the dependency is one-way, the phone never imports sessions); ``profiles``
and ``faults`` describe what kind of phone it is and what goes wrong. ``recovery`` is its
recovery (modes, the owner's choices, what it installed), ``adb_device`` its adbd and minadbd
(``AdbDeviceSession(phone)``), ``installer`` what it does with a sideloaded package.
``tcp_server`` (fastboot on PORT, adb on PORT+1 through ``adb_server``), and the pyusb backend in
``usb_backend`` (import it explicitly: it needs pyusb), only carry bytes to and from a session.

Importing this package loads neither pyusb nor ``cryptography`` (unlock signatures are checked
with it lazily; adb signatures in pure Python). The emulator may use ``unlocker.sparse``,
``unlocker.errors`` and the protocols' shared parsers (``unlocker.fastboot.protocol``,
``unlocker.adb.message``, ``unlocker.adb.pubkey``, ``unlocker.adb.banner``), never the host side
(``unlocker.fastboot.client``, ``unlocker.adb.client``, ``unlocker.transport``,
``unlocker.device``, ``unlocker.cli``).
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
