"""One command at a time per phone (issue 9, item 3): the second says who holds the phone, and a
crashed holder releases it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unlocker.device import lock as phone_lock
from unlocker.emulator.model import parse_fault
from unlocker.errors import PhoneBusy


def start_flash(phone, image: Path, cli_env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "unlocker", "flash", "boot", str(image), "--yes", "-s", phone.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    deadline = time.monotonic() + 30
    while not any(c.startswith("flash:") for c in list(phone.phone.commands_received)):
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr and proc.stderr.read()
        time.sleep(0.05)
    return proc


def test_second_command_is_refused_and_told_who_holds_the_phone(
    phone_factory, run_cli, cli_env, tmp_path: Path
) -> None:
    p = phone_factory(unlocked=True, faults=[parse_fault("stall:flash:boot_a")])
    image = tmp_path / "a.img"
    image.write_bytes(os.urandom(8192))
    other = tmp_path / "b.img"
    other.write_bytes(os.urandom(8192))
    first = start_flash(p, image, cli_env)
    try:
        r = run_cli("flash", "dtbo", str(other), "--yes", "-s", p.name)
        assert r.returncode == 1
        assert "in use by another unlocker command" in r.stderr
        assert f"unlocker flash boot {image}" in r.stderr and f"process {first.pid}" in r.stderr
        assert not p.phone.partition_path("dtbo_a").exists()
        assert run_cli("status", "-s", p.name).returncode == 1  # even a read-only command waits its turn
    finally:
        first.send_signal(signal.SIGKILL)  # a crash: the operating system releases the lock
        first.communicate(timeout=10)
    # the virtual phone notices the dropped connection, and the next command gets the phone
    deadline = time.monotonic() + 10
    while (r := run_cli("flash", "dtbo", str(other), "--yes", "-s", p.name)).returncode != 0:
        assert time.monotonic() < deadline, r.stderr
        time.sleep(0.2)
    assert p.partition("dtbo_a") == other.read_bytes()


def test_lock_is_reentrant_within_a_process_and_exclusive_across(
    cli_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both processes with the same user dirs: without a runtime dir (XDG_RUNTIME_DIR), the locks
    # are in the state dir, and the real one is no place for a test's.
    monkeypatch.setenv("UNLOCKER_STATE_DIR", cli_env["UNLOCKER_STATE_DIR"])
    name = f"tcp:127.0.0.1:{os.getpid()}-test"
    code = (
        "import sys\n"
        "from unlocker.device import lock\n"
        "from unlocker.errors import PhoneBusy\n"
        "try:\n"
        f"    lock.acquire({name!r})\n"
        "except PhoneBusy as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    with phone_lock.holding(name):
        with phone_lock.holding(name):  # the same process may take it again (reconnects)
            pass
        other = subprocess.run([sys.executable, "-c", code], env=cli_env, capture_output=True, text=True)
        assert other.returncode == 3 and "in use by another unlocker command" in other.stdout
    again = subprocess.run([sys.executable, "-c", code], env=cli_env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr


def test_busy_is_a_transport_error_so_listings_carry_on() -> None:
    from unlocker.errors import TransportError

    assert issubclass(PhoneBusy, TransportError)


@pytest.mark.parametrize("name", ["tcp:[::1]:5554", "usb:1-1.4", "ABC/../x", "séríal"])
def test_lock_file_names_are_safe(name: str) -> None:
    path = phone_lock.lock_path(name)
    assert path.parent.name == "locks" and "/" not in path.name and ".." not in path.name


@pytest.mark.parametrize(
    "name", ["tcp:[::1]:5554", "usb:1-1.4", "ABC/../x", "séríal", "a" * 60 + "é", "", "Ünïcode-ß_ok\x00\n"]
)
def test_lock_file_names_are_the_ones_earlier_versions_used(name: str) -> None:
    """Two versions of unlocker at once still take the same lock for a phone."""
    import re
    import zlib

    readable = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:48]
    checksum = zlib.crc32(name.encode("utf-8", errors="replace"))
    assert phone_lock.lock_path(name).name == f"{readable}-{checksum:08x}.lock"


def test_the_checksum_is_zlibs_crc32() -> None:
    import random
    import zlib

    rng = random.Random(15)
    for size in [*range(40), 255, 256, 1000]:
        data = rng.randbytes(size)
        assert phone_lock._crc32(data) == zlib.crc32(data), data


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tehran", "America/St_Johns", "Pacific/Kiritimati"])
def test_the_holders_note_says_since_when_in_local_time(zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The note's time reads as datetime's ISO form would (written without importing datetime)."""
    import datetime as dt
    import time

    from unlocker.filelock import _local_time_iso

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        for _attempt in range(3):  # the second may turn between the two readings
            expected = dt.datetime.now().astimezone().isoformat(timespec="seconds")
            if _local_time_iso() == expected:
                break
        else:
            raise AssertionError((_local_time_iso(), expected))
    finally:
        monkeypatch.undo()
        time.tzset()
