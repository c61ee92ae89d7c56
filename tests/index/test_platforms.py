"""The platform names of the index (firmware_index/platforms.yaml): checked by `index validate`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.index.conftest import SHIPPED
from unlocker.index import validate_index
from unlocker.index.platforms import platform_of, read_platforms, validate_platforms


@pytest.fixture
def platforms_copy(tmp_path: Path) -> Path:
    """A directory holding only a copy of the shipped platforms.yaml (read_platforms reads no more)."""
    shutil.copy(SHIPPED / "platforms.yaml", tmp_path / "platforms.yaml")
    return tmp_path


def _edit(root: Path, old: str, new: str) -> Path:
    path = root / "platforms.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def _messages(root: Path, devices: tuple[str, ...] = ("alioth",)) -> list[str]:
    platforms, issues = read_platforms(root)
    issues += validate_platforms(platforms, dict.fromkeys(devices), {})
    return [str(i) for i in issues]


def test_shipped_platform_names() -> None:
    mt6895 = platform_of("k6895v1_64")
    assert mt6895 is not None and mt6895.soc == "MediaTek MT6895" and mt6895.fastbootd_products == ("ossi",)
    assert platform_of("k69v1_64_k510") is not None  # by MediaTek's naming pattern
    assert platform_of("alioth") is None and platform_of("k3gxx") is None and platform_of(None) is None


def test_listed_codenames_must_exist(platforms_copy: Path) -> None:
    path = _edit(platforms_copy, "codenames: []", "codenames: [alioth, nosuchphone]")
    line = _line_of(path, "k6895v1_64:")
    assert _messages(platforms_copy) == [
        f"platforms.yaml:{line}: names.k6895v1_64.codenames: no device file devices/nosuchphone.yaml"
    ]


def test_a_codename_that_looks_like_a_platform_is_refused(platforms_copy: Path) -> None:
    messages = _messages(platforms_copy, devices=("alioth", "k6833v1_64"))
    assert messages == [
        "platforms.yaml: 'k6833v1_64' is a device's codename or alias in the index, and also a platform name"
    ]


def test_schema_problems_name_the_line(platforms_copy: Path) -> None:
    path = _edit(platforms_copy, "soc: MediaTek MT6895", "soc: ''\n    chip: MT6895")
    messages = _messages(platforms_copy)
    assert f"platforms.yaml:{_line_of(path, 'soc: ')}: names.k6895v1_64.soc: must not be empty" in messages
    assert any("names.k6895v1_64.chip: unknown field" in m for m in messages)
    platforms, _issues = read_platforms(platforms_copy)
    assert platforms.names == {} and platforms.patterns == ()  # nothing half-read


def test_bad_regular_expression(platforms_copy: Path) -> None:
    path = _edit(platforms_copy, "(_[a-z0-9]+)*$", "(_[a-z0-9]+*$")
    line = _line_of(path, "- pattern:")
    messages = _messages(platforms_copy)
    assert len(messages) == 1 and messages[0].startswith(
        f"platforms.yaml:{line}: patterns[0].pattern: is not a"
    )


def test_index_validate_checks_the_platform_names(index_copy: Path, run_cli) -> None:
    _edit(index_copy, "codenames: []", "codenames: [nosuchphone]")
    r = run_cli("index", "validate", str(index_copy))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "platforms.yaml:" in r.stdout and "devices/nosuchphone.yaml" in r.stdout
    (index_copy / "platforms.yaml").unlink()  # an index without platform names is fine
    assert validate_index(index_copy)[1] == []


def test_the_shipped_table_is_the_yaml(tmp_path: Path) -> None:
    """`status` reads platform names from platform_table.py; it must say what platforms.yaml says
    (after editing the YAML: python -m unlocker.index.platforms)."""
    from unlocker.index.platform_table import TABLE as shipped
    from unlocker.index.platforms import TABLE, from_table, to_table, write_table

    platforms, issues = read_platforms()
    assert issues == []
    assert shipped == to_table(platforms)
    written = tmp_path / "platform_table.py"
    write_table(written)
    assert written.read_bytes() == Path(TABLE).read_bytes()  # as the module regenerates it
    table = from_table(shipped)
    assert (table.names, table.patterns) == (platforms.names, platforms.patterns)


# Patterns with the shapes a literal start must stop at or give up on, beside the shipped ones.
_TRICKY_PATTERNS = [
    "^ab?c", "^ab*c", "^ab{0,2}c", "^ab+c", "abc", "^a.c", "^a|k6", "(?i)^K6", "^a\\.b", "^[kK]6",
    "^k6(8|9)", "^k$", "^", "^$", "^k62v1_64$", "^mt[0-9]{4}",
]  # fmt: skip
_PRODUCTS = [
    "", "k", "K", "k6", "K6895v1_64", "k6895v1_64", "k69v1_64_k510", "k62v1_64", "k62v1_64_bsp", "k3gxx",
    "kona", "alioth", "lavender", "ossi", "ab", "ac", "abc", "abbc", "abbbc", "a.b", "axb", "a.c",
    "xk69v1_64", "mt6785", "MT6785", "k69", "k68", "k6x", " k69v1_64", "k69v1_64 ",
]  # fmt: skip


def test_a_pattern_is_compiled_only_for_names_it_may_match() -> None:
    """The literal start skips ``re`` for most products; it must never skip a name re would match."""
    import re

    from unlocker.index.platforms import NamePattern, literal_start

    platforms, _issues = read_platforms()
    shipped = [pattern.pattern for pattern, _vendor in platforms.patterns]
    assert shipped and all(literal_start(p) for p in shipped)  # each of them can skip
    for source in [*shipped, *_TRICKY_PATTERNS]:
        for product in _PRODUCTS:
            expected = re.match(source, product)
            got = NamePattern(source).match(product)
            assert (got and got.group()) == (expected and expected.group()), (source, product)
            if expected is not None:
                assert product.startswith(literal_start(source)), (source, product)
    assert [literal_start(p) for p in ("^ab?c", "^ab+c", "^a|k6", "(?i)^K6", "^a\\.b", "^k6(8|9)")] == [
        "a", "ab", "", "", "a", "",
    ]  # fmt: skip


def test_a_codename_needs_no_regular_expression() -> None:
    """``status`` of a phone whose product is its codename compiles no pattern."""
    from unlocker.index.platforms import from_table, to_table

    platforms = from_table(to_table(read_platforms()[0]))
    assert platforms.lookup("alioth") is None and platforms.lookup("lavender") is None
    assert all(pattern._compiled is None for pattern, _vendor in platforms.patterns)
    assert platforms.lookup("k69v1_64_k510") is not None
    assert all(pattern._compiled is not None for pattern, _vendor in platforms.patterns)
