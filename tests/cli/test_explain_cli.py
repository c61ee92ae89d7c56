"""`unlocker explain` and the knowledge base: real-world texts as people paste them, every entry in
every language, and the same explanation when a command meets the error."""

from __future__ import annotations

import json
import string

import pytest

from unlocker import commands, knowledge
from unlocker.emulator.model import parse_fault
from unlocker.xiaomi.codes import known_codes

ENTRIES = knowledge.entries()
# What the issue asks the knowledge base to cover, as people meet it.
REQUIRED = {
    "FAILED (remote: 'Flashing is not allowed in Lock State')": "lock-state",
    "FAILED (remote: 'Token Verify Failed, Reboot the device')": "token-verify",
    "FAILED (remote: 'anti-rollback check failed')": "anti-rollback",
    "FAILED (remote: 'unknown command')": "unknown-command",
    "FAILED (remote: 'Partition not found')": "partition-not-found",
    "FAILED (Write to device failed (Too many links))": "too-many-links",
    "no permissions (user in plugdev group; are your udev rules wrong?)": "no-permissions",
    "< waiting for any device >": "waiting-for-device",
    "FAILED (remote: 'Download is not allowed on locked devices')": "download-locked",
    "E:Signature verification failed": "signature-verification",
    "E:Error in /sideload/package.zip (Status 7)": "status-7",
    "E:footer is wrong": "footer-wrong",
    "adb: error: closed": "adb-closed",
    "adb: error: no devices/emulators found": "adb-no-devices",
    "usb.core.USBError: [Errno 40] Operation not supported or unimplemented on this platform": "winusb-not-supported",
    "[Errno 13] Access denied (insufficient permissions)": "usb-access-denied",
    "This device is not intended for sale in your region": "region-lock",
}


def _pasted(text: str) -> list[str]:
    """How the same message reaches us: as is, with fastboot's wrapper, odd spaces, other case."""
    return [
        text,
        f"fastboot: error: FAILED (remote: '{text}')",
        "  " + text.replace(" ", "   ") + "  \n",
        text.upper(),
    ]


@pytest.mark.parametrize("text,entry", sorted(REQUIRED.items()))
def test_required_messages_are_explained_however_pasted(text: str, entry: str) -> None:
    for pasted in _pasted(text):
        found = knowledge.best(pasted)
        assert found is not None and found.id == entry, (pasted, found and found.id)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_example_finds_its_entry(entry: knowledge.Entry) -> None:
    assert entry.examples or entry.codes, f"{entry.id}: give an example or a code"
    for example in entry.examples:
        for pasted in _pasted(example):
            found = knowledge.best(pasted)
            assert found is not None and found.id == entry.id, (pasted, found and found.id)
    for code in entry.codes:
        for pasted in (str(code), f"error {code}", f"Error code: {code}", f"  {code} "):
            assert knowledge.best(pasted) is entry


def test_every_mi_unlock_code_the_client_knows_is_explained() -> None:
    assert {20036, 20045, 20031, 10013, 30002} <= set(known_codes())
    for code in known_codes():
        assert knowledge.by_code(code) is not None


def test_numbers_in_logs_are_not_codes_and_unknown_text_matches_nothing() -> None:
    assert knowledge.search("Sending 'boot_a' (10000 KB) OKAY [ 0.5s]") == []
    assert knowledge.search("everything went fine") == []


def test_the_more_specific_entry_wins() -> None:
    found = knowledge.search("FAILED (remote: 'Download is not allowed on locked devices')")
    assert [e.id for e in found] == ["download-locked"]


# --- every entry in every language ---------------------------------------------------------------


def _fields(entry: knowledge.Entry, language: str) -> dict[str, object]:
    return entry.texts.get(language) or {}


