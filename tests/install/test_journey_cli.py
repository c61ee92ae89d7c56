"""The whole journey through the CLI only: a locked virtual Xiaomi phone is unlocked with Mi Unlock
against the fake unlock server, then LineageOS is installed from a loopback build server, and
again from an offline kit with no network at all. The recovery is the virtual phone's own, spoken
to with unlocker's adb."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.install.conftest import Published
from tests.xiaomi.fake_mi_server import PASSWORD, FakeMi
from unlocker.emulator import parse_fault
from unlocker.emulator.recovery import RecoveryOptions

FLASHED = {"boot_a": "boot", "dtbo_a": "dtbo", "vendor_boot_a": "vendor_boot"}
# The person's part in the recovery ("Apply from ADB") is played by the virtual phone itself.
PLAYS_ALONG = RecoveryOptions(auto_apply_from_adb=True)


@pytest.fixture
def mi() -> Iterator[FakeMi]:
    fake = FakeMi()
    yield fake
    fake.close()


@pytest.fixture
def home(tmp_path: Path, cli_env: dict[str, str], adb_key: Path) -> dict[str, str]:
    """A HOME of the test's own (never the user's ~/.android/adbkey); unlocker's adb key in place."""
    path = tmp_path / "home"
    path.mkdir()
    own = Path(cli_env["UNLOCKER_CONFIG_DIR"]) / "adbkey"
    shutil.copy(adb_key, own)
    own.chmod(0o600)
    return {"HOME": str(path), "UNLOCKER_INSTALL_TIMEOUT": "20", "UNLOCKER_RESPONSE_TIMEOUT": "10"}


def assert_installed(running, build: Published, *, unlocked_here: bool = False) -> None:
    for partition, image in FLASHED.items():
        assert running.partition(partition) == build.images[image].read_bytes(), partition
    sideloaded = running.state_dir / "sideloaded.zip"
    assert sideloaded.read_bytes() == build.rom_zip.read_bytes()
    sent = [c for c in running.phone.commands_received if "lock" in c.replace("unlocked", "")]
    # never `flashing lock` / `oem lock`; only the unlock itself when this test unlocked the phone
    assert sent == (["oem unlock"] if unlocked_here else []), sent


def test_unlock_then_install(mi: FakeMi, phone_factory, run_cli, alioth_build: Published, home) -> None:
    running = phone_factory(recovery=PLAYS_ALONG)  # locked, as it leaves the shop
    mi_env = {"UNLOCKER_MI_ACCOUNT_URL": mi.url, "UNLOCKER_MI_UNLOCK_URL": mi.url}
    import time as _t

    t0 = _t.monotonic()
    login = run_cli(
        "login", "--user", "owner@example.com", "--password-stdin", input=PASSWORD + "\n", env=mi_env
    )
    assert login.returncode == 0, login.stderr
    mi.mode = "approve"
    print("login", _t.monotonic() - t0)
    t0 = _t.monotonic()
    unlock = run_cli("unlock", "-s", running.name, "--yes", env=mi_env)
    print("unlock", _t.monotonic() - t0)
    t0 = _t.monotonic()
    assert unlock.returncode == 0, unlock.stderr
    assert running.phone.unlocked

    r = run_cli(
        "install", "lineageos", "-s", running.name, "--yes", "--no-progress", env={**alioth_build.env, **home}
    )
    print("install", _t.monotonic() - t0)
    t0 = _t.monotonic()
    assert r.returncode == 0, r.stdout + r.stderr
    for number in range(1, 16):
        assert f"Step {number}/15: " in r.stdout
    assert "the recovery reports lineage-23.2-20261120-nightly-alioth-signed.zip installed" in r.stdout
    assert "Done: LineageOS 23.2 is installed" in r.stdout
    assert_installed(running, alioth_build, unlocked_here=True)
    assert running.phone.mode == "bootloader"  # rebooted to the system (a virtual phone has none)

    status = json.loads(run_cli("install", "--status", "--json").stdout)["installs"][0]
    assert status["state"] == "finished" and {s["status"] for s in status["steps"]} == {"done"}


def test_offline_kit(phone_factory, run_cli, alioth_build: Published, home, tmp_path) -> None:
    kit = tmp_path / "usb-stick" / "alioth-kit"
    made = run_cli("kit", "alioth", "lineageos", "-o", str(kit), "--no-progress", env=alioth_build.env)
    assert made.returncode == 0, made.stderr
    assert "unlocker install --kit" in made.stdout
    alioth_build.server.close()  # the ROM's servers are out of reach from here on
    running = phone_factory(unlocked=True, recovery=PLAYS_ALONG)
    offline = {
        **home,
        "UNLOCKER_LINEAGE_API_URL": "http://127.0.0.1:9/api/v2",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }

    r = run_cli("install", "-s", running.name, "--kit", str(kit), "--yes", "--json", env=offline)
    assert r.returncode == 0, r.stdout + r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]  # JSON lines, one per event
    assert events[0]["event"] == "plan" and events[0]["codename"] == "alioth"
    steps = [e for e in events if e["event"] == "step"]
    assert [e["number"] for e in steps] == list(range(1, 16)) and {e["status"] for e in steps} == {"done"}
    sideload = steps[13]
    assert sideload["action"] == "sideload" and sideload["detail"]["outcome"] == "done"
    assert (
        sideload["detail"]["sha256"]
        == json.loads((kit / "manifest.json").read_text())["build"]["files"][0]["sha256"]
    )
    assert events[-1]["event"] == "finished"
    assert "Step 14/15" in r.stderr  # the words for people go to stderr with --json
    assert_installed(running, alioth_build, unlocked_here=False)


def test_killed_mid_flash_then_resume(phone_factory, run_cli, cli_env, alioth_build: Published, home) -> None:
    # The phone stops answering while dtbo.img is being sent; the process is killed (SIGKILL) there.
    running = phone_factory(unlocked=True, recovery=PLAYS_ALONG, faults=[parse_fault("stall:download#2")])
    env = {**cli_env, **alioth_build.env, **home, "UNLOCKER_RESPONSE_TIMEOUT": "60"}
    args = [
        sys.executable,
        "-m",
        "unlocker",
        "install",
        "lineageos",
        "-s",
        running.name,
        "--yes",
        "--no-progress",
    ]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while sum(c.startswith("download:") for c in running.phone.commands_received) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "the install never reached dtbo"
        time.sleep(0.05)
    process.kill()
    process.wait()

    r = run_cli("install", "--resume", "--yes", "--no-progress", env=home)  # -s: the journal's
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Resuming at step 7/15" in r.stdout and "Step 6/15" not in r.stdout
    assert_installed(running, alioth_build)
    flashed = [c for c in running.phone.commands_received if c.startswith("flash:")]
    assert flashed == ["flash:boot_a", "flash:dtbo_a", "flash:vendor_boot_a"]  # boot was not written again
