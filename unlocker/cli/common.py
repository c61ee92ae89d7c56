"""Options and helpers shared by every command module.

Conventions (see README): ``-s SERIAL`` / ``-s tcp:HOST[:PORT]`` names a phone and
falls back to ``ANDROID_SERIAL``; ``--json`` on every reporting command; ``--yes``
answers confirmations; ``--dry-run`` shows a plan; ``--no-progress`` hides bars.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

# Re-exported: every command module takes its helpers from here. They live in click-free modules
# so that the quick path (unlocker.cli.quick) can use them without loading click.
from unlocker.cli.interaction import confirm as confirm
from unlocker.cli.interaction import open_phone as open_phone
from unlocker.cli.interaction import progress_enabled as progress_enabled
from unlocker.cli.interaction import show_plan as show_plan
from unlocker.cli.output import info as info
from unlocker.cli.output import print_json as print_json
from unlocker.i18n import _

F = TypeVar("F", bound=Callable[..., Any])


def device_option(f: F) -> F:
    """Add ``-s/--serial``; the value falls back to ANDROID_SERIAL, then to 'the only phone'."""
    return click.option(
        "-s",
        "--serial",
        "serial",
        metavar="SERIAL|tcp:HOST[:PORT]",
        envvar="ANDROID_SERIAL",
        show_envvar=True,
        help=_("Which phone: a USB serial number or tcp:HOST[:PORT]. Default: the only phone connected."),
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help=_("Print a machine-readable JSON object."))(f)


def yes_option(f: F) -> F:
    return click.option(
        "--yes", "-y", "yes", is_flag=True, help=_("Answer yes to confirmations (for scripts).")
    )(f)


def dry_run_option(f: F) -> F:
    return click.option("--dry-run", is_flag=True, help=_("Show what would be done and touch nothing."))(f)


def no_progress_option(f: F) -> F:
    return click.option("--no-progress", is_flag=True, help=_("Do not draw progress bars."))(f)
