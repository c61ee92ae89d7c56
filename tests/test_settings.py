"""``unlocker.settings`` is the one list of ``UNLOCKER_*`` variables, and the one place that reads them.

Static checks over the package (nothing else reads an ``UNLOCKER_*`` variable; every name that
appears anywhere is listed; the README documents each) and unit tests of the readers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.i18n_check import dotted_name
from unlocker import settings

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "unlocker"
SETTINGS = PACKAGE / "settings.py"
PREFIX = "UNLOCKER_"
NAME = re.compile(rb"\bUNLOCKER_[A-Z0-9_]*[A-Z0-9]\b")
LISTED = {v.name for v in settings.VARIABLES}


# --- nothing but unlocker.settings reads UNLOCKER_* -------------------------------------------


def _is_environ(node: ast.AST) -> bool:
    return dotted_name(node) in ("os.environ", "environ")


def _environ_keys(tree: ast.AST) -> Iterator[tuple[ast.expr, ast.AST]]:
    """(key expression, node) for every read of the environment in ``tree``.

    ``os.environ.get(K)`` / ``.pop`` / ``.setdefault``, ``os.environ[K]`` (read), ``K in os.environ``,
    ``os.getenv(K)``.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "pop", "setdefault")
                and _is_environ(func.value)
            ) or dotted_name(func) in ("os.getenv", "getenv"):
                yield node.args[0], node
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value):
            yield node.slice, node
        elif (
            isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            and any(_is_environ(c) for c in node.comparators)
        ):
            yield node.left, node


