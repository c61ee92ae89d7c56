"""The command line speaks the owner's language: from LANG and friends, UNLOCKER_LANG or --lang."""

from __future__ import annotations

import json

from tests.contracts import STATUS_KEYS
from unlocker import i18n_po, i18n_tools

FSI, PDI = "\u2068", "\u2069"


def translation(language: str, message: str) -> str:
    entry = i18n_po.read(i18n_tools.po_path(language)).by_key()[message]
    assert entry.translated, message
    return entry.msgstr[0]


def test_persian_status_from_lang(phone, run_cli) -> None:
    r = run_cli("status", "-s", phone.name, env={"LANG": "fa_IR.UTF-8"})
    assert r.returncode == 0, r.stderr
    assert translation("fa", "Product (codename)") in r.stdout
    step = translation("fa", "Bootloader is locked: run {unlock} (this erases all data on the phone).")
    head = step.split("{unlock}")[0]
    assert head in r.stdout
    # the command a person must type stays intact, isolated from the right-to-left text
    assert f"{FSI}`unlocker unlock`{PDI}" in r.stdout
    assert "Next step" not in r.stdout


def test_persian_json_keeps_english_keys_and_translates_the_sentence(phone, run_cli) -> None:
    r = run_cli("status", "-s", phone.name, "--json", env={"LANG": "fa_IR.UTF-8"})
    report = json.loads(r.stdout)
    assert set(report) == STATUS_KEYS
    assert report["mode"] == "bootloader" and report["unlocked"] is False
    assert "`unlocker unlock`" in report["next_step"] and "Bootloader is locked" not in report["next_step"]


def test_lang_option_gives_spanish(phone, run_cli) -> None:
    r = run_cli("--lang", "es", "status", "-s", phone.name, env={"LANG": "fa_IR.UTF-8"})
    assert r.returncode == 0, r.stderr
    assert "Siguiente paso: El gestor de arranque está bloqueado" in r.stdout
    assert FSI not in r.stdout  # isolates only in right-to-left languages


def test_unlocker_lang_and_languages_errors_too(run_cli) -> None:
    r = run_cli("status", "-s", "tcp:127.0.0.1:1", env={"UNLOCKER_LANG": "ru"})
    assert r.returncode == 1
    assert r.stderr.startswith("unlocker: ошибка: tcp:127.0.0.1:1: не удаётся подключиться")


def test_help_texts_follow_lang_even_for_lazily_loaded_commands(run_cli) -> None:
    main = run_cli("--lang", "es", "--help")
    assert "Códigos de salida:" in main.stdout and "Idioma de los mensajes" in main.stdout
    # click's own words too
    assert main.stdout.startswith("Uso: unlocker") and "Opciones:" in main.stdout
    assert "Mostrar este mensaje y salir." in main.stdout and "Mostrar la versión y salir." in main.stdout
    sub = run_cli("--lang", "es", "status", "--help")
    assert "Informa del estado del bloqueo" in sub.stdout
    english = run_cli("status", "--help", env={"LANG": "C"})
    assert "Report lock state" in english.stdout


def test_unknown_language_is_a_usage_error(run_cli) -> None:
    r = run_cli("--lang", "xx", "status")
    assert r.returncode == 2
    assert "no translation for 'xx'" in r.stderr and "es" in r.stderr and "Traceback" not in r.stderr
    persian = run_cli("--lang", "fa", "status", "--bogus")
    assert (
        persian.returncode == 2 and "'--bogus'" in persian.stderr and "No such option" not in persian.stderr
    )


def test_unknown_environment_language_falls_back_to_english(phone, run_cli) -> None:
    r = run_cli("status", "-s", phone.name, env={"LANG": "de_DE.UTF-8"})
    assert "Next step: Bootloader is locked" in r.stdout
