"""Installing the udev rules that let an ordinary user reach phones over USB on Linux.

The rules ship inside the package (``unlocker/support/udev_rules/``, copied from ``udev/`` when
the wheel is built; a source checkout uses ``udev/`` itself). :func:`plan` says what installing
means on this computer; the command line carries it out or, without the rights to, prints the
exact commands for the person to run.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from unlocker.errors import UnlockerError
from unlocker.i18n import _

RULES_DIR = Path("etc/udev/rules.d")  # under the root directory ("/" on the live system)
RELOAD = ("udevadm", "control", "--reload-rules")
TRIGGER = ("udevadm", "trigger")


def rules_sources() -> list[Path]:
    """The rules files we ship: the package's copy, else the source tree's ``udev/``."""
    here = Path(__file__).resolve().parent
    for directory in (here / "udev_rules", here.parents[1] / "udev"):
        found = sorted(directory.glob("*.rules"))
        if found:
            return found
    raise UnlockerError(
        _("the udev rules are missing from this installation of unlocker"),
        hint=_("Reinstall unlocker, or copy them from its source (udev/51-unlocker.rules)."),
    )


@dataclass(frozen=True)
class Plan:
    root: Path
    sources: tuple[Path, ...]
    target_dir: Path
    live: bool  # the running system's /etc: reload and trigger udev afterwards

    @property
    def targets(self) -> list[Path]:
        return [self.target_dir / source.name for source in self.sources]

    def commands(self, *, sudo: bool) -> list[str]:
        """The shell commands that install the rules, as a person would type them."""
        prefix = ["sudo"] if sudo else []
        lines = [
            shlex.join([*prefix, "install", "-D", "-m", "0644", str(source), str(target)])
            for source, target in zip(self.sources, self.targets, strict=True)
        ]
        if self.live:
            lines += [shlex.join([*prefix, *RELOAD]), shlex.join([*prefix, *TRIGGER])]
        return lines


def plan(root: Path | None = None) -> Plan:
    """Where the rules go: ``ROOT/etc/udev/rules.d`` (the live system when ``root`` is None or /)."""
    chosen = Path(root) if root is not None else Path("/")
    live = chosen.resolve() == Path("/")
    return Plan(chosen, tuple(rules_sources()), chosen / RULES_DIR, live)


def is_admin() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def install(the_plan: Plan) -> list[Path]:
    """Copy the rules (mode 0644) and, on the live system, reload and trigger udev."""
    the_plan.target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source, target in zip(the_plan.sources, the_plan.targets, strict=True):
        shutil.copyfile(source, target)
        target.chmod(0o644)
        written.append(target)
    if the_plan.live:
        for command in (RELOAD, TRIGGER):
            try:
                subprocess.run(command, check=True, capture_output=True, timeout=60)
            except (OSError, subprocess.SubprocessError) as e:
                raise UnlockerError(
                    _("the rules were installed, but udev could not be reloaded ({command})").format(
                        command=shlex.join(command)
                    ),
                    hint=_("Restart the computer, or run {command} yourself.").format(
                        command=shlex.join(command)
                    ),
                ) from e
    return written
