"""Fuzzing what a phone can answer: single replies, reply sequences, getvar and `getvar all` values.

Property: a typed error of ours (an UnlockerError subclass) or a correct result; never another
exception. "Correct" is spelled out per parser below.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support_transport import ScriptedTransport
from unlocker.device.facts import parse_lock_state
from unlocker.errors import ProtocolError, UnlockerError
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.protocol import Status, parse_packet
from unlocker.fastboot.variables import (
    parse_bool,
    parse_getvar_all_line,
    parse_millivolts,
    parse_number,
    split_quantity,
)
from unlocker.transport.text import visible

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

STATUSES = [s.encode() for s in Status.ALL]
# Replies that look like fastboot often enough to get past the status check.
replies = st.one_of(
    st.binary(max_size=300),
    st.tuples(st.sampled_from([*STATUSES, b"OKAX", b"okay", b""]), st.binary(max_size=260)).map(b"".join),
    st.tuples(st.sampled_from(STATUSES), st.text(max_size=80)).map(lambda t: t[0] + t[1].encode()),
)
# Variable values as bootloaders print them, and worse.
values = st.one_of(
    st.text(max_size=40),
    st.tuples(
        st.sampled_from(["", " ", "\t"]),
        st.one_of(
            st.integers(0, 10**12).map(str), st.integers(0, 10**12).map(hex), st.floats(0, 10**6).map(str)
        ),
        st.sampled_from(["", " "]),
        st.sampled_from(["", "mV", "V", "mv", "MV", "mA", "kV", "%"]),
    ).map("".join),
    st.sampled_from(
        ["yes", "no", "Yes", " no ", "true", "1", "0", "flashing_unlocked", "oem_locked", "locked"]
    ),
)


@FUZZ
@given(replies)
@example(b"")
@example(b"OKA")
@example(b"\xff\xfe\xfd\xfc")
@example(b"DATA")
@example(b"DATAzzzzzzzz")
@example(b"DATA0x10")
def test_one_reply(raw: bytes) -> None:
    try:
        packet = parse_packet(raw, device="fuzz")
    except ProtocolError as e:
        assert str(e) and "fuzz" in str(e)
        return
    assert packet.status.encode() == raw[:4]
    # Device text is shown with control characters made visible (escapes cannot reach a terminal).
    assert packet.payload == visible(raw[4:].decode("utf-8", errors="replace").rstrip("\r\n"))
    if packet.status == Status.DATA:
        try:
            size = packet.data_size
        except ProtocolError:
            return
        assert size == int(packet.payload, 16) and size >= 0


@FUZZ
@given(st.lists(replies, max_size=12), st.sampled_from(["getvar", "getvar_all", "oem", "download"]))
def test_reply_sequences_to_a_command(sequence: list[bytes], what: str) -> None:
    client = FastbootClient(ScriptedTransport(list(sequence)), response_timeout=0.01)  # type: ignore[arg-type]
    try:
        if what == "getvar":
            result = client.getvar("product")
            assert isinstance(result, str) and result == result.strip()
        elif what == "getvar_all":
            found = client.getvar_all()
            assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in found.items())
        elif what == "oem":
            response = client.oem("device-info")
            assert all(isinstance(line, str) for line in response.info)
        else:
            client.download(b"\x00" * 16)
    except UnlockerError as e:
        assert str(e)


@FUZZ
@given(st.text(max_size=120))
@example("partition-size:boot_a: 0x4000000")
@example("partition-size:")
@example(":")
@example("   ")
@example("slot-retry-count:_a: 7")
@example("ro.build.fingerprint[0]: motorola/devon/devon:12/S2SNS32.")
def test_getvar_all_lines(line: str) -> None:
    parsed = parse_getvar_all_line(line)
    if parsed is None:
        return
    key, value = parsed
    assert key and key == key.strip() and value == value.strip()
    assert key.split(":", 1)[0] in line


@FUZZ
@given(values)
@example("0100")
@example("4006mV")
@example("1_000")
def test_variable_values(value: str) -> None:
    number = parse_number(value)
    assert number is None or isinstance(number, int)
    assert parse_bool(value) in (True, False, None)
    assert parse_lock_state(value) in (True, False, None)
    millivolts = parse_millivolts(value)
    assert millivolts is None or (isinstance(millivolts, int) and millivolts >= 0)


# What split_quantity does by hand (re costs start-up): this regular expression, matched in full.
QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)")
quantity_like = st.text(alphabet="0123456789.. \t\u00a0\u2003mMvVkA%x\u0661\u00b2\u00e9", max_size=14)


@FUZZ
@given(st.one_of(values, quantity_like, st.text(max_size=20)))
@example("4.")
@example("4.5.6")
@example(".5V")
@example("4\u00a0mV")
@example("\u0661\u0662V")  # Arabic-Indic digits are not [0-9]
@example("4\u00e9")  # a letter, but not [A-Za-z]
def test_quantities_split_as_the_regular_expression_does(text: str) -> None:
    match = QUANTITY.fullmatch(text)
    assert split_quantity(text) == (match.groups() if match else None)


def test_a_response_status_is_one_of_the_constants() -> None:
    for status in Status.ALL:
        assert parse_packet(status.encode() + b"x", device="fuzz").status is status
    assert len(set(Status.ALL)) == 5


@FUZZ
@given(st.integers(0, 10**9))
def test_numbers_round_trip(n: int) -> None:
    assert parse_number(str(n)) == n and parse_number(hex(n)) == n and parse_number(f" {n}\t") == n
    assert (
        parse_millivolts(f"{n}mV") == n and parse_millivolts(f"{n} mV") == n and parse_millivolts(str(n)) == n
    )
    assert parse_millivolts(f"{n / 1000}V") == n


@pytest.mark.parametrize("word", ["flashing_unlocked", "unlocked", "oem_unlocked", "yes", "true", "1"])
def test_unlocked_words_in_any_case(word: str) -> None:
    for variant in (word, word.upper(), f"  {word}\n"):
        assert parse_lock_state(variant) is True


@FUZZ
@given(st.text(alphabet=string.printable, max_size=30))
def test_lock_state_is_never_guessed(value: str) -> None:
    words = {"flashing_unlocked", "oem_unlocked", "unlocked", "yes", "true", "1"}
    locked = {"flashing_locked", "oem_locked", "locked", "no", "false", "0"}
    expected = True if value.strip().lower() in words else False if value.strip().lower() in locked else None
    assert parse_lock_state(value) is expected
