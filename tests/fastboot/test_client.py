"""The protocol client against scripted replies: framing, INFO/TEXT, FAIL, DATA, garbage, timeouts."""

from __future__ import annotations

import io

import pytest

from tests.support_transport import ScriptedTransport
from unlocker.errors import (
    DeviceDisconnected,
    FastbootFailure,
    ProtocolError,
    TransportTimeout,
    UsageError,
    VariableUnknown,
)
from unlocker.fastboot.client import FastbootClient


def client_for(*replies: bytes | BaseException, **kw: object) -> tuple[FastbootClient, ScriptedTransport]:
    t = ScriptedTransport(list(replies))
    return FastbootClient(t, **kw), t  # type: ignore[arg-type]


def test_getvar_sends_exact_command_and_returns_value() -> None:
    c, t = client_for(b"OKAYalioth")
    assert c.getvar("product") == "alioth"
    assert t.writes == [b"getvar:product"]


def test_info_and_text_are_collected_and_passed_to_callback() -> None:
    seen: list[str] = []
    c, _ = client_for(b"INFOfirst", b"TEXTpartial", b"INFOsecond", b"OKAY", on_info=seen.append)
    r = c.command("oem device-info")
    assert r.info == ["first", "partial", "second"]
    assert seen == r.info


def test_info_flood_keeps_reading() -> None:
    c, _ = client_for(*[b"INFOline %d" % i for i in range(5000)], b"OKAYdone")
    assert c.command("oem flood").value == "done"


def test_each_info_restarts_the_timer() -> None:
    # The transport is asked with the full timeout again after every INFO (AOSP HandleResponse).
    c, t = client_for(b"INFOa", b"INFOb", b"OKAY", response_timeout=7.0)
    c.command("oem x")
    assert len(t.read_timeouts) == 3
    assert all(6.5 < x <= 7.0 for x in t.read_timeouts)


def test_fail_carries_device_message_and_hint() -> None:
    c, _ = client_for(b"FAILFlashing is not allowed in Lock State")
    with pytest.raises(FastbootFailure) as e:
        c.flash("boot_a")
    assert e.value.device_message == "Flashing is not allowed in Lock State"
    assert "flash:boot_a" in str(e.value)
    assert e.value.hint and "unlock" in e.value.hint


@pytest.mark.parametrize("message", ["GetVar Variable Not found", "Variable not found", "Unknown variable"])
def test_unknown_variable_dialects(message: str) -> None:
    c, _ = client_for(b"FAIL" + message.encode())
    with pytest.raises(VariableUnknown):
        c.getvar("anti")
    c, _ = client_for(b"FAIL" + message.encode())
    assert c.try_getvar("anti") is None


def test_empty_okay_getvar_is_unknown() -> None:
    c, _ = client_for(b"OKAY")
    assert c.try_getvar("anti") is None


@pytest.mark.parametrize(
    "value,expected", [("805306368", 805306368), ("0x30000000", 0x30000000), (" 1048576 \n", 1048576)]
)
def test_numbers_decimal_or_hex_with_whitespace(value: str, expected: int) -> None:
    c, _ = client_for(b"OKAY" + value.encode())
    assert c.getvar_int("max-download-size") == expected


def test_getvar_all_parses_both_dialects() -> None:
    c, _ = client_for(
        b"INFOunlocked:yes",
        b"INFOpartition-size:cache: 0x17C00000",
        b"INFOpartition-size:boot_a:0x8000000",
        b"INFOsystem-fingerprint:Xiaomi/alioth/alioth:13/TKQ1:user/release-keys",
        b"INFOno colon here",
        b"OKAY",
    )
    values = c.getvar_all()
    assert values["unlocked"] == "yes"
    assert values["partition-size:cache"] == "0x17C00000"
    assert values["partition-size:boot_a"] == "0x8000000"
    assert values["system-fingerprint"] == "Xiaomi/alioth/alioth:13/TKQ1:user/release-keys"


@pytest.mark.parametrize("reply", [b"OK", b"", b"HELLO world", b"\xff\xfe\x00\x01junk", b"okay"])
def test_garbage_or_truncated_reply_is_protocol_error(reply: bytes) -> None:
    c, _ = client_for(reply)
    with pytest.raises(ProtocolError) as e:
        c.getvar("product")
    assert "scripted" in str(e.value)


def test_unexpected_data_reply_is_protocol_error() -> None:
    c, _ = client_for(b"DATA00000010")
    with pytest.raises(ProtocolError):
        c.getvar("product")


def test_silence_is_timeout_naming_command() -> None:
    c, _ = client_for(TransportTimeout("x"))
    with pytest.raises(TransportTimeout) as e:
        c.getvar("product")
    assert "getvar:product" in str(e.value)


def test_disconnect_propagates() -> None:
    c, _ = client_for(b"INFOworking", DeviceDisconnected("gone"))
    with pytest.raises(DeviceDisconnected):
        c.command("oem x")


def test_download_streams_in_chunks_and_reports_progress() -> None:
    data = bytes(range(256)) * 40  # 10240 bytes
    c, t = client_for(b"DATA00002800", b"OKAY")
    t.max_write_size = 4096
    seen: list[int] = []
    c.download(io.BytesIO(data), progress=seen.append)
    assert t.writes[0] == b"download:00002800"
    assert b"".join(t.writes[1:]) == data
    assert [len(w) for w in t.writes[1:]] == [4096, 4096, 2048]
    assert sum(seen) == len(data)


def test_download_size_mismatch_is_refused() -> None:
    c, t = client_for(b"DATA00000010")
    with pytest.raises(ProtocolError):
        c.download(b"x" * 32)
    assert len(t.writes) == 1  # no data was sent


def test_download_of_truncated_source_stops_clearly() -> None:
    c, _ = client_for(b"DATA00000100")
    with pytest.raises(ProtocolError) as e:
        c.download(io.BytesIO(b"short"), size=256)
    assert "early" in str(e.value)


def test_download_refused_by_phone() -> None:
    c, _ = client_for(b"FAILRequested download size is more than max allowed")
    with pytest.raises(FastbootFailure):
        c.download(b"x" * 10)


def test_upload_collects_data_phase() -> None:
    c, t = client_for(b"DATA00000006", b"abc", b"def", b"OKAY")
    sink = io.BytesIO()
    assert c.upload(sink) == 6
    assert sink.getvalue() == b"abcdef"
    assert t.writes == [b"upload"]


def test_commands_over_64_bytes_are_refused_before_sending() -> None:
    c, t = client_for(b"OKAY")
    with pytest.raises(UsageError):
        c.oem("x" * 80)
    assert t.writes == []


@pytest.mark.parametrize(
    "target,wire",
    [
        (None, b"reboot"),
        ("bootloader", b"reboot-bootloader"),
        ("fastboot", b"reboot-fastboot"),
        ("recovery", b"reboot-recovery"),
    ],
)
def test_reboot_targets(target: str | None, wire: bytes) -> None:
    c, t = client_for(b"OKAY")
    c.reboot(target)
    assert t.writes == [wire]


def test_other_commands_wire_format() -> None:
    c, t = client_for(b"OKAY", b"OKAY", b"OKAY", b"OKAY", b"OKAY")
    c.set_active("b")
    c.erase("userdata")
    c.oem("device-info")
    c.flashing("get_unlock_ability")
    c.boot()
    assert t.writes == [
        b"set_active:b",
        b"erase:userdata",
        b"oem device-info",
        b"flashing get_unlock_ability",
        b"boot",
    ]
