"""Shared fixtures: virtual phones on loopback TCP and the CLI run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from unlocker.emulator.model import Fault, VirtualPhone
from unlocker.emulator.tcp_server import EmulatorServer

REPO = Path(__file__).resolve().parent.parent
KEYS = Path(__file__).resolve().parent / "keys"


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translation catalogues (.po -> .mo), as the wheel build does: tests use the .mo."""
    from unlocker import i18n_po
    from unlocker.i18n import DOMAIN, LOCALE_DIR

    i18n_po.compile_tree(LOCALE_DIR, domain=DOMAIN)


@dataclass
class RunningPhone:
    phone: VirtualPhone
    server: EmulatorServer
    state_dir: Path

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def port(self) -> int:
        return self.server.port

    def partition(self, name: str) -> bytes:
        """What the phone holds in a partition (small test partitions only)."""
        return self.phone.partition_path(name).read_bytes()


@pytest.fixture
def phone_factory(tmp_path: Path) -> Iterator[Callable[..., RunningPhone]]:
    """Start virtual phones: phone_factory('xiaomi-legacy', unlocked=True, faults=[...])."""
    servers: list[EmulatorServer] = []
    counter = iter(range(1000))

    def make(
        profile: str = "xiaomi-qcom", *, state_dir: Path | None = None, **kwargs: object
    ) -> RunningPhone:
        directory = state_dir or tmp_path / f"phone{next(counter)}"
        faults = kwargs.pop("faults", None)
        phone = VirtualPhone(directory, profile, faults=list(faults) if faults else None, **kwargs)  # type: ignore[arg-type]
        server = EmulatorServer(phone).start()
        servers.append(server)
        return RunningPhone(phone, server, directory)

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def phone(phone_factory: Callable[..., RunningPhone]) -> RunningPhone:
    """A locked Xiaomi Snapdragon phone (alioth), as most owners start."""
    return phone_factory()


@pytest.fixture
def unlocked_phone(phone_factory: Callable[..., RunningPhone]) -> RunningPhone:
    return phone_factory(unlocked=True)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment with private user dirs, so tests never touch the real ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNLOCKER_", "ANDROID_SERIAL"))}
    for kind in ("CONFIG", "CACHE", "STATE"):
        d = tmp_path / f"user_{kind.lower()}"
        d.mkdir(exist_ok=True)
        env[f"UNLOCKER_{kind}_DIR"] = str(d)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def run_cli(cli_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m unlocker ARGS` as a user would; returns the CompletedProcess (text)."""

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(cli_env)
        if env:
            full_env.update(env)
        return subprocess.run(
            [sys.executable, "-m", "unlocker", *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
        )

    return run


__all__ = ["Fault", "RunningPhone"]
