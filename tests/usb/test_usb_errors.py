"""What the user sees when USB goes wrong: permissions, missing libusb, busy interfaces, the CLI."""

from __future__ import annotations

import errno
import json
import platform

import pytest

import unlocker.transport.usb as usb_transport
from unlocker.cli.main import main
from unlocker.errors import DevicePermissionError, TransportError, UsbBackendMissing
from unlocker.fastboot.protocol import FASTBOOT_USB
from unlocker.transport.usb import NO_PERMISSION, find_usb_transport, list_usb_devices

LINUX = platform.system() == "Linux"


def test_no_permission_to_open_is_listed_and_explained(usb_bench) -> None:
    usb = usb_bench.plug()
    usb_bench.backend.inject_error(usb, "open", errno.EACCES)
    (info,) = list_usb_devices(FASTBOOT_USB)
    assert info.serial is None and info.problem == NO_PERMISSION
    assert info.usb_id == "18d1:d00d" and info.path == "usb:1-1"
    with pytest.raises(DevicePermissionError) as caught:
        find_usb_transport(None, interface=FASTBOOT_USB)
    assert "no permission to open the phone at usb:1-1 (18d1:d00d)" in str(caught.value)
    assert "unlocker doctor" in caught.value.hint
    if LINUX:
        assert "unlocker udev install" in caught.value.hint


def test_named_phone_behind_a_permission_wall_is_a_permission_error(usb_bench) -> None:
    usb = usb_bench.plug()
    usb_bench.backend.inject_error(usb, "open", errno.EACCES)
    with pytest.raises(DevicePermissionError):
        find_usb_transport("SOMESERIAL", interface=FASTBOOT_USB)


def test_permission_denied_on_claim(usb_bench) -> None:
    usb = usb_bench.plug()
    usb_bench.backend.inject_error(usb, "claim", errno.EACCES)
    transport = find_usb_transport(None, interface=FASTBOOT_USB)
    with pytest.raises(DevicePermissionError):
        transport.open()


def test_interface_held_by_another_program(usb_bench) -> None:
    usb = usb_bench.plug()
    usb_bench.backend.inject_error(usb, "claim", errno.EBUSY)
    transport = find_usb_transport(None, interface=FASTBOOT_USB)
    with pytest.raises(TransportError, match="in use by another program") as caught:
        transport.open()
    assert "Close other fastboot tools" in caught.value.hint


def test_pipe_error_mid_command_is_a_disconnect(usb_bench) -> None:
    from unlocker.errors import DeviceDisconnected

    usb = usb_bench.plug()
    client = usb_bench.client()
    usb_bench.backend.inject_error(usb, "read", errno.EPIPE)
    with pytest.raises(DeviceDisconnected, match="Pipe error"):
        client.getvar("product")


def test_no_libusb_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    import libusb_package
    import usb.backend.libusb1

    monkeypatch.delenv("UNLOCKER_LIBUSB", raising=False)
    monkeypatch.setattr(libusb_package, "get_libusb1_backend", lambda: None)
    monkeypatch.setattr(usb.backend.libusb1, "get_backend", lambda *a, **k: None)
    with pytest.raises(UsbBackendMissing) as caught:
        usb_transport.default_backend()
    assert "libusb" in caught.value.hint and "unlocker doctor" in caught.value.hint
    with pytest.raises(UsbBackendMissing):
        find_usb_transport(None, interface=FASTBOOT_USB)


def test_libusb_package_is_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    import libusb_package

    monkeypatch.delenv("UNLOCKER_LIBUSB", raising=False)
    sentinel = object()
    monkeypatch.setattr(libusb_package, "get_libusb1_backend", lambda: sentinel)
    assert usb_transport.default_backend() is sentinel


# --- the CLI in-process, on the fake bus ------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_devices_lists_usb_phones(usb_bench, capsys, monkeypatch) -> None:
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    usb_bench.plug(port=1, serial="AAAA1111")
    usb_bench.plug(port=2, serial="BBBB2222", profile="xiaomi-legacy", vendor_id=0x2717)
    code, out, _ = run(capsys, "devices", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["serial"], r["path"], r["usb_id"], r["product"]) for r in rows] == [
        ("AAAA1111", "usb:1-1", "18d1:d00d", "alioth"),
        ("BBBB2222", "usb:1-2", "2717:d00d", "lavender"),
    ]


def test_cli_getvar_by_serial_and_by_path(usb_bench, capsys, monkeypatch) -> None:
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    usb_bench.plug(port=1, serial="AAAA1111")
    usb_bench.plug(port=2, serial="BBBB2222", profile="xiaomi-legacy")
    assert run(capsys, "getvar", "product", "-s", "BBBB2222")[:2] == (0, "product: lavender\n")
    assert run(capsys, "getvar", "product", "-s", "usb:1-1")[:2] == (0, "product: alioth\n")
    code, _, err = run(capsys, "getvar", "product")
    assert code == 2
    assert err.startswith("unlocker: error: 2 phones in fastboot mode on USB")
    assert "Traceback" not in err


def test_cli_status_over_usb(usb_bench, capsys, monkeypatch) -> None:
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    usb = usb_bench.plug()
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["serial"] == usb.serial and report["product"] == "alioth" and report["unlocked"] is False


def test_cli_permission_error_is_one_line_with_next_step(usb_bench, capsys, monkeypatch) -> None:
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    usb = usb_bench.plug()
    usb_bench.backend.inject_error(usb, "open", errno.EACCES)
    code, _, err = run(capsys, "getvar", "product")
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("unlocker: error: no permission to open the phone at usb:1-1")
    assert lines[1].startswith("unlocker: next: ")
    # then the knowledge base's explanation of the same problem, as `unlocker explain` gives it
    from unlocker import knowledge

    explained = knowledge.by_id("no-permissions").explain("en")
    assert lines[2] == f"unlocker: What this means: {explained.meaning}"
    assert lines[-1] == "unlocker: more: `unlocker explain no-permissions`"


def test_unlocker_libusb_selects_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import libusb_package
    import usb.backend.libusb1

    calls = []

    def fake_get_backend(find_library=None):
        calls.append(find_library("usb-1.0") if find_library else "system")
        return "backend"

    monkeypatch.setattr(libusb_package, "get_libusb1_backend", lambda: pytest.fail("bundled libusb used"))
    monkeypatch.setattr(usb.backend.libusb1, "get_backend", fake_get_backend)
    monkeypatch.setenv("UNLOCKER_LIBUSB", "system")
    assert usb_transport.default_backend() == "backend"
    monkeypatch.setenv("UNLOCKER_LIBUSB", "/opt/libusb-1.0.so")
    assert usb_transport.default_backend() == "backend"
    assert calls == ["system", "/opt/libusb-1.0.so"]
