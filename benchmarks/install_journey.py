"""A whole install on the virtual phone: `unlocker install --kit` vs the same steps with Google's tools.

The phone (its own process, state on tmpfs) is a POCO F3 (`alioth`, A/B) with its bootloader
unlocked; its recovery enters sideload mode at once (`--auto-apply-from-adb`: the person's part)
and asks for no adb key (`--adb-no-auth`), the same for both clients. The install is LineageOS's
method for it: write boot, dtbo and vendor_boot (the recovery), reboot into the recovery, sideload
the ROM zip, reboot.

- ours: `unlocker install --kit KIT --yes` (the kit is made untimed; the timed run verifies every
  file's sha256, checks the phone, records the journal, waits for each mode and asks the recovery
  for its verdict);
- theirs: one shell script of `fastboot flash` x3, `fastboot reboot recovery`, `adb connect`,
  `adb wait-for-sideload`, `adb sideload`, `adb wait-for-recovery`, `adb reboot` (adb's server
  started untimed beforehand).

Timed: the whole command or script, best of N with the order alternating; between runs the phone
is back in its bootloader with its partitions and sideloaded copy removed (untimed). unlocker's
bytecode is compiled once beforehand (untimed, into the checkout's ``__pycache__`` directories,
which git ignores), as an installed unlocker has it (pip and distribution packages compile it):
with PYTHONDONTWRITEBYTECODE set, as on the project's machines, every run would otherwise compile
all of its modules again, which no installed copy does.
Usage: python benchmarks/install_journey.py [ZIP_MIB [ROUNDS]]   (default: 1024 3)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, make_image, table, unlocker_cmd  # noqa: E402
from benchmarks.sideload_throughput import GoogleAdb, make_rom_zip  # noqa: E402

IMAGES = {"boot": 64 * MiB, "dtbo": 8 * MiB, "vendor_boot": 64 * MiB}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def make_kit(kit: Path, rom_zip: Path, images: dict[str, Path]) -> None:
    """The kit `unlocker kit alioth lineageos` would make, from local files (no server needed)."""
    from unlocker.index import load_index
    from unlocker.index.model import Build, BuildFile
    from unlocker.install.kit import write_manifest
    from unlocker.install.plan import PlannedArtefact
    from unlocker.install.prepare import kit_methods, plan_from_index

    index = load_index()
    device, rom = index.devices["alioth"], index.roms["lineageos"]
    kit.mkdir()
    files = []
    for artefact, path in (("rom_zip", rom_zip), *images.items()):
        shutil.copy(path, kit / path.name)
        files.append(
            BuildFile(
                artefact, path.name, f"https://example.invalid/{path.name}", path.stat().st_size, sha256(path)
            )
        )
    build = Build("lineageos", "alioth", "23.2", "2026-11-20", "nightly", tuple(files), "benchmark")
    plan = plan_from_index(device, rom, build, index.methods, {})
    method, methods = kit_methods(device, index.methods)
    artefacts = [PlannedArtefact(a.id, a.filename, a.size, a.sha256, a.urls) for a in plan.artefacts.values()]
    write_manifest(
        kit, device=device, rom=rom, build=build, method=method, methods=methods, artefacts=artefacts
    )


class Phone:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.proc = subprocess.Popen(
            unlocker_cmd(
                "emulate",
                "--port",
                "0",
                "--state-dir",
                str(state),
                "--unlocked",
                "--adb-no-auth",
                "--auto-apply-from-adb",
            ),  # fmt: skip
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.fastboot = self.proc.stdout.readline().split()[1]
        self.adb = self.proc.stdout.readline().split()[1]

    def mode(self) -> str:
        return json.loads((self.state / "state.json").read_text())["mode"]

    def reset(self) -> None:
        deadline = time.monotonic() + 60
        while self.mode() != "bootloader":
            if time.monotonic() > deadline:
                raise RuntimeError("the virtual phone did not come back to its bootloader")
            time.sleep(0.05)
        for name in ("boot_a", "dtbo_a", "vendor_boot_a"):
            (self.state / "partitions" / f"{name}.img").unlink(missing_ok=True)
        (self.state / "sideloaded.zip").unlink(missing_ok=True)

    def check(self, images: dict[str, Path], rom_zip: Path) -> None:
        for name, path in images.items():
            if (self.state / "partitions" / f"{name}_a.img").stat().st_size != path.stat().st_size:
                raise RuntimeError(f"{name} was not written whole")
        if (self.state / "sideloaded.zip").stat().st_size != rom_zip.stat().st_size:
            raise RuntimeError("the phone did not keep the whole package")

    def restart(self) -> None:
        """After a hung run: power-cycle into the bootloader (the state dir keeps the phone)."""
        self.close()
        state = json.loads((self.state / "state.json").read_text())
        state["mode"] = "bootloader"
        (self.state / "state.json").write_text(json.dumps(state))
        self.__init__(self.state)  # type: ignore[misc]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def google_script(phone: Phone, adb: GoogleAdb, images: dict[str, Path], rom_zip: Path) -> str:
    fb = f"fastboot -s {phone.fastboot}"
    serial = phone.adb.removeprefix("tcp:")
    a = f"adb -P {adb.port} -s {serial}"
    lines = ["set -e", f"adb -P {adb.port} disconnect {serial} >/dev/null 2>&1 || true"]  # no stale link
    lines += [f"{fb} flash {name} {path}" for name, path in images.items()]
    lines += [
        f"{fb} reboot recovery",
        f"adb -P {adb.port} connect {serial} >/dev/null",
        f"{a} wait-for-sideload",
        f"{a} sideload {rom_zip}",
        f"adb -P {adb.port} disconnect {serial} >/dev/null; adb -P {adb.port} connect {serial} >/dev/null",
        f"{a} wait-for-recovery",
        f"{a} reboot",
    ]
    return "\n".join(lines) + "\n"


def timed(cmd: list[str], env: dict[str, str]) -> float | None:
    """Seconds, or None when the command hung (Google's adb server can keep a dead link: the
    round is then run again after a restart of the server)."""
    start = time.perf_counter()
    try:
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=300
        )
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def main() -> None:
    size = int(sys.argv[1]) * MiB if len(sys.argv) > 1 else 1024 * MiB
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        images = {name: work / f"{name}.img" for name in IMAGES}
        for name, path in images.items():
            make_image(path, IMAGES[name])
        rom_zip = work / "lineage-23.2-20261120-nightly-alioth-signed.zip"
        make_rom_zip(rom_zip, size)
        kit = work / "kit"
        make_kit(kit, rom_zip, images)
        state = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() else work / "phone"
        (work / "home").mkdir()
        adb = GoogleAdb(work / "home")
        phone = Phone(state)
        script = work / "google.sh"
        env = {**os.environ, "UNLOCKER_CONFIG_DIR": str(work / "config"), "HOME": str(work / "home")}
        package = Path(__file__).resolve().parent.parent / "unlocker"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
        best = {"ours": float("inf"), "theirs": float("inf")}
        hangs = {"ours": 0, "theirs": 0}
        try:
            for round_ in range(rounds):
                order = ("ours", "theirs") if round_ % 2 == 0 else ("theirs", "ours")
                for who in order:
                    for _attempt in range(3):
                        phone.reset()
                        if who == "ours":
                            run_env = {**env, "UNLOCKER_STATE_DIR": tempfile.mkdtemp(dir=work)}
                            cmd = unlocker_cmd(
                                "install", "--kit", str(kit), "-s", phone.fastboot, "--yes", "--no-progress"
                            )
                        else:  # written each time: a restarted phone listens on new ports
                            script.write_text(google_script(phone, adb, images, rom_zip))
                            run_env, cmd = env, ["sh", str(script)]
                        seconds = timed(cmd, run_env)
                        if seconds is not None:
                            break
                        hangs[who] += 1
                        adb("kill-server")
                        adb("start-server")
                        phone.restart()
                    else:
                        raise RuntimeError(f"{who}: hung three times in a row")
                    best[who] = min(best[who], seconds)
                    phone.check(images, rom_zip)
        finally:
            adb.close()
            phone.close()
            shutil.rmtree(state, ignore_errors=True)
    total = size + sum(IMAGES.values())
    print(
        f"whole install on the virtual phone: boot+dtbo+vendor_boot ({sum(IMAGES.values()) // MiB} MiB) "
        f"and a {size // MiB} MiB ROM zip, loopback TCP, best of {rounds} (whole command / script)"
    )
    table(
        [
            ("client", "seconds", "MB/s overall"),
            ("unlocker install --kit", f"{best['ours']:.2f}", f"{total / best['ours'] / 1e6:.0f}"),
            ("fastboot + adb script", f"{best['theirs']:.2f}", f"{total / best['theirs'] / 1e6:.0f}"),
            ("ratio (theirs/ours time)", f"{best['theirs'] / best['ours']:.2f}", ""),
        ]
    )
    if any(hangs.values()):
        print(f"runs that hung and were repeated: unlocker {hangs['ours']}, fastboot + adb {hangs['theirs']}")


if __name__ == "__main__":
    main()