def _unlocker_literal(node: ast.AST | None) -> str | None:
    """The ``UNLOCKER_*`` text of a string literal (or the leading text of an f-string), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(PREFIX):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str) and head.value.startswith(PREFIX):
            return head.value + "{...}"
    return None


def _string_bindings(body: list[ast.stmt]) -> dict[str, str]:
    """Module-level ``NAME = "UNLOCKER_..."`` constants."""
    found = {}
    for statement in body:
        if isinstance(statement, ast.Assign):
            text = _unlocker_literal(statement.value)
            for target in statement.targets:
                if text and isinstance(target, ast.Name):
                    found[target.id] = text
    return found


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) for every place ``source`` reads an ``UNLOCKER_*`` variable itself."""
    tree = ast.parse(source)
    constants = _string_bindings(tree.body)
    problems: list[tuple[int, str]] = []
    # Helpers that read the environment with one of their parameters: name -> {index: parameter}.
    helpers: dict[str, dict[int, str]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        parameters = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
        for key, _node in _environ_keys(function):
            if isinstance(key, ast.Name) and key.id in parameters:
                helpers.setdefault(function.name, {})[parameters.index(key.id)] = key.id
    for key, node in _environ_keys(tree):
        text = _unlocker_literal(key)
        if text is None and isinstance(key, ast.Name):
            text = constants.get(key.id)
        if text:
            problems.append((node.lineno, f"reads {text} from the environment"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted_name(node.func)
        name = name.rsplit(".", 1)[-1] if name else None
        for index, parameter in helpers.get(name or "", {}).items():
            argument = node.args[index] if index < len(node.args) else None
            argument = argument or next((k.value for k in node.keywords if k.arg == parameter), None)
            text = _unlocker_literal(argument)
            if text:
                problems.append((node.lineno, f"reads {text} from the environment through {name}()"))
        for keyword in node.keywords:
            values = (
                keyword.value.elts if isinstance(keyword.value, (ast.List, ast.Tuple)) else [keyword.value]
            )
            if keyword.arg == "envvar":
                for value in values:
                    text = _unlocker_literal(value)
                    if text:
                        problems.append((node.lineno, f"click option reads {text} (envvar=)"))
            if keyword.arg == "auto_envvar_prefix":
                problems.append((node.lineno, "auto_envvar_prefix= makes click read UNLOCKER_* itself"))
            settings_keys = keyword.value.keys if isinstance(keyword.value, ast.Dict) else []
            if keyword.arg == "context_settings" and any(
                isinstance(k, ast.Constant) and k.value == "auto_envvar_prefix" for k in settings_keys
            ):
                problems.append((node.lineno, "auto_envvar_prefix makes click read UNLOCKER_* itself"))
    return sorted(problems)


def test_checker_finds_every_way_of_reading() -> None:
    code = """
import os
from os import environ
import click

PREFIX_VAR = "UNLOCKER_X"
a = os.environ.get("UNLOCKER_A")
b = os.environ["UNLOCKER_B"]
c = os.getenv("UNLOCKER_C", "1")
d = "UNLOCKER_D" in os.environ
e = environ.get(PREFIX_VAR)
f = os.environ.get(f"UNLOCKER_{name}")

def _dir(variable, default):
    return os.environ.get(variable) or default

g = _dir("UNLOCKER_G", "/tmp")
opt = click.option("--h", envvar="UNLOCKER_H")
opt2 = click.option("--i", envvar=["X", "UNLOCKER_I"])
ok = os.environ.get("TERM"), _dir("HOME", "/")
os.environ["UNLOCKER_WRITE_IS_NOT_A_READ"] = "1"
group = click.group(context_settings={"auto_envvar_prefix": "UNLOCKER"})
"""
    lines = [line for line, _what in environment_reads(code)]
    assert lines == [7, 8, 9, 10, 11, 12, 17, 18, 19, 22], environment_reads(code)


def test_only_settings_reads_unlocker_variables() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == SETTINGS or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(REPO).as_posix()
        problems += [f"{rel}:{line}: {what}" for line, what in environment_reads(path.read_text())]
    assert not problems, "use unlocker.settings.get/get_float/get_flag instead:\n" + "\n".join(problems)


# --- every UNLOCKER_* name is listed, and documented ------------------------------------------


def _files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def _names_in(*roots: Path, skip: tuple[Path, ...] = ()) -> dict[str, list[str]]:
    """Every ``UNLOCKER_*`` name in any file (code, YAML, JSON, catalogues) -> where it appears."""
    found: dict[str, list[str]] = {}
    for path in _files(*roots):
        if path in skip:
            continue
        for match in NAME.finditer(path.read_bytes()):
            found.setdefault(match.group().decode(), []).append(path.relative_to(REPO).as_posix())
    return found


def test_every_variable_mentioned_is_listed() -> None:
    names = _names_in(PACKAGE, REPO / "firmware_index")
    unlisted = {name: sorted(set(where)) for name, where in names.items() if name not in LISTED}
    assert not unlisted, f"add these to unlocker.settings.VARIABLES: {unlisted}"


def test_every_listed_variable_is_used() -> None:
    names = _names_in(PACKAGE, REPO / "firmware_index", skip=(SETTINGS,))
    unused = sorted(LISTED - set(names))
    assert not unused, f"listed in unlocker.settings.VARIABLES but never read: {unused}"


def test_readme_documents_every_variable() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [v.name for v in settings.VARIABLES if v.name not in readme]
    assert not missing, (
        f"README.md does not mention {missing}; paste the table of `python -m unlocker.settings`"
    )


def test_variables_are_unique_and_well_formed() -> None:
    names = [v.name for v in settings.VARIABLES]
    assert len(names) == len(set(names))
    for variable in settings.VARIABLES:
        assert re.fullmatch(r"UNLOCKER_[A-Z0-9_]*[A-Z0-9]", variable.name), variable.name
        assert variable.meaning and variable.default, variable.name
    table = settings.markdown_table()
    assert all(f"`{name}`" in table for name in names)


# --- the readers ------------------------------------------------------------------------------

TIMEOUT = "UNLOCKER_RESPONSE_TIMEOUT"
DEBUG = "UNLOCKER_DEBUG"
URL = "UNLOCKER_MI_ACCOUNT_URL"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in settings.VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    return monkeypatch


def test_unset_gives_defaults(env: pytest.MonkeyPatch) -> None:
    assert settings.get(URL) is None
    assert settings.get_float(TIMEOUT, 30.0) == 30.0
    assert settings.get_flag(DEBUG) is False


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_empty_is_unset(env: pytest.MonkeyPatch, value: str) -> None:
    for name in (URL, TIMEOUT, DEBUG):
        env.setenv(name, value)
    assert settings.get(URL) is None
    assert settings.get_float(TIMEOUT, 30.0) == 30.0
    assert settings.get_flag(DEBUG) is False


def test_get_strips_the_value(env: pytest.MonkeyPatch) -> None:
    env.setenv(URL, "  http://127.0.0.1:8080  ")
    assert settings.get(URL) == "http://127.0.0.1:8080"


@pytest.mark.parametrize(("value", "expected"), [("5", 5.0), ("0.25", 0.25), (" 2.5 ", 2.5), ("1e1", 10.0)])
def test_get_float_reads_positive_numbers(env: pytest.MonkeyPatch, value: str, expected: float) -> None:
    env.setenv(TIMEOUT, value)
    assert settings.get_float(TIMEOUT, 30.0) == expected


@pytest.mark.parametrize("value", ["abc", "5s", "1,5", "0", "0.0", "-3", "-0.5"])
def test_get_float_falls_back_on_bad_or_non_positive(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv(TIMEOUT, value)
    assert settings.get_float(TIMEOUT, 30.0) == 30.0


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "Yes", "on", " on "])
def test_get_flag_on(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv(DEBUG, value)
    assert settings.get_flag(DEBUG) is True


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "2", "debug"])
def test_get_flag_off(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv(DEBUG, value)
    assert settings.get_flag(DEBUG) is False


def test_unlisted_name_raises_key_error(env: pytest.MonkeyPatch) -> None:
    env.setenv("UNLOCKER_NOT_A_SETTING", "1")
    with pytest.raises(KeyError, match="UNLOCKER_NOT_A_SETTING"):
        settings.get("UNLOCKER_NOT_A_SETTING")
    with pytest.raises(KeyError):
        settings.get_float("UNLOCKER_NOT_A_SETTING", 1.0)
    with pytest.raises(KeyError):
        settings.get_flag("UNLOCKER_NOT_A_SETTING")
