"""Sideload to the virtual recovery over loopback TCP: `unlocker sideload` vs Google's `adb sideload`.

Both clients send the same zip to the same virtual phone (its own process, state on tmpfs), the
recovery asking for blocks as a real one does (end of file, central directory, every block, the
entries again: about 1.0x the file plus a few blocks). Timed: the whole client command, paired
alternating rounds (ratio = our time / adb's time, per pair); between runs the phone is put back
into sideload mode (untimed; Google's adb server is reconnected then, since the phone's adb link
drops with the mode change). Also the peak RSS of each client process alone (wait4's ru_maxrss),
for a small and the large zip: ours must not grow with the zip.

Usage: python benchmarks/sideload_throughput.py [--rounds N] [--size MIB]   (defaults: 10, 1024)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    MiB,
    Sample,
    machine,
    paired,
    paired_table,
    peak_rss_mib,
    rounds_arg,
    rss_floor_note,
    run,
    table,
    unlocker_cmd,
)

SMALL_MIB = 64


def make_rom_zip(path: Path, size: int) -> None:
    """A ROM-like zip: metadata, an updater, and ``size`` bytes of incompressible payload (stored)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("META-INF/com/android/metadata", "ota-type=BLOCK\npre-device=alioth\n")
        archive.writestr("META-INF/com/google/android/update-binary", b"#!/sbin/sh\n" * 100)
        with archive.open("system.new.dat.br", "w", force_zip64=size > 0xFFFF0000) as entry:
            left = size
            while left:
                piece = os.urandom(min(left, 4 * MiB))
                entry.write(piece)
                left -= len(piece)


class Phone:
    """`unlocker emulate` in its own process, in sideload mode whenever asked."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.proc = subprocess.Popen(
            unlocker_cmd("emulate", "--port", "0", "--state-dir", str(state), "--unlocked", "--adb-no-auth"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.fastboot = self.proc.stdout.readline().split()[1]
        self.adb = self.proc.stdout.readline().split()[1]
        subprocess.run(
            unlocker_cmd("reboot", "recovery", "-s", self.fastboot), check=True, capture_output=True
        )

    def mode(self) -> str:
        return json.loads((self.state / "state.json").read_text())["mode"]

    def to_sideload(self) -> None:
        deadline = time.monotonic() + 30
        while self.mode() != "recovery":  # the last sideload may still be finishing
            if time.monotonic() > deadline:
                raise RuntimeError("the virtual phone did not come back to its recovery")
            time.sleep(0.05)
        (self.state / "apply-from-adb").touch()  # the person chooses "Apply from ADB"
        while self.mode() != "sideload":
            if time.monotonic() > deadline:
                raise RuntimeError("the virtual phone did not enter sideload mode")
            time.sleep(0.05)
        (self.state / "sideloaded.zip").unlink(missing_ok=True)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


class GoogleAdb:
    """A private adb server (own port and HOME), killed at the end."""

    def __init__(self, home: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = str(s.getsockname()[1])
        self.env = {**os.environ, "HOME": str(home)}
        self("start-server")

    def __call__(self, *args: str) -> None:
        subprocess.run(
            ["adb", "-P", self.port, *args], check=True, capture_output=True, env=self.env, timeout=120
        )

    def command(self, *args: str) -> list[str]:
        return ["adb", "-P", self.port, *args]

    def reconnect(self, serial: str) -> None:
        subprocess.run(self.command("disconnect", serial), capture_output=True, env=self.env)
        self("connect", serial)
        self("-s", serial, "wait-for-sideload")

    def close(self) -> None:
        subprocess.run(self.command("kill-server"), capture_output=True, env=self.env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rounds_arg(parser, 10)
    parser.add_argument("--size", type=int, default=1024, help="MiB of the ROM zip (default 1024)")
    args = parser.parse_args()
    size = args.size * MiB
    machine(f"sideload of a {args.size} MiB zip to the virtual recovery: unlocker sideload vs adb sideload")
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        zips = {"small": work / "small.zip", "large": work / "rom.zip"}
        make_rom_zip(zips["small"], SMALL_MIB * MiB)
        make_rom_zip(zips["large"], size)
        # The phone's state (and the sideloaded copy) in RAM: disk writeback would decide otherwise.
        state = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() else work / "phone"
        (work / "home").mkdir()
        adb = GoogleAdb(work / "home")
        phone = Phone(state)
        serial = phone.adb.removeprefix("tcp:")
        env = {**os.environ, "UNLOCKER_CONFIG_DIR": str(work / "config")}
        clients = {
            "ours": lambda z: unlocker_cmd("sideload", str(z), "-s", phone.adb, "--yes", "--no-progress"),
            "theirs": lambda z: adb.command("-s", serial, "sideload", str(z)),
        }

        def ready(who: str) -> None:
            phone.to_sideload()
            if who == "theirs":
                adb.reconnect(serial)

        def once(who: str) -> Sample:
            ready(who)
            sample = run(clients[who](zips["large"]), adb.env if who == "theirs" else env)
            if (state / "sideloaded.zip").stat().st_size != zips["large"].stat().st_size:
                raise RuntimeError(f"{who}: the phone did not keep the whole package")
            return sample

        try:
            result = paired(f"{args.size} MiB zip", lambda: once("ours"), lambda: once("theirs"), args.rounds)
            rss: dict[tuple[str, str], float] = {}
            for zip_ in ("small", "large"):
                for who in ("ours", "theirs"):
                    ready(who)
                    rss[(who, zip_)] = peak_rss_mib(
                        clients[who](zips[zip_]), adb.env if who == "theirs" else env
                    )
        finally:
            adb.close()
            phone.close()
            shutil.rmtree(state, ignore_errors=True)
    mb_s = [
        size / statistics.median(s.seconds for s in samples) / 1e6 for samples in (result.ours, result.theirs)
    ]
    print(f"loopback TCP, whole command; median MB/s: unlocker {mb_s[0]:.0f}, adb {mb_s[1]:.0f}")
    paired_table([(result, "<= 1.0")])
    print()
    print(rss_floor_note() + "; for adb the client, not its server")
    table(
        [
            ("zip", "unlocker MiB", "adb MiB"),
            (f"{SMALL_MIB} MiB", f"{rss[('ours', 'small')]:.1f}", f"{rss[('theirs', 'small')]:.1f}"),
            (f"{args.size} MiB", f"{rss[('ours', 'large')]:.1f}", f"{rss[('theirs', 'large')]:.1f}"),
        ]
    )


if __name__ == "__main__":
    main()
