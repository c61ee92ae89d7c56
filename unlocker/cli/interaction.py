"""What a command that changes a phone does around its work, without click: open the phone, show
the plan, ask before a destructive step, decide whether to draw progress bars.

:mod:`unlocker.cli.quick` runs ``flash`` through these without loading click (start-up, issue 15),
and the click commands take them from :mod:`unlocker.cli.common`; so nothing here imports click,
except :func:`confirm` at the moment it really asks a person at a terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from unlocker.cli.output import echo, info, print_json
from unlocker.errors import Aborted
from unlocker.i18n import _

if TYPE_CHECKING:
    from unlocker.fastboot.client import FastbootClient


def confirm(question: str, *, yes: bool) -> None:
    """Ask before a destructive step. ``--yes`` answers for scripts; no terminal means no."""
    if yes:
        return
    if not sys.stdin or not sys.stdin.isatty():
        raise Aborted(
            _("{question} - no answer possible without a terminal.").format(question=question),
            hint=_("Re-run with --yes to confirm from a script, or --dry-run to see the plan."),
        )
    # A person is answering, so start-up time no longer counts; click's prompt keeps its exact
    # words, in the language the click application would have given them.
    import click

    from unlocker.cli import click_texts

    click_texts.install()
    if not click.confirm(question, default=False, err=True):
        raise Aborted(_("Stopped: you answered no. Nothing was changed."))


def show_plan(plan: Any, phone: str, *, dry_run: bool, as_json: bool) -> bool:
    """``--dry-run``: print the plan (``to_json``/``describe``) and say True, touching nothing;
    otherwise print its warnings before the questions and say False."""
    if dry_run:
        if as_json:
            print_json({**plan.to_json(), "dry_run": True})
        else:
            echo(_("Plan for {phone} (nothing will be changed):").format(phone=phone))
            for line in plan.describe():
                echo(f"  - {line}")
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
