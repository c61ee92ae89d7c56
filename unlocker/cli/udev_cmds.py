"""`unlocker udev install`: let an ordinary user reach phones over USB on Linux."""

from __future__ import annotations

import platform
from pathlib import Path

import click

from unlocker import commands
from unlocker.cli.common import dry_run_option, info
from unlocker.errors import EXIT_FAILED
from unlocker.i18n import _
from unlocker.support import udev


@click.group("udev", help=_("Linux USB access rules (udev) for phones."))
def udev_group() -> None:
    pass


@udev_group.command(
    "install",
    help=_(
        "Install unlocker's udev rules so your user may talk to phones over USB, reload udev and "
        "apply them.\n"
        "\n"
        "Needs administrator rights; without them it prints the exact commands to run (with sudo) "
        "and exits with code 1. --root DIR installs into DIR/etc/udev/rules.d instead of the running "
        "system (for images and tests; udev is then not reloaded)."
    ),
    short_help=_("Install the udev rules for USB access (Linux)."),
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help=_("Install under this root directory instead of / (udev is not reloaded)."),
)
@dry_run_option
def install(root: Path | None, dry_run: bool) -> None:
    if root is None and platform.system() != "Linux":
        info(_("udev rules are only used on Linux; nothing to do on this system."))
        if platform.system() == "Windows":
            info(
                _("On Windows the phone needs a WinUSB driver instead: {doctor} checks it.").format(
                    doctor=commands.show(commands.DOCTOR)
                )
            )
        return
    the_plan = udev.plan(root)
    if dry_run:
        click.echo(_("Would run:"))
        for line in the_plan.commands(sudo=False):
            click.echo("  " + line)
        return
    if the_plan.live and not udev.is_admin():
        click.echo(_("Installing the udev rules needs administrator rights. Run these commands:"), err=True)
        for line in the_plan.commands(sudo=True):
            click.echo("  " + line)
        click.echo(_("Then unplug the phone and plug it in again."), err=True)
        raise SystemExit(EXIT_FAILED)
    for target in udev.install(the_plan):
        info(_("installed {path}").format(path=target))
    if the_plan.live:
        info(_("udev reloaded. Unplug the phone and plug it in again."))
    else:
        info(
            _("Installed under {root}; udev of the running system was not touched.").format(
                root=the_plan.root
            )
        )


def register(cli: click.Group) -> None:
    cli.add_command(udev_group)
