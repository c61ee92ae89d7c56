"""The user directories: the same folders platformdirs gives (existing users' Mi session and Mi
Unlock ledger stay where they are), and a runtime dir for the phone locks that no other local
user can have prepared."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from unlocker import paths

pytestmark = pytest.mark.skipif(not paths._uses_xdg(), reason="XDG rules: Linux and the BSDs")

KINDS = {"config": "XDG_CONFIG_HOME", "cache": "XDG_CACHE_HOME", "state": "XDG_STATE_HOME"}


def _environments(tmp: Path) -> dict[str, dict[str, str | None]]:
    """Name -> changes to the environment (None: unset) for every XDG variable and HOME."""
    home = str(tmp / "home")
    every = {v: None for v in KINDS.values()}
    return {
        "unset": {**every, "HOME": home},
        "set": {**{v: str(tmp / v.lower()) for v in KINDS.values()}, "HOME": home},
        "set with a trailing slash": {**{v: f"{tmp / v.lower()}/" for v in KINDS.values()}, "HOME": home},
        "empty": {**{v: "" for v in KINDS.values()}, "HOME": home},
        "blank": {**{v: "  " for v in KINDS.values()}, "HOME": home},
        "relative": {**{v: "relative/dir" for v in KINDS.values()}, "HOME": home},
        "blank before an absolute path": {**{v: f" {tmp}" for v in KINDS.values()}, "HOME": home},
        "home with a trailing slash": {**every, "HOME": home + "/"},
        "home is the root": {**every, "HOME": "/"},
        "home unset": {**every, "HOME": None},
        "home relative": {**every, "HOME": "somewhere"},
    }


@pytest.mark.parametrize("case", list(_environments(Path("/x"))))
@pytest.mark.parametrize("kind", list(KINDS))
def test_the_user_dirs_are_platformdirs_own(
    case: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platformdirs = pytest.importorskip("platformdirs")
    for name, value in _environments(tmp_path)[case].items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    expected = getattr(platformdirs, f"user_{kind}_dir")("unlocker")
    assert paths._platform_dir(kind) == expected
    assert os.path.isabs(expected)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_public_functions_make_and_return_that_folder(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(f"UNLOCKER_{kind.upper()}_DIR", raising=False)
    monkeypatch.delenv(KINDS[kind], raising=False)
    found = getattr(paths, f"{kind}_dir")()
    assert isinstance(found, Path) and found.is_dir()
    assert (
        found
        == tmp_path / {"config": ".config", "cache": ".cache", "state": ".local/state"}[kind] / "unlocker"
    )
    monkeypatch.setenv(f"UNLOCKER_{kind.upper()}_DIR", str(tmp_path / "mine"))
    assert getattr(paths, f"{kind}_dir")() == tmp_path / "mine"


@pytest.fixture
def runtime_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No XDG_RUNTIME_DIR and no system runtime dir; the state dir in tmp_path. Returns the fallback."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(paths, "_default_runtime_dir", lambda: str(tmp_path / "no-such-run-dir"))
    monkeypatch.setenv("UNLOCKER_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state" / "run"


def _private(path: Path) -> Path:
    path.mkdir(mode=0o700)
    path.chmod(0o700)
    return path


def test_runtime_dir_is_in_a_private_xdg_runtime_dir(
    runtime_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _private(tmp_path / "run")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
    assert paths.runtime_dir_str() == str(base / "unlocker")
    assert paths.runtime_dir() == base / "unlocker"
    assert stat.S_IMODE((base / "unlocker").stat().st_mode) == 0o700


def test_runtime_dir_is_the_systems_usual_one_when_the_variable_is_unset(
    runtime_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _private(tmp_path / "run-user")
    monkeypatch.setattr(paths, "_default_runtime_dir", lambda: str(base))
    assert paths.runtime_dir_str() == str(base / "unlocker")


def test_runtime_dir_is_in_the_state_dir_without_a_runtime_dir(runtime_env: Path) -> None:
    assert paths.runtime_dir_str() == str(runtime_env)
    assert stat.S_IMODE(runtime_env.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "problem",
    ["relative", "missing", "open to others", "a link", "a file", "in a folder others can write to"],
)
def test_a_runtime_dir_others_could_reach_is_not_used(
    problem: str, runtime_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if problem == "relative":
        value = "run"
        _private(tmp_path / "run")
        monkeypatch.chdir(tmp_path)
    elif problem == "missing":
        value = str(tmp_path / "missing")
    elif problem == "open to others":
        value = str(tmp_path / "open")
        (tmp_path / "open").mkdir()
        (tmp_path / "open").chmod(0o755)
    elif problem == "a link":
        value = str(tmp_path / "link")
        os.symlink(_private(tmp_path / "real"), value)
    elif problem == "a file":
        value = str(tmp_path / "file")
        Path(value).write_bytes(b"")
        Path(value).chmod(0o700)
    else:
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(0o777)  # without the sticky bit, anyone may rename what is in it
        value = str(_private(shared / "run"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", value)
    assert paths.runtime_dir_str() == str(runtime_env)


def test_finding_the_dirs_imports_neither_platformdirs_nor_pathlib(tmp_path: Path) -> None:
    import subprocess

    code = (
        "import sys\n"
        "from unlocker import paths\n"
        "paths.runtime_dir_str()\n"
        "paths._platform_dir('config')\n"
        "print(sorted({'platformdirs', 'pathlib', 'tempfile'} & set(sys.modules)))\n"
    )
    env = {**os.environ, "UNLOCKER_STATE_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).parent.parent)}
    run = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
