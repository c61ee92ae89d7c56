"""UsbTransport through real pyusb over the fake backend: the same phone model as TCP, on a USB bus."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from unlocker.device.connect import connect_fastboot as open_client
from unlocker.emulator.faults import parse_fault
from unlocker.emulator.usb_backend import FakeUsbBackend, parse_descriptors
from unlocker.emulator.usb_device import fastboot_descriptors
from unlocker.errors import DeviceDisconnected, DeviceNotFound, TransportTimeout, UsageError
from unlocker.fastboot.protocol import FASTBOOT_USB
from unlocker.transport.select import open_transport as _open_transport
from unlocker.transport.usb import WRITE_CHUNK, find_usb_transport, list_usb_devices


def test_getvar_over_usb(usb_bench) -> None:
    usb = usb_bench.plug()
    client = usb_bench.client()
    assert client.getvar("product") == "alioth"
    assert client.getvar("serialno") == usb.serial
    assert client.name == usb.serial
    assert usb_bench.backend.claimed[id(usb)] == {0}


def test_getvar_all_over_usb(usb_bench) -> None:
    usb_bench.plug()
    values = usb_bench.client().getvar_all()
    assert values["product"] == "alioth"
    assert values["max-download-size"]
    assert "partition-size:boot_a" in values


def test_download_and_flash_several_mib(usb_bench) -> None:
    usb = usb_bench.plug(unlocked=True)
    client = usb_bench.client()
    image = os.urandom(3 * 1024 * 1024 + 12345)
    sent: list[int] = []
    client.download(io.BytesIO(image), len(image), progress=sent.append)
    client.flash("boot_a")
    assert usb.phone.partition_path("boot_a").read_bytes() == image
    assert sum(sent) == len(image)
    # Large transfers, one bulk OUT each: the command, then 1 MiB pieces of data.
    data_transfers = usb_bench.backend.out_transfers[1:-1]
    assert data_transfers[:3] == [WRITE_CHUNK] * 3
    assert sum(data_transfers) == len(image)


def test_upload_reads_leave_the_rest_queued(usb_bench) -> None:
    usb_bench.plug(unlocked=True)
    client = usb_bench.client()
    staged = os.urandom(2 * 1024 * 1024 + 7)
    client.stage(staged)
    sink = io.BytesIO()
    assert client.upload(sink) == len(staged)
    assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(staged).digest()


def test_small_reads_keep_the_rest_of_a_message(usb_bench) -> None:
    usb_bench.plug()
    transport = usb_bench.client().transport
    transport.write(b"getvar:product")
    assert transport.read(4, 1.0) == b"OKAY"
    assert transport.read(256, 1.0) == b"alioth"


def test_xiaomi_vendor_id_and_any_vendor_found(usb_bench) -> None:
    usb_bench.plug(vendor_id=0x2717, port=1)
    usb_bench.plug(vendor_id=0x1234, port=2, profile="generic")
    infos = list_usb_devices(FASTBOOT_USB)
    assert [i.usb_id for i in infos] == ["2717:d00d", "1234:d00d"]
    assert [i.path for i in infos] == ["usb:1-1", "usb:1-2"]
    assert all(i.product == "Android" and i.problem is None for i in infos)


def test_adb_interface_is_not_fastboot(usb_bench) -> None:
    usb_bench.plug(interface_class=(0xFF, 0x42, 0x01))  # a phone in adb/recovery mode
    assert list_usb_devices(FASTBOOT_USB) == []
    with pytest.raises(DeviceNotFound, match="no phone in fastboot mode on USB"):
        find_usb_transport(None, interface=FASTBOOT_USB)


def test_serial_and_port_path_select_the_phone(usb_bench) -> None:
    first = usb_bench.plug(port=1, serial="AAAA1111")
    second = usb_bench.plug(port=2, serial="BBBB2222", profile="xiaomi-legacy")
    assert usb_bench.client("BBBB2222").getvar("product") == "lavender"
    assert usb_bench.client("usb:1-1").getvar("serialno") == first.serial
    assert find_usb_transport("usb:1-2", interface=FASTBOOT_USB).name == second.serial


def test_two_phones_without_a_name_is_a_usage_error(usb_bench) -> None:
    usb_bench.plug(port=1, serial="AAAA1111")
    usb_bench.plug(port=2, serial="BBBB2222")
    with pytest.raises(UsageError) as caught:
        find_usb_transport(None, interface=FASTBOOT_USB)
    message = str(caught.value)
    assert "2 phones" in message and "AAAA1111 at usb:1-1" in message and "BBBB2222 at usb:1-2" in message
    assert "-s" in caught.value.hint


def test_duplicate_serials_point_to_the_port_path(usb_bench) -> None:
    usb_bench.plug(port=1, serial="0123456789ABCDEF")
    usb_bench.plug(port=2, serial="0123456789ABCDEF")
    with pytest.raises(UsageError, match="usb:1-2") as caught:
        find_usb_transport("0123456789ABCDEF", interface=FASTBOOT_USB)
    assert "usb:BUS-PORT" in caught.value.hint


def test_unknown_serial_lists_connected_phones(usb_bench) -> None:
    usb_bench.plug(serial="AAAA1111")
    with pytest.raises(DeviceNotFound, match=r"no phone 'ZZZZ' .*AAAA1111 at usb:1-1"):
        find_usb_transport("ZZZZ", interface=FASTBOOT_USB)


def test_no_phone_at_all(usb_bench) -> None:
    with pytest.raises(DeviceNotFound) as caught:
        find_usb_transport(None, interface=FASTBOOT_USB)
    assert "Volume Down" in caught.value.hint and "tcp:127.0.0.1:5554" in caught.value.hint


def test_kernel_driver_is_detached_before_claiming(usb_bench) -> None:
    usb = usb_bench.plug()
    usb_bench.backend.bind_kernel_driver(usb)
    assert usb_bench.client().getvar("product") == "alioth"
    assert not usb_bench.backend.kernel_driver_bound(usb)


def test_close_releases_and_is_idempotent(usb_bench) -> None:
    usb = usb_bench.plug()
    client = usb_bench.client()
    client.close()
    client.close()
    assert usb_bench.backend.claimed[id(usb)] == set()
    with pytest.raises(DeviceDisconnected, match="not connected"):
        client.getvar("product")


def test_open_transport_and_client_use_usb_names(usb_bench) -> None:
    usb = usb_bench.plug(serial="CAFE0001")
    with open_client("CAFE0001") as client:
        assert client.getvar("product") == "alioth"
    transport = _open_transport(None, usb_interface=FASTBOOT_USB)
    assert transport.name == usb.serial
    transport.close()


def test_reboot_unplugs_and_the_phone_comes_back_at_a_new_address(usb_bench) -> None:
    usb = usb_bench.plug(unlocked=True, replug_delay=0.3)
    client = usb_bench.client()
    token_before = client.getvar("token")
    old_address = list_usb_devices(FASTBOOT_USB)[0].address
    client.reboot("bootloader")  # the OKAY is still delivered on the old handle
    with pytest.raises(DeviceDisconnected, match="went away"):
        client.getvar("product")
    with pytest.raises(DeviceNotFound):
        find_usb_transport(usb.serial, interface=FASTBOOT_USB)
    started = time.monotonic()
    with open_client(usb.serial, wait=5) as again:
        assert again.getvar("product") == "alioth"
        assert again.getvar("token") != token_before  # a new boot: a new token
    assert time.monotonic() - started < 3
    assert list_usb_devices(FASTBOOT_USB)[0].address != old_address
    assert usb.unplugs == 1


def test_unplugged_phone_is_disconnected_then_not_found(usb_bench) -> None:
    usb = usb_bench.plug()
    client = usb_bench.client()
    usb.unplug()
    with pytest.raises(DeviceDisconnected, match="No such device"):
        client.getvar("product")
    with pytest.raises(DeviceDisconnected):
        client.transport.read(256, 0.1)
    with pytest.raises(DeviceNotFound):
        _open_transport(usb.serial, usb_interface=FASTBOOT_USB, wait=0.2)
    usb.plug()
    with open_client(usb.serial, wait=1) as again:
        assert again.getvar("product") == "alioth"


def test_phone_that_vanishes_between_listing_and_opening_is_not_found(usb_bench) -> None:
    usb = usb_bench.plug()
    transport = find_usb_transport(None, interface=FASTBOOT_USB)
    usb.unplug()
    with pytest.raises(DeviceNotFound, match="left USB"):
        transport.open()


def test_disconnect_fault_mid_download(usb_bench) -> None:
    usb_bench.plug(unlocked=True, faults=[parse_fault("disconnect@1048576")])
    client = usb_bench.client()
    with pytest.raises(DeviceDisconnected, match="while sending"):
        client.download(os.urandom(3 * 1024 * 1024))


def test_stalled_phone_times_out(usb_bench) -> None:
    usb_bench.plug(faults=[parse_fault("stall:getvar:product")])
    client = usb_bench.client(response_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TransportTimeout, match="no answer to 'getvar:product'"):
        client.getvar("product")
    assert 0.25 < time.monotonic() - started < 2


def test_transport_read_timeout_is_a_transport_timeout(usb_bench) -> None:
    usb_bench.plug()
    transport = usb_bench.client().transport
    started = time.monotonic()
    with pytest.raises(TransportTimeout, match="USB timeout after 0.2 s"):
        transport.read(256, 0.2)
    assert time.monotonic() - started >= 0.19


def test_descriptors_parse_like_a_device_reports_them() -> None:
    parsed = parse_descriptors(fastboot_descriptors(0x2717, 0xD00D, max_packet=1024))
    assert parsed.device["idVendor"] == 0x2717 and parsed.device["bcdUSB"] == 0x0300
    config, interfaces = parsed.configs[0]
    interface, endpoints = interfaces[0][0]
    assert config.wTotalLength == 9 + 9 + 7 + 7
    assert (interface.bInterfaceClass, interface.bInterfaceSubClass, interface.bInterfaceProtocol) == (
        0xFF,
        0x42,
        0x03,
    )
    assert [(e.bEndpointAddress, e.wMaxPacketSize) for e in endpoints] == [(0x81, 1024), (0x01, 1024)]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x12\x02" + bytes(16),  # not a device descriptor
        fastboot_descriptors(0x18D1, 0xD00D)[:-3],  # truncated endpoint
        fastboot_descriptors(0x18D1, 0xD00D)[:18] + bytes([9, 4]) + bytes(7),  # interface without a config
    ],
)
def test_bad_descriptors_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_descriptors(raw)


def test_backend_is_injectable_without_monkeypatching(tmp_path) -> None:
    from unlocker.emulator.model import VirtualPhone
    from unlocker.emulator.usb_device import UsbPhone

    backend = FakeUsbBackend([UsbPhone(VirtualPhone(tmp_path, "xiaomi-mtk", serial="MTK00001"))])
    assert [i.serial for i in list_usb_devices(FASTBOOT_USB, backend)] == ["MTK00001"]
    transport = find_usb_transport("MTK00001", backend=backend, interface=FASTBOOT_USB)
    transport.open()
    transport.close()
