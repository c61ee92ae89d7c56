"""Options and helpers shared by every command module.

Conventions (see README): ``-s SERIAL`` / ``-s tcp:HOST[:PORT]`` names a phone and
falls back to ``ANDROID_SERIAL``; ``--json`` on every reporting command; ``--yes``
answers confirmations; ``--dry-run`` shows a plan; ``--no-progress`` hides bars.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

from unlocker.cli.output import info as info  # re-exported: every command module takes them from here
from unlocker.cli.output import print_json as print_json
from unlocker.errors import Aborted
from unlocker.i18n import _

if TYPE_CHECKING:
    from unlocker.fastboot.client import FastbootClient

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


def confirm(question: str, *, yes: bool) -> None:
    """Ask before a destructive step. ``--yes`` answers for scripts; no terminal means no."""
    if yes:
        return
    if not sys.stdin or not sys.stdin.isatty():
        raise Aborted(
            _("{question} - no answer possible without a terminal.").format(question=question),
            hint=_("Re-run with --yes to confirm from a script, or --dry-run to see the plan."),
        )
    if not click.confirm(question, default=False, err=True):
        raise Aborted(_("Stopped: you answered no. Nothing was changed."))


def show_plan(plan: Any, phone: str, *, dry_run: bool, as_json: bool) -> bool:
    """``--dry-run``: print the plan (``to_json``/``describe``) and say True, touching nothing;
    otherwise print its warnings before the questions and say False."""
    if dry_run:
        if as_json:
            print_json({**plan.to_json(), "dry_run": True})
        else:
            click.echo(_("Plan for {phone} (nothing will be changed):").format(phone=phone))
            for line in plan.describe():
                click.echo(f"  - {line}")
        return True
    for warning in plan.warnings:
        info(_("warning: {warning}").format(warning=warning))
    return False


def progress_enabled(no_progress: bool) -> bool:
    """Bars only when a human watches: stderr is a terminal and the user did not opt out."""
    return not no_progress and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


@contextlib.contextmanager
def open_phone(serial: str | None, *, wait: float = 0.0) -> Iterator[FastbootClient]:
    """Open the named phone as a FastbootClient, closing it afterwards.

    The phone's lock is held for the whole command, so a reconnect after a reboot (into
    fastbootd, during a flash) leaves no gap for another command to slip in.
    """
    from unlocker.device import lock as phone_lock
    from unlocker.device.connect import connect_fastboot

    client = connect_fastboot(serial, wait=wait)
    name = client.name
    phone_lock.acquire(name)
    try:
        yield client
    finally:
        try:
            client.close()
        finally:
            phone_lock.release(name)
