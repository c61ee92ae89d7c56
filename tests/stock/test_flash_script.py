"""flash_all*.sh read as data: the shapes Xiaomi uses are understood, anything else is reported."""

from __future__ import annotations

import pytest

from tests.stock.builders import ROM_FLASHES, STORAGE_FLASHES, RomSpec, _script
from unlocker.stock.flash_script import ERASE, FLASH, REBOOT, SET_ACTIVE, parse_script


def test_a_current_xiaomi_script() -> None:
    script = parse_script("flash_all.sh", _script(RomSpec(), ROM_FLASHES + STORAGE_FLASHES, "reboot"))
    assert not script.problems and not script.relocks
    assert script.codename == "alioth" and not script.codename_anchored  # Xiaomi's grep is a prefix match
    assert (
        script.anti_checked and script.anti_file == "images/anti_version.txt" and script.anti_literal is None
    )
    assert script.device_anti_variable == "anti"
    kinds = [s.kind for s in script.steps]
    assert kinds[:3] == [FLASH, FLASH, ERASE] and kinds[-2:] == [SET_ACTIVE, REBOOT]
    crc = [s for s in script.steps if s.when_crc]
    assert [s.partition for s in crc] == ["crclist", "sparsecrclist"]
    abl = next(s for s in script.steps if s.partition == "abl_ab")
    assert abl.file == "images/abl.elf" and abl.line > 0


def test_an_older_script_with_the_index_written_in() -> None:
    text = "\n".join(
        [
            'fastboot $* getvar product 2>&1 | grep "^product: *lavender$"',
            'if [ $? -ne 0 ] ; then echo "error : Missmatching image and device"; exit 1; fi',
            "CURRENT_ANTI_VER=4",
            """version=`fastboot getvar rollback_ver 2>&1 | grep "rollback_ver:" | awk -F ": " '{print $2}'`""",
            'if [  "${version}"x == ""x ] ; then version=0 ; fi',
            'if [ ${version} -gt ${CURRENT_ANTI_VER} ] ; then  echo "error : too new" ; exit 1 ; fi',
            "fastboot $* flash xbl `dirname $0`/images/xbl.elf || exit 1",
            'fastboot $* flash tz "$(dirname "$0")/images/tz.mbn" || @echo "Flash tz error" && exit 1',
            "fastboot $* reboot",
        ]
    )
    script = parse_script("flash_all.sh", text)
    assert not script.problems, script.problems
    assert script.codename == "lavender" and script.codename_anchored
    assert script.anti_literal == 4 and script.device_anti_variable == "rollback_ver"
    assert [(s.partition, s.file) for s in script.steps[:2]] == [
        ("xbl", "images/xbl.elf"),
        ("tz", "images/tz.mbn"),
    ]


def test_the_lock_variant_and_lock_lines_are_recorded_never_steps() -> None:
    script = parse_script("flash_all_lock.sh", _script(RomSpec(), ROM_FLASHES, "oem lock"))
    assert script.relocking_name
    assert [r.text for r in script.relocks] == ["fastboot $* oem lock"]
    assert all(s.kind != REBOOT for s in script.steps)
    for line in ("fastboot flashing lock", "fastboot $* oem lock_critical"):
        assert parse_script("flash_all.sh", line).relocks


@pytest.mark.parametrize(
    "line",
    [
        "rm -rf ~",
        "fastboot $* boot `dirname $0`/images/twrp.img",
        "fastboot $* flash abl_ab /etc/passwd",
        "fastboot $* flash abl_ab `dirname $0`/../../secret.img",
        "fastboot $* flash abl_ab $HOME/abl.elf",
        "fastboot $* oem unlock",
        "fastboot $* -w",
        "fastboot $* flash abl_ab `dirname $0`/images/abl.elf || rm -rf ~",
        "exit 1",
        'if [ "$(uname)" = Linux ]; then fastboot $* flash abl `dirname $0`/images/abl.elf; fi',
        "if [ -e /tmp/x ]; then CURRENT_ANTI_VER=9; fi",
        "fastboot $* getvar product 2>&1 | sh",
        "CURRENT_ANTI_VER=`curl http://example.invalid/anti`",
        "fastboot $* reboot bootloader",
        "if [ $? -ne 0 ] ; then echo x",
    ],
)
def test_anything_else_is_a_problem_never_a_step(line: str) -> None:
    script = parse_script("flash_all.sh", line)
    assert script.problems, line
    assert all(s.file in (None, "images/abl.elf") for s in script.steps)
    assert not any(s.file and (s.file.startswith("/") or ".." in s.file) for s in script.steps)


def test_comments_are_not_commands() -> None:
    script = parse_script(
        "flash_all.sh", "#fastboot $* flash modemfirmware_ab `dirname $0`/images/MODEM-FW.bin\n"
    )
    assert not script.steps and not script.problems
