"""The phone-facts record: each variable asked once, lock state read one way, status from facts."""

from __future__ import annotations

from unlocker.device.connect import connect_fastboot
from unlocker.device.facts import Variables, parse_lock_state, read_facts
from unlocker.device.state import STATUS_FIELDS, next_step, status_report


class CountingClient:
    name = "fake"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def try_getvar(self, name: str) -> str | None:
        self.asked.append(name)
        return self.answers.get(name) or None


def test_variables_are_asked_once() -> None:
    client = CountingClient({"product": "alioth", "unlocked": "no"})
    v = Variables(client)  # type: ignore[arg-type]
    assert v.get("product") == "alioth" and v.get("product") == "alioth"
    assert v.get("missing") is None and v.get("missing") is None
    assert v.flag("unlocked") is False
    assert client.asked == ["product", "missing", "unlocked"]
    v.forget("product")
    v.get("product")
    assert client.asked[-1] == "product" and len(client.asked) == 4


def test_lock_state_is_never_guessed() -> None:
    assert parse_lock_state("yes") is True
    assert parse_lock_state(" no ") is False
    assert parse_lock_state("maybe") is None and parse_lock_state(None) is None


def test_facts_from_the_virtual_phone(phone_factory) -> None:
    p = phone_factory("xiaomi-qcom")
    with connect_fastboot(p.name) as client:
        facts = read_facts(client, partitions=["boot"], full=True)
    assert facts.product == "alioth" and facts.unlocked is False and facts.mode == "bootloader"
    assert facts.partition("boot").has_slot is True
    assert set(facts.partition("boot").sizes) == {"boot_a", "boot_b"}
    asked = [c for c in p.phone.commands_received if c.startswith("getvar:")]
    assert len(asked) == len(set(asked))
    report = status_report(facts)
    assert tuple(report) == STATUS_FIELDS
    assert "unlocker unlock" in report["next_step"] == next_step(facts)


def test_fastbootd_facts(phone_factory) -> None:
    p = phone_factory("fastbootd")
    with connect_fastboot(p.name) as client:
        facts = read_facts(client)
    assert facts.in_fastbootd and facts.unlock_ability is None
