"""`unlocker index validate PATH` on broken copies: every problem named with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unlocker.index import IndexInvalid, load_index, validate_index


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _messages(root: Path) -> list[str]:
    _, issues = validate_index(root)
    return [str(i) for i in issues]


def test_a_clean_copy_validates(index_copy: Path) -> None:
    assert _messages(index_copy) == []


def test_yaml_syntax_error_names_file_and_line(index_copy: Path) -> None:
    device = index_copy / "devices" / "lavender.yaml"
    _replace(device, "vendor: Xiaomi", "vendor: [Xiaomi")
    messages = _messages(index_copy)
    assert len(messages) >= 1
    assert messages[0].startswith("devices/lavender.yaml:")
    assert "YAML syntax error" in messages[0]
    line = int(messages[0].split(":")[1])
    assert line >= _line_of(device, "vendor: [Xiaomi")


def test_schema_violation_names_file_line_and_field(index_copy: Path) -> None:
    device = index_copy / "devices" / "alioth.yaml"
    _replace(device, "ab: true", "ab: maybe")
    _replace(device, "recovery_partition: vendor_boot", "recovery_partition: system")
    messages = _messages(index_copy)
    ab_line = _line_of(device, "ab: maybe")
    rec_line = _line_of(device, "recovery_partition: system")
    assert f"devices/alioth.yaml:{ab_line}: ab: expected boolean or null, found string 'maybe'" in messages
    assert any(
        m.startswith(f"devices/alioth.yaml:{rec_line}: recovery_partition: must be one of") for m in messages
    )


def test_unknown_field_and_missing_field(index_copy: Path) -> None:
    device = index_copy / "devices" / "lavender.yaml"
    _replace(device, "install_method: fastboot_xiaomi\n", "instal_method: fastboot_xiaomi\n")
    messages = _messages(index_copy)
    line = _line_of(device, "instal_method")
    assert any(m.startswith(f"devices/lavender.yaml:{line}: instal_method: unknown field") for m in messages)
    assert any("missing required field 'install_method'" in m for m in messages)


def test_duplicate_key_in_one_file(index_copy: Path) -> None:
    device = index_copy / "devices" / "lavender.yaml"
    _replace(device, "vendor: Xiaomi\n", "vendor: Xiaomi\nvendor: Redmi\n")
    messages = _messages(index_copy)
    assert any("devices/lavender.yaml:" in m and "vendor: duplicate key" in m for m in messages)


def test_duplicate_codename_across_two_files(index_copy: Path) -> None:
    source = (index_copy / "devices" / "lavender.yaml").read_text(encoding="utf-8")
    (index_copy / "devices" / "Lavender.yaml").write_text(
        source.replace("codename: lavender", "codename: Lavender")
    )
    messages = _messages(index_copy)
    assert any(
        m.startswith("devices/lavender.yaml:") and "already the codename in devices/Lavender.yaml" in m
        for m in messages
    ) or any(
        m.startswith("devices/Lavender.yaml:") and "already the codename in devices/lavender.yaml" in m
        for m in messages
    )


def test_codename_must_match_file_name(index_copy: Path) -> None:
    source = (index_copy / "devices" / "lavender.yaml").read_text(encoding="utf-8")
    (index_copy / "devices" / "lavender2.yaml").write_text(source)
    messages = _messages(index_copy)
    line = _line_of(index_copy / "devices" / "lavender2.yaml", "codename:")
    assert (
        f"devices/lavender2.yaml:{line}: codename: 'lavender' must match the file name ('lavender2.yaml')"
        in messages
    )


def test_alias_that_is_another_codename(index_copy: Path) -> None:
    _replace(index_copy / "devices" / "lavender.yaml", "aliases: []", "aliases: [alioth]")
    assert any("alias 'alioth' is the codename of devices/alioth.yaml" in m for m in _messages(index_copy))


def test_unknown_install_method(index_copy: Path) -> None:
    device = index_copy / "devices" / "lavender.yaml"
    _replace(device, "install_method: fastboot_xiaomi", "install_method: fastboot_xiaomi_v9")
    line = _line_of(device, "install_method:")
    assert (
        f"devices/lavender.yaml:{line}: install_method: no install method named 'fastboot_xiaomi_v9' in methods/"
        in _messages(index_copy)
    )


def test_method_using_an_unknown_method(index_copy: Path) -> None:
    method = index_copy / "methods" / "fastboot_xiaomi.yaml"
    _replace(method, "use: lineage_recovery_sideload", "use: lineage_recovery_sideloader")
    line = _line_of(method, "use: lineage_recovery_sideloader")
    assert any(
        m.startswith(f"methods/fastboot_xiaomi.yaml:{line}:") and "no install method named" in m
        for m in _messages(index_copy)
    )


def test_method_cycle_is_reported(index_copy: Path) -> None:
    method = index_copy / "methods" / "lineage_recovery_sideload.yaml"
    method.write_text(method.read_text(encoding="utf-8") + "  - use: fastboot_xiaomi\n", encoding="utf-8")
    assert any("cycle" in m for m in _messages(index_copy))


def test_step_with_two_actions(index_copy: Path) -> None:
    method = index_copy / "methods" / "fastboot_generic_non_ab.yaml"
    _replace(method, "  - reboot: recovery\n", "  - reboot: recovery\n    wait_for: recovery\n")
    line = _line_of(method, "- reboot: recovery")
    assert any(
        m.startswith(f"methods/fastboot_generic_non_ab.yaml:{line}: steps[") for m in _messages(index_copy)
    )


def test_artefact_not_defined_by_the_rom(index_copy: Path) -> None:
    rom = index_copy / "roms" / "crdroid.yaml"
    _replace(
        rom,
        "  dtbo:\n    description: dtbo.img from the maintainer's download folder for this build\n    user_supplied: true\n",
        "",
    )
    messages = _messages(index_copy)
    line = _line_of(rom, "  alioth: {}")
    assert any(
        m.startswith(f"roms/crdroid.yaml:{line}: devices.alioth:") and "needs artefact 'dtbo'" in m
        for m in messages
    )


def test_rom_listing_an_unknown_device(index_copy: Path) -> None:
    rom = index_copy / "roms" / "crdroid.yaml"
    _replace(rom, "  alioth: {}\n", "  alioth: {}\n  aliothx: {}\n")
    line = _line_of(rom, "aliothx")
    assert f"roms/crdroid.yaml:{line}: devices.aliothx: no device file devices/aliothx.yaml" in _messages(
        index_copy
    )


def test_builds_api_env_must_be_a_known_setting(index_copy: Path) -> None:
    rom = index_copy / "roms" / "lineageos.yaml"
    _replace(rom, "env: UNLOCKER_LINEAGE_API_URL", "env: UNLOCKER_LINEAGE_API")
    line = _line_of(rom, "env: UNLOCKER_LINEAGE_API")
    messages = _messages(index_copy)
    assert any(
        m.startswith(f"roms/lineageos.yaml:{line}: builds_api.env:") and "'UNLOCKER_LINEAGE_API'" in m
        for m in messages
    ), messages
    assert "lineageos" not in validate_index(index_copy)[0].roms


def test_shipped_build_without_sha256_is_invalid(index_copy: Path) -> None:
    rom = index_copy / "roms" / "crdroid.yaml"
    _replace(rom, "        sha256: 368525365e29db37e8d2a52796a41aa5de18b5698192685d22c75f0c60e6ebad\n", "")
    assert any("missing required field 'sha256'" in m for m in _messages(index_copy))


def test_load_index_refuses_a_broken_index(index_copy: Path) -> None:
    _replace(index_copy / "devices" / "alioth.yaml", "ab: true", "ab: maybe")
    with pytest.raises(IndexInvalid) as e:
        load_index(index_copy)
    assert "devices/alioth.yaml:" in str(e.value)
    assert "unlocker index validate" in (e.value.hint or "")


def test_cli_validate_lists_each_problem_and_fails(index_copy: Path, run_cli) -> None:
    _replace(index_copy / "devices" / "alioth.yaml", "ab: true", "ab: maybe")
    _replace(
        index_copy / "devices" / "lavender.yaml", "install_method: fastboot_xiaomi", "install_method: nope"
    )
    result = run_cli("index", "validate", str(index_copy))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("devices/alioth.yaml:") and "ab:" in line for line in lines)
    assert any(line.startswith("devices/lavender.yaml:") and "install_method:" in line for line in lines)
    assert "2 problem(s)" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_validate_json(index_copy: Path, run_cli) -> None:
    _replace(index_copy / "devices" / "alioth.yaml", "ab: true", "ab: maybe")
    result = run_cli("index", "validate", str(index_copy), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["issues"][0]["file"] == "devices/alioth.yaml"
    assert report["issues"][0]["field"] == "ab"
    assert report["issues"][0]["line"] > 0


def test_cli_validate_shipped_index(run_cli) -> None:
    result = run_cli("index", "validate", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["issues"] == []
    assert report["devices"] >= 597 and report["builds"] >= 1


def test_cli_validate_missing_directory(tmp_path: Path, run_cli) -> None:
    result = run_cli("index", "validate", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "is not a directory" in result.stdout
    assert "Traceback" not in result.stderr
