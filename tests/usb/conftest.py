"""Fixtures for the USB tests: virtual phones on a fake pyusb bus, and on umockdev (Linux).

``usb_bench`` puts phones on a ``FakeUsbBackend`` and makes it the backend unlocker's USB code
uses, so ``find_usb_transport``, ``open_transport`` and in-process CLI calls all see them.
``umockdev_phone`` starts tests/usb/umockdev_phone.py and yields the environment a CLI
subprocess needs to see that phone through real libusb.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import unlocker.transport.usb as usb_transport
from unlocker.emulator.model import VirtualPhone
from unlocker.emulator.usb_backend import FakeUsbBackend
from unlocker.emulator.usb_device import UsbPhone
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.protocol import FASTBOOT_USB

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEBIAN_PYTHON = "/usr/bin/python3"


@dataclass
class UsbBench:
    backend: FakeUsbBackend
    tmp: Path
    clients: list[FastbootClient] = field(default_factory=list)

    def plug(
        self,
        profile: str = "xiaomi-qcom",
        *,
        port: int = 1,
        vendor_id: int = 0x18D1,
        replug_delay: float = 0.05,
        interface_class: tuple[int, int, int] | None = None,  # None: as the phone's mode says
        **phone_kwargs: object,
    ) -> UsbPhone:
        phone = VirtualPhone(self.tmp / f"phone-port{port}", profile, **phone_kwargs)  # type: ignore[arg-type]
        usb = UsbPhone(
            phone,
            vendor_id=vendor_id,
            port_numbers=(port,),
            address=port + 1,
            replug_delay=replug_delay,
            interface_class=interface_class,
        )
        return self.backend.add(usb)

    def client(self, name: str | None = None, *, response_timeout: float = 2.0) -> FastbootClient:
        transport = usb_transport.find_usb_transport(name, interface=FASTBOOT_USB, backend=self.backend)
        transport.open()
        client = FastbootClient(transport, response_timeout=response_timeout, long_timeout=response_timeout)
        self.clients.append(client)
        return client


@pytest.fixture
def usb_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsbBench]:
    bench = UsbBench(FakeUsbBackend(), tmp_path)
    monkeypatch.setattr(usb_transport, "default_backend", lambda: bench.backend)
    yield bench
    for client in bench.clients:
        client.close()


# --- umockdev -----------------------------------------------------------------------------------


def umockdev_available() -> str | None:
    """None when the umockdev tier can run here, else the reason it cannot."""
    if shutil.which("umockdev-wrapper") is None:
        return "umockdev-wrapper not installed (Debian: umockdev)"
    if not os.path.exists(DEBIAN_PYTHON):
        return f"{DEBIAN_PYTHON} missing"
    probe = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import gi; gi.require_version('UMockdev', '1.0')"],
        capture_output=True,
        timeout=30,
    )
    if probe.returncode != 0:
        return "python3-gi with gir1.2-umockdev-1.0 not usable by /usr/bin/python3"
    return None


@dataclass
class UmockdevPhone:
    process: subprocess.Popen[str]
    state_dir: Path
    umockdev_dir: str
    events: queue.Queue[str]

    @property
    def env(self) -> dict[str, str]:
        """Add to a subprocess's environment so its libusb sees the emulated phone."""
        return {"LD_PRELOAD": "libumockdev-preload.so.0", "UMOCKDEV_DIR": self.umockdev_dir}

    def partition(self, name: str) -> Path:
        return self.state_dir / "partitions" / f"{name}.img"

    def wait_for(self, prefix: str, timeout: float = 10.0) -> str:
        """The next event line starting with ``prefix`` (UNPLUGGED, PLUGGED, STATS)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"umockdev phone: no {prefix!r} event within {timeout} s")
            try:
                line = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line

    def stop(self) -> str:
        """Stop the helper; returns its STATS line."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.wait_for("STATS", timeout=5)


@pytest.fixture
def umockdev_phone_factory(tmp_path: Path) -> Iterator[Callable[..., UmockdevPhone]]:
    reason = umockdev_available()
    if reason:
        pytest.skip(reason)
    started: list[UmockdevPhone] = []

    def start(*args: str) -> UmockdevPhone:
        state_dir = tmp_path / f"usbphone{len(started)}"
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO)
        # The helper is Debian's python; keep the pytest interpreter's preload/site out of it.
        env.pop("PYTHONHOME", None)
        process = subprocess.Popen(
            [
                "umockdev-wrapper",
                DEBIAN_PYTHON,
                str(HERE / "umockdev_phone.py"),
                "--state-dir",
                str(state_dir),
                "--exit-on-stdin-eof",  # no orphaned helper if pytest is killed
                *args,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        events: queue.Queue[str] = queue.Queue()
        first = process.stdout.readline() if process.stdout else ""
        if not first.startswith("UMOCKDEV_DIR="):
            process.kill()
            raise AssertionError(f"umockdev phone did not start: {first!r}")

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                events.put(line.strip())

        threading.Thread(target=pump, daemon=True).start()
        phone = UmockdevPhone(process, state_dir, first.strip().partition("=")[2], events)
        phone.wait_for("PLUGGED")
        started.append(phone)
        return phone

    yield start
    for phone in started:
        if phone.process.poll() is None:
            phone.process.terminate()
            try:
                phone.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                phone.process.kill()
        shutil.rmtree(phone.umockdev_dir, ignore_errors=True)
