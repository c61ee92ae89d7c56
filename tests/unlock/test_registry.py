"""Choosing the unlock flow: the index's unlock.method first, the phone's answers second."""

from __future__ import annotations

import pytest

from unlocker.device.connect import connect_fastboot
from unlocker.device.facts import read_facts
from unlocker.emulator import parse_fault
from unlocker.errors import NoUnlockFlow, PreflightError
from unlocker.unlock import UnlockContext, UnlockMethod, choose_flow, flows, unlock
from unlocker.unlock.fastboot_command import device_command
from unlocker.unlock.registry import method_from_index


def test_every_flow_module_is_found() -> None:
    assert {"mi_unlock", "fastboot_command"} <= set(flows())


def test_index_decides() -> None:
    assert method_from_index("alioth") == UnlockMethod("mi_unlock", None, "getvar token")
    sargo = method_from_index("sargo")
    assert sargo is not None and sargo.method == "fastboot_command"
    assert method_from_index("no-such-phone") is None and method_from_index(None) is None


def test_choice_follows_the_index_and_falls_back_on_the_phone(phone_factory) -> None:
    xiaomi = phone_factory("xiaomi-qcom")
    with connect_fastboot(xiaomi.name) as client:
        facts = read_facts(client)
        assert choose_flow(client, facts, method_from_index(facts.product)).flow.name == "mi_unlock"
        # Not in the index: the phone hands out a token, so it is a Xiaomi bootloader.
        guessed = choose_flow(client, facts, None)
        assert guessed.flow.name == "mi_unlock" and guessed.method.source == "phone"
        # The index says fastboot_command: the index wins over the phone's answers.
        assert choose_flow(client, facts, UnlockMethod("fastboot_command")).flow.name == "fastboot_command"
    generic = phone_factory("generic")
    with connect_fastboot(generic.name) as client:
        facts = read_facts(client)
        assert choose_flow(client, facts, None).flow.name == "fastboot_command"


def test_not_unlockable_is_said_plainly(phone_factory) -> None:
    p = phone_factory("generic")
    with connect_fastboot(p.name) as client, pytest.raises(NoUnlockFlow, match="no official way"):
        choose_flow(client, read_facts(client), UnlockMethod("not_unlockable"))


def test_no_flow_known(phone_factory) -> None:
    # A bootloader that gives no token and does not know get_unlock_ability.
    p = phone_factory("generic", unlock_ability=1)
    p.phone.faults.append(parse_fault("fail:flashing get_unlock_ability=unknown command"))
    with connect_fastboot(p.name) as client, pytest.raises(NoUnlockFlow, match="no unlock flow is known"):
        choose_flow(client, read_facts(client), None)


def test_index_commands_are_data_not_scripts() -> None:
    assert device_command(UnlockMethod("fastboot_command", "fastboot flashing unlock")) == "flashing unlock"
    assert device_command(UnlockMethod("fastboot_command", "fastboot oem unlock-go")) == "oem unlock-go"
    assert device_command(UnlockMethod("fastboot_command", None)) == "flashing unlock"
    for bad in ("fastboot erase userdata", "fastboot flashing unlock\nfastboot erase userdata", "rm -rf /"):
        with pytest.raises(NoUnlockFlow):
            device_command(UnlockMethod("fastboot_command", bad))


def test_library_unlock_of_a_generic_phone(phone_factory) -> None:
    p = phone_factory("generic")
    questions: list[str] = []
    context = UnlockContext(confirm=questions.append, notify=lambda _m: None)
    with connect_fastboot(p.name) as client:
        outcome = unlock(client, context)
        assert outcome.unlocked and not outcome.already
        assert unlock(client, context).already
    assert p.phone.unlocked and len(questions) == 1 and "ERASES ALL DATA" in questions[0]


def test_fastbootd_is_refused_before_any_flow(phone_factory) -> None:
    p = phone_factory("fastbootd")
    context = UnlockContext(confirm=lambda _q: None, notify=lambda _m: None)
    with connect_fastboot(p.name) as client, pytest.raises(PreflightError, match="fastbootd"):
        unlock(client, context)
