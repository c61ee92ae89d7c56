"""The translation catalogues: complete, well formed, compiled into the wheel, and chosen right.

Every message in the code must have a translation in every shipped catalogue with the same
placeholders. Spanish is complete now; Persian, Arabic and Russian cover status, explain, guide
and the common errors and are completed from the final template after this round's merges.
"""

from __future__ import annotations

import gettext
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from unlocker import i18n, i18n_po, i18n_tools
from unlocker.i18n import FSI, PDI, _
from unlocker.i18n_po import Catalogue, Entry

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("es", "fa", "ar", "ru")


@pytest.fixture(scope="module")
def template() -> Catalogue:
    return i18n_tools.extract()


def problems_of(template: Catalogue, language: str) -> list[i18n_tools.Problem]:
    return i18n_tools.check_catalogue(template, i18n_po.read(i18n_tools.po_path(language)), language)


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.set_language("en")


def test_template_is_up_to_date(template: Catalogue) -> None:
    """`python -m unlocker.i18n_tools update` was run after the messages last changed."""
    shipped = i18n_tools.TEMPLATE.read_text(encoding="utf-8")
    assert i18n_po.format_catalogue(template) == shipped, (
        "the template is stale: run `python -m unlocker.i18n_tools update` and translate what is new"
    )


def test_every_shipped_language_has_a_catalogue() -> None:
    assert set(i18n_tools.languages()) == set(SHIPPED)


@pytest.mark.parametrize(
    "language",
    ["es", "fa", "ar", "ru"],
)
def test_catalogue_is_complete_with_matching_placeholders(template: Catalogue, language: str) -> None:
    problems = problems_of(template, language)
    assert not problems, f"{len(problems)} problem(s), first ones:\n" + "\n".join(map(str, problems[:20]))


@pytest.mark.parametrize("language", ["fa", "ar", "ru"])
def test_partial_catalogues_have_no_wrong_placeholders(template: Catalogue, language: str) -> None:
    """What is translated already must be right, even before the catalogue is complete."""
    wrong = [p for p in problems_of(template, language) if p.problem != "not translated"]
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("language", ["fa", "ar", "ru"])
def test_partial_catalogues_cover_status_explain_guide_and_common_errors(language: str) -> None:
    catalogue = i18n_po.read(i18n_tools.po_path(language)).by_key()
    for message in (
        "Next step: {step}",
        "Bootloader is locked: run {unlock} (this erases all data on the phone).",
        "What this means: {meaning}",
        "Let Xiaomi undo the block",
        "unlocker: error: {message}",
        "{phone}: cannot connect ({reason})",
    ):
        assert catalogue[message].translated, message


# --- the checker and the tools can fail --------------------------------------------------------


def _catalogue(*entries: Entry) -> Catalogue:
    return Catalogue(Entry("", msgstr=["Content-Type: text/plain; charset=UTF-8\n"]), list(entries))


def test_check_finds_missing_fuzzy_and_placeholder_mismatches() -> None:
    template = _catalogue(
        Entry("{phone} is locked"),
        Entry("Done."),
        Entry("Wait."),
        Entry("{a} and {b}", flags=["python-brace-format"]),
    )
    translated = _catalogue(
        Entry("{phone} is locked", msgstr=["{telefono} está bloqueado"]),
        Entry("Done.", msgstr=["Hecho."], flags=["fuzzy"]),
        Entry("{a} and {b}", msgstr=["{a} y {b"]),
    )
    found = {p.msgid: p.problem for p in i18n_tools.check_catalogue(template, translated, "es")}
    assert found["{phone} is locked"].startswith("placeholders differ")
    assert found["Done."].startswith("fuzzy")
    assert found["Wait."] == "not translated"
    assert found["{a} and {b}"].startswith("placeholders differ")


def test_extract_reads_gettext_marks_and_translator_comments() -> None:
    source = (
        "from unlocker.i18n import N_, _, ngettext\n"
        "# Translators: a phone's name goes in\n"
        "a = _('{phone} is ready')\n"
        "b = N_('marked')\n"
        "c = ngettext('{n} phone', '{n} phones', n)\n"
        "d = _(variable)\n"
    )
    found = i18n_tools.messages_in_source(source, "x.py")
    assert [e.msgid for e in found] == ["{phone} is ready", "marked", "{n} phone"]
    assert found[0].extracted == ["Translators: a phone's name goes in"]
    assert found[2].msgid_plural == "{n} phones" and found[0].flags == ["python-brace-format"]


def test_merge_keeps_translations_and_keeps_removed_ones_obsolete() -> None:
    template = _catalogue(Entry("new"), Entry("kept"))
    old = _catalogue(Entry("kept", msgstr=["guardado"]), Entry("gone", msgstr=["ido"]))
    merged = i18n_tools.merge(template, old, "es")
    assert [(e.msgid, e.msgstr, e.obsolete) for e in merged.entries] == [
        ("new", [""], False),
        ("kept", ["guardado"], False),
        ("gone", ["ido"], True),
    ]
    # an obsolete translation comes back when its message does
    again = i18n_tools.merge(_catalogue(Entry("gone")), merged, "es")
    assert again.entries[0].msgstr == ["ido"] and not again.entries[0].obsolete


