"""Fixtures for the adb tests: private key dirs, one RSA key for the session, phones in recovery."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunningPhone
from unlocker.emulator.recovery import RecoveryOptions


@pytest.fixture(scope="session")
def session_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One adb key pair for the whole run: RSA-2048 generation costs ~0.1 s each time."""
    from unlocker.adb.auth import generate_key

    path = tmp_path_factory.mktemp("adbkey") / "adbkey"
    generate_key(path)
    return path


@pytest.fixture(autouse=True)
def private_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_key: Path) -> Path:
    """HOME and the config dir of this test only (never the user's ~/.android), holding our key."""
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "user_config"
    config.mkdir(exist_ok=True)
    shutil.copy(session_key, config / "adbkey")
    (config / "adbkey").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("UNLOCKER_CONFIG_DIR", str(config))
    return config


@pytest.fixture
def recovery_factory(phone_factory: Callable[..., RunningPhone]) -> Callable[..., RunningPhone]:
    """phone_factory, then into recovery (``mode='recovery'``) or straight into sideload mode."""

    def make(
        profile: str = "xiaomi-qcom",
        *,
        mode: str = "sideload",
        options: RecoveryOptions | None = None,
        **kw: object,
    ) -> RunningPhone:
        running = phone_factory(profile, recovery=options or RecoveryOptions(), **kw)
        running.phone.reboot(mode)
        return running

    return make


@pytest.fixture
def sideload_phone(recovery_factory: Callable[..., RunningPhone]) -> RunningPhone:
    return recovery_factory()
