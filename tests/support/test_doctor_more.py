"""doctor's checks for Windows drivers, WSL and virtual machines, a running adb server, and
`--network` reachability (loopback fake hosts only)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from unlocker.support import host_checks, network
from unlocker.support.doctor import FAIL, OK, WARN


@dataclass
class FakeUsb:
    path: str
    usb_id: str
    problem: str | None


# --- Windows and WinUSB --------------------------------------------------------------------------


def test_windows_without_winusb_fails_with_the_fix() -> None:
    phones = [
        FakeUsb(
            "usb:1-4", "18d1:d00d", "unreadable (Operation not supported or unimplemented on this platform)"
        )
    ]
    check = host_checks.check_windows_driver("Windows", lambda: phones)
    assert check is not None and check.status == FAIL
    assert "usb:1-4 (18d1:d00d)" in check.detail
    assert "Zadig" in (check.fix or "") and "`unlocker explain winusb-not-supported`" in (check.fix or "")


def test_windows_with_winusb_or_without_phone_is_fine_and_other_systems_skip() -> None:
    fine = host_checks.check_windows_driver("Windows", lambda: [FakeUsb("usb:1-4", "2717:d00d", None)])
    assert fine is not None and fine.status == OK
    empty = host_checks.check_windows_driver("Windows", lambda: [])
    assert empty is not None and empty.status == OK and "no phone" in empty.detail
    assert host_checks.check_windows_driver("Linux", lambda: pytest.fail("scanned")) is None


# --- WSL and virtual machines --------------------------------------------------------------------


def test_wsl_is_detected_with_usbipd_hints(tmp_path: Path) -> None:
    version = tmp_path / "version"
    version.write_text("Linux version 5.15.153.1-microsoft-standard-WSL2 (root@...)")
    check = host_checks.check_virtualization(version, tmp_path / "nodmi")
    assert check is not None and check.status == WARN and "WSL" in check.detail
    assert "usbipd attach --wsl --auto-attach" in (check.fix or "")


@pytest.mark.parametrize(
    "vendor,product,name",
    [("QEMU", "Standard PC (Q35 + ICH9, 2009)", "QEMU/KVM"), ("innotek GmbH", "VirtualBox", "VirtualBox")],
)
def test_virtual_machines_are_detected(tmp_path: Path, vendor: str, product: str, name: str) -> None:
    dmi = tmp_path / "dmi"
    dmi.mkdir()
    (dmi / "sys_vendor").write_text(vendor + "\n")
    (dmi / "product_name").write_text(product + "\n")
    (tmp_path / "version").write_text("Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)")
    check = host_checks.check_virtualization(tmp_path / "version", dmi)
    assert check is not None and check.status == WARN and name in check.detail
    assert "USB filters" in (check.fix or "")


def test_real_hardware_says_nothing(tmp_path: Path) -> None:
    dmi = tmp_path / "dmi"
    dmi.mkdir()
    (dmi / "sys_vendor").write_text("LENOVO\n")
    (tmp_path / "version").write_text("Linux version 6.1.0-13-amd64")
    assert host_checks.check_virtualization(tmp_path / "version", dmi) is None


# --- a running adb server ------------------------------------------------------------------------


@pytest.fixture
def fake_adb_server() -> Iterator[tuple[int, list[str]]]:
    """A loopback server speaking adb's host protocol: `host:devices` -> the listed phones."""
    listing: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                length = int(conn.recv(4), 16)
                request = conn.recv(length)
                if request == b"host:devices":
                    body = "".join(f"{line}\n" for line in listing).encode()
                    conn.sendall(b"OKAY" + b"%04x" % len(body) + body)
                else:
                    conn.sendall(b"FAIL0004what")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], listing
    stop.set()
    thread.join(5)
    server.close()


def test_adb_server_holding_a_phone_is_reported(fake_adb_server) -> None:
    port, listing = fake_adb_server
    listing.append("ABC123\tsideload")
    check = host_checks.check_adb_server(port)
    assert check is not None and check.status == WARN
    assert "ABC123 (sideload)" in check.detail and "adb kill-server" in (check.fix or "")


def test_adb_server_without_phones_and_no_server(fake_adb_server) -> None:
    port, _listing = fake_adb_server
    idle = host_checks.check_adb_server(port)
    assert idle is not None and idle.status == OK
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    free_port = closed.getsockname()[1]
    closed.close()
    assert host_checks.check_adb_server(free_port) is None


# --- --network -----------------------------------------------------------------------------------


@pytest.fixture
def loopback_host() -> Iterator[str]:
    class Quiet(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:  # noqa: N802
            self.send_response(404)  # any answer means reachable
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def _closed_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


def test_network_says_which_host_failed(loopback_host: str, no_proxy: None) -> None:
    closed = _closed_url()
    checks = network.check_network(
        [network.Target("mi-account", loopback_host), network.Target("rom-downloads", closed)]
    )
    assert [c.status for c in checks] == [OK, FAIL]
    assert "Mi account (login)" in checks[0].detail and "reachable" in checks[0].detail
    assert closed.split("//")[1].rstrip("/") in checks[1].detail and "connection refused" in checks[1].detail
    assert "HTTPS_PROXY" in (checks[1].fix or "")


def test_network_goes_through_the_users_proxy(loopback_host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY/HTTP_PROXY apply: a dead proxy makes the host unreachable, saying so."""
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", _closed_url())
    (check,) = network.check_network([network.Target("mi-unlock", "http://unlock.example.invalid/")])
    assert check.status == FAIL and "proxy" in check.detail


def test_targets_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNLOCKER_MI_ACCOUNT_URL", "http://127.0.0.1:9/account")
    monkeypatch.setenv("UNLOCKER_MI_UNLOCK_URL", "http://127.0.0.1:9/unlock")
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", "http://127.0.0.1:9/lineage")
    found = {(t.purpose, t.url) for t in network.targets()}
    assert ("mi-account", "http://127.0.0.1:9/account") in found
    assert ("mi-unlock", "http://127.0.0.1:9/unlock") in found
    assert ("rom-builds", "http://127.0.0.1:9/lineage") in found
    assert any(purpose == "rom-downloads" for purpose, _url in found)


def test_doctor_network_json(loopback_host: str, no_proxy: None, monkeypatch, capsys, tmp_path: Path) -> None:
    from unlocker.cli import main as cli_main

    for kind in ("CONFIG", "CACHE", "STATE"):
        monkeypatch.setenv(f"UNLOCKER_{kind}_DIR", str(tmp_path / kind.lower()))
    closed = _closed_url()
    monkeypatch.setattr(
        network,
        "targets",
        lambda: [network.Target("mi-account", loopback_host), network.Target("mi-unlock", closed)],
    )
    with pytest.raises(SystemExit) as exited:
        cli_main.main(["doctor", "--network", "--json"])
    checks = json.loads(capsys.readouterr().out)
    assert exited.value.code == 1  # a failed host is a failed check
    found = [c for c in checks if c["name"] == "network"]
    assert [c["status"] for c in found] == ["ok", "fail"]
    assert "Mi unlock server" in found[1]["detail"]
