"""The install's recovery side spoken with unlocker's own adb (``unlocker.adb``): the RecoveryLink
the runner uses for the recovery, its sideload mode and the last install's verdict."""

from __future__ import annotations

from pathlib import Path

from unlocker.adb.client import AdbClient
from unlocker.adb.sideload import DONE, sideload_host
from unlocker.device.adb_facts import read_adb_facts
from unlocker.device.connect import connect_adb, sideload_timeout
from unlocker.install.link import Seen, SideloadProgress


class AdbRecovery:
    """One adb connection to the phone (recovery, sideload mode or Android)."""

    def __init__(self, client: AdbClient) -> None:
        self.client = client
        self.name = client.name

    def identity(self) -> Seen:
        return Seen.of(read_adb_facts(self.client))

    def sideload(self, path: Path, progress: SideloadProgress | None) -> str:
        """Serve the package until the recovery has it; "done", or "unknown" when it went away
        without a word after taking every block (the runner then asks the recovery)."""
        size = path.stat().st_size
        sent = 0

        def on_block(nbytes: int) -> None:
            nonlocal sent
            sent += nbytes
            if progress is not None:
                progress(sent, size)

        result = sideload_host(self.client, path, wait=sideload_timeout(), progress=on_block)
        return "done" if result.outcome == DONE else "unknown"

    def reboot(self, target: str) -> None:
        self.client.reboot(target)

    def close(self) -> None:
        self.client.close()


def connect_recovery(name: str | None) -> AdbRecovery:
    """Connect now (no waiting: the runner polls). The phone asks its owner to allow this computer
    the first time; the key is unlocker's own, or ~/.android/adbkey when there is one."""
    return AdbRecovery(connect_adb(name, send_public_key=True))
