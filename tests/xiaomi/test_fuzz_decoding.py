"""Fuzzing what Xiaomi's servers may answer: the unlock server's encrypted bodies, the account
server's JSON, the waiting-period texts and codes.

Property: a typed error of ours (ResponseDecodeError, LoginError: UnlockerError subclasses) or a
correct result; never another exception.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.xiaomi.fake_mi_server import SSECURITY
from unlocker.errors import LoginError, ResponseDecodeError
from unlocker.xiaomi.account import _json
from unlocker.xiaomi.codes import explain
from unlocker.xiaomi.crypto import decrypt_response, encrypt_response, encrypt_value
from unlocker.xiaomi.ledger import wait_hours
from unlocker.xiaomi.server import _code

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
answers = st.dictionaries(
    st.sampled_from(["code", "descEN", "description", "data", "encryptData", "nonce", "uid", "x"]),
    json_values,
    max_size=6,
)
DEEP = "[" * 100_000  # deeper than any JSON parser recurses


def decode(body: str) -> dict | None:
    try:
        result = decrypt_response(body, SSECURITY)
    except ResponseDecodeError as e:
        assert str(e) and e.hint
        return None
    assert isinstance(result, dict)
    return result


@FUZZ
@given(st.text(max_size=200))
@example("")
@example("<html>502</html>")
@example("AAAA")
@example(base64.b64encode(b"x" * 31).decode())
def test_random_bodies(body: str) -> None:
    decode(body)


@FUZZ
@given(answers)
def test_encrypted_answers_decode_to_what_was_sent(answer: dict) -> None:
    assert decode(encrypt_response(answer, SSECURITY)) == answer


@FUZZ
@given(st.text(max_size=100))
@example(base64.b64encode(DEEP.encode()).decode())
@example(base64.b64encode(b"[1, 2]").decode())
@example(base64.b64encode(b"\xff\xfe").decode())
def test_well_encrypted_nonsense(inner: str) -> None:
    """Valid encryption around anything: not base64, not JSON, JSON of another shape, too deep."""
    decode(encrypt_value(inner, SSECURITY))


@FUZZ
@given(
    answers,
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("AZaz09+/=!")), min_size=1, max_size=3),
)
def test_damaged_answers(answer: dict, edits: list[tuple[int, str]]) -> None:
    body = list(encrypt_response(answer, SSECURITY))
    for position, char in edits:
        body[position % len(body)] = char
    decode("".join(body))


@dataclass
class FakeResponse:
    text: str
    status_code: int = 200


@FUZZ
@given(st.one_of(st.text(max_size=100), json_values.map(json.dumps)), st.booleans())
@example("&&&START&&&" + DEEP, True)
@example("&&&START&&&[]", False)
def test_account_server_bodies(text: str, prefixed: bool) -> None:
    body = ("&&&START&&&" + text) if prefixed and not text.startswith("&&&START&&&") else text
    try:
        data = _json(FakeResponse(body))  # type: ignore[arg-type]
    except LoginError as e:
        assert str(e) and e.hint
        return
    assert isinstance(data, dict)


@FUZZ
@given(json_values, st.text(max_size=80))
@example({"waitHour": "72"}, "")
@example({"waitHour": 1e300}, "")
@example({"waitHour": float("inf")}, "")
@example({"waitHour": float("nan")}, "")
@example({"waitHour": -3}, "")
@example({"waitHour": True}, "")
@example({"waitHour": "²"}, "")
@example({}, "Please unlock 99999999999999999999 hours later.")
@example({}, "Please unlock 144 hours later.")
def test_waiting_period_answers(data: object, description: str) -> None:
    hours = wait_hours(data, description)  # type: ignore[arg-type]
    assert hours is None or (isinstance(hours, int) and hours >= 0)


@FUZZ
@given(answers, st.integers(-(2**40), 2**40), st.text(max_size=40))
def test_codes_and_their_explanations(answer: dict, code: int, description: str) -> None:
    number = _code(answer)
    assert number is None or isinstance(number, int)
    explanation, next_step = explain(code, description)
    assert explanation and next_step