def _placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(
    "language",
    [
        "en",
        "es",
        "fa",
        "ar",
        "ru",
    ],
)
def test_knowledge_base_is_complete(language: str) -> None:
    missing = [
        f"{e.id}.{field}"
        for e in ENTRIES
        for field in ("title", "meaning", "steps")
        if not _fields(e, language).get(field)
    ]
    assert not missing, f"{language}: {len(missing)} missing: {missing[:15]}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_entry_texts_are_well_formed_in_every_language(entry: knowledge.Entry) -> None:
    assert set(entry.texts) <= set(knowledge.LANGUAGES) and "en" in entry.texts
    for constant, *_args in entry.commands.values():
        assert hasattr(commands, constant), f"{entry.id}: commands.{constant} does not exist"
    english = entry.texts["en"]
    steps_en = english.get("steps") or []
    for language, fields in entry.texts.items():
        assert set(fields) <= set(knowledge.FIELDS), (entry.id, language, set(fields))
        if "steps" in fields:
            assert len(fields["steps"]) == len(steps_en), f"{entry.id}/{language}: steps differ in number"
        for field, value in fields.items():
            for text, source in zip(
                value if isinstance(value, list) else [value],
                english[field] if isinstance(english[field], list) else [english[field]],
                strict=True,
            ):
                assert _placeholders(text) == _placeholders(source), (entry.id, language, field, text)
                assert _placeholders(text) <= set(entry.commands), (entry.id, language, field)
        explained = entry.explain(language)
        assert (
            explained.title and explained.meaning and "{" not in explained.meaning + " ".join(explained.steps)
        )


# --- the command line ------------------------------------------------------------------------------


def test_explain_prints_meaning_and_steps(run_cli) -> None:
    r = run_cli("explain", "fastboot: error: FAILED (remote: 'Token   Verify Failed')")
    assert r.returncode == 0, r.stderr
    explained = knowledge.by_id("token-verify").explain("en")
    assert r.stdout.splitlines()[0] == f"{explained.title} [token-verify]"
    assert f"What this means: {explained.meaning}" in r.stdout
    assert "1. Do not reboot between asking Xiaomi and unlocking: run `unlocker unlock` again now" in r.stdout


def test_explain_code_json_in_persian(run_cli) -> None:
    r = run_cli("--lang", "fa", "explain", "20036", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"query", "matches"} and data["query"] == "20036"
    (match,) = data["matches"]
    assert set(match) == {"id", "language", "title", "meaning", "steps", "hint"}
    assert match["id"] == "mi-20036" and match["language"] == "fa"
    assert match["title"] == knowledge.by_id("mi-20036").texts["fa"]["title"]
    assert "\u2068`unlocker unlock`\u2069" in match["steps"][0]


def test_explain_unknown_text_says_so(run_cli) -> None:
    r = run_cli("explain", "the", "phone", "is", "purple")
    assert r.returncode == 1
    assert "does not know this message yet" in r.stderr and "unlocker report" in r.stderr
    assert json.loads(run_cli("explain", "purple", "--json").stdout)["matches"] == []


def test_a_command_that_meets_the_error_prints_the_same_explanation(phone_factory, run_cli, tmp_path) -> None:
    """The phone refuses a flash with its own words; the error printer explains them like `explain`."""
    reply = "Flashing is not allowed in Lock State"
    p = phone_factory(unlocked=True, faults=[parse_fault(f"fail:flash:boot_a={reply}")])
    image = tmp_path / "boot.img"
    image.write_bytes(b"\0" * 4096)
    r = run_cli("flash", "boot", str(image), "-s", p.name, "--yes", "--no-progress")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("unlocker: error:") and reply in lines[0]
    explained = knowledge.by_id("lock-state").explain("en")
    assert lines[1].startswith(f"unlocker: next: {explained.hint}")
    shown = run_cli("explain", reply).stdout.splitlines()[1:]  # without the title line
    assert [line.removeprefix("unlocker: ") for line in lines[2:-1]] == shown
    assert lines[-1] == "unlocker: more: `unlocker explain lock-state`"


def test_the_error_explanation_is_translated(phone_factory, run_cli, tmp_path) -> None:
    p = phone_factory(unlocked=True, faults=[parse_fault("fail:flash:boot_a=Token Verify Failed")])
    image = tmp_path / "boot.img"
    image.write_bytes(b"\0" * 4096)
    r = run_cli("--lang", "es", "flash", "boot", str(image), "-s", p.name, "--yes", "--no-progress")
    spanish = knowledge.by_id("token-verify").explain("es")
    assert f"unlocker: siguiente paso: {spanish.hint}" in r.stderr
    assert f"unlocker: Qué significa: {spanish.meaning}" in r.stderr
