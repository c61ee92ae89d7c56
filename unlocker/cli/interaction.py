"""What a command that changes a phone does around its work, without click: open the phone, show
the plan, ask before a destructive step, decide whether to draw progress bars.

:mod:`unlocker.cli.quick` runs ``flash`` through these without loading click (start-up, issue 15),
and the click commands take them from :mod:`unlocker.cli.common`; so nothing here imports click,
except :func:`confirm` at the moment it really asks a person at a terminal.
"""

from __future__ import annotations

import os
import sys

from unlocker.cli.output import echo, info, print_json
from unlocker.errors import Aborted
from unlocker.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any

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


def open_phone(serial: str | None, *, wait: float = 0.0) -> OpenPhone:
    """Open the named phone as a FastbootClient, closing it afterwards (``with open_phone(...) as
    client``).

    The phone's lock is held for the whole command, so a reconnect after a reboot (into
    fastbootd, during a flash) leaves no gap for another command to slip in.
    """
    return OpenPhone(serial, wait=wait)


class OpenPhone:
    """What :func:`open_phone` gives: the phone is opened on entering the ``with`` block.

    A class rather than ``contextlib.contextmanager``: contextlib (with functools, collections and
    the rest it imports) costs ``flash`` several milliseconds of start-up (issue 15)."""

    def __init__(self, serial: str | None, *, wait: float = 0.0) -> None:
        self.serial = serial
        self.wait = wait
        self._client: FastbootClient | None = None
        self._name = ""  # the lock taken on entering, as it was named then

    def __enter__(self) -> FastbootClient:
        from unlocker.device import lock as phone_lock
        from unlocker.device.connect import connect_fastboot

        client = connect_fastboot(self.serial, wait=self.wait)
        name = client.name
        phone_lock.acquire(name)
        self._client, self._name = client, name
        return client

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        from unlocker.device import lock as phone_lock

        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.close()
        finally:
            phone_lock.release(self._name)