@pytest.mark.parametrize("language", SHIPPED)
def test_po_files_round_trip(language: str) -> None:
    path = i18n_tools.po_path(language)
    text = path.read_text(encoding="utf-8")
    assert i18n_po.format_catalogue(i18n_po.parse(text, str(path))) == text


def test_malformed_po_names_the_line() -> None:
    with pytest.raises(ValueError, match="x.po:2"):
        i18n_po.parse('msgid "a"\nmsgstr "unterminated\n', "x.po")


def test_mo_is_read_by_gettext_with_plurals(tmp_path: Path) -> None:
    catalogue = _catalogue(
        Entry("Phone", msgstr=["Телефон"]),
        Entry(
            "{n} phone", msgid_plural="{n} phones", msgstr=["{n} телефон", "{n} телефона", "{n} телефонов"]
        ),
        Entry("untranslated"),
    )
    catalogue.header.msgstr = [i18n_tools._header_text("ru")]
    translations = gettext.GNUTranslations(io.BytesIO(i18n_po.mo_bytes(catalogue)))
    assert translations.gettext("Phone") == "Телефон"
    assert translations.gettext("untranslated") == "untranslated"
    assert [translations.ngettext("{n} phone", "{n} phones", n) for n in (1, 3, 5, 21)] == [
        "{n} телефон",
        "{n} телефона",
        "{n} телефонов",
        "{n} телефон",
    ]


# --- choosing the language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "environment,expected",
    [
        ({"LANG": "fa_IR.UTF-8"}, "fa"),
        ({"LANG": "es_CU.UTF-8"}, "es"),
        ({"LC_ALL": "ar_SY.UTF-8", "LANG": "es_ES.UTF-8"}, "ar"),
        ({"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "es_ES.UTF-8"}, "ru"),
        ({"LANGUAGE": "fr:es", "LANG": "ru_RU.UTF-8"}, "es"),
        ({"LANGUAGE": "en:fa", "LANG": "fa_IR.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"UNLOCKER_LANG": "ru", "LANG": "fa_IR.UTF-8"}, "ru"),
        ({}, "en"),
    ],
)
def test_language_comes_from_the_environment(monkeypatch, environment: dict[str, str], expected: str) -> None:
    for name in ("UNLOCKER_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert i18n.set_language(None) == expected
    assert i18n.set_language("es") == "es"  # --lang wins over everything


def test_messages_follow_the_language() -> None:
    i18n.set_language("es")
    assert _("Next step: {step}").format(step="x") == "Siguiente paso: x"
    i18n.set_language("en")
    assert _("Next step: {step}") == "Next step: {step}"


def test_rtl_values_are_isolated_and_ltr_ones_are_not() -> None:
    i18n.set_language("fa")
    assert i18n.is_rtl()
    text = _("Next step: {step}").format(step="`unlocker unlock`")
    assert f"{FSI}`unlocker unlock`{PDI}" in text
    assert _("{size} bytes ({mib} MiB)").format(size=805306368, mib=f"{768:>4}").count(FSI) == 2
    i18n.set_language("es")
    assert FSI not in _("Next step: {step}").format(step="`unlocker unlock`")


# --- the wheel -----------------------------------------------------------------------------------


def test_wheel_contains_compiled_catalogues_rules_and_knowledge(tmp_path: Path) -> None:
    """Build the wheel from a copy of the source tree (no .mo there) with the build backend."""
    source = tmp_path / "src"
    for name in ("unlocker", "udev"):  # the firmware index is left out: it only makes the build slower
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, source / name)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_wheel({str(out)!r})"],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = out.glob("unlocker-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for language in SHIPPED:
            assert f"unlocker/locale/{language}/LC_MESSAGES/unlocker.mo" in names
        assert "unlocker/support/udev_rules/51-unlocker.rules" in names
        assert "unlocker/knowledge.yaml" in names
        spanish = gettext.GNUTranslations(
            io.BytesIO(archive.read("unlocker/locale/es/LC_MESSAGES/unlocker.mo"))
        )
    assert spanish.gettext("Next step: {step}") == "Siguiente paso: {step}"


@pytest.mark.parametrize("language", SHIPPED)
def test_the_catalogue_read_in_place_answers_as_gettext_does(language: str) -> None:
    """i18n reads a catalogue by binary search in the .mo file; it must give GNUTranslations' answers."""
    path = i18n.catalogue_path(language)
    assert path is not None
    data = path.read_bytes()
    reference = gettext.GNUTranslations(io.BytesIO(data))
    ours = i18n.SortedCatalogue(data)
    singles = [key for key in reference._catalog if isinstance(key, str)]
    plurals = {key[0] for key in reference._catalog if isinstance(key, tuple)}
    assert len(singles) > 1000 and plurals
    for message in singles:
        assert ours.gettext(message) == reference.gettext(message), message
    for message in ["not a message of ours", "Usage:x", "", "\uffff"]:
        assert ours.gettext(message) == reference.gettext(message)
    for template_entry in i18n_tools.extract().entries:
        if template_entry.msgid_plural and template_entry.msgid in plurals:
            for n in (0, 1, 2, 5, 11, 21, 100):
                assert ours.ngettext(
                    template_entry.msgid, template_entry.msgid_plural, n
                ) == reference.ngettext(template_entry.msgid, template_entry.msgid_plural, n)
