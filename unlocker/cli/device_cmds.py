"""`unlocker devices`, `unlocker getvar`, `unlocker status`: looking at a phone without changing it."""

from __future__ import annotations

import click

from unlocker.cli.common import device_option, json_option, open_phone, print_json
from unlocker.cli.status_view import show_status
from unlocker.errors import FastbootFailure, TransportError, UsageError
from unlocker.i18n import _


@click.command(
    "devices",
    help=_(
        "List phones in fastboot mode on USB (serial, transport, product).\n\n"
        "Phones on TCP cannot be discovered; name them with -s tcp:HOST[:PORT]."
    ),
    short_help=_("List phones in fastboot mode on USB (serial, transport, product)."),
)
@json_option
def devices(as_json: bool) -> None:
    from unlocker.fastboot.protocol import FASTBOOT_USB
    from unlocker.transport.usb import list_usb_devices

    rows = []
    for dev in list_usb_devices(FASTBOOT_USB):
        product = dev.product
        problem = dev.problem
        if problem is None:
            try:
                with open_phone(dev.serial or dev.path) as client:
                    product = client.try_getvar("product") or product
            except (TransportError, FastbootFailure, UsageError) as e:  # PhoneBusy is a TransportError
                problem = str(e)  # listed anyway: a phone we cannot open is still worth showing
        rows.append(
            {
                "serial": dev.serial,
                "transport": "usb",
                "path": dev.path,
                "usb_id": dev.usb_id,
                "product": product,
                "problem": problem,
            }
        )
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(_("no fastboot phones on USB (for the virtual phone use -s tcp:127.0.0.1:5554)"), err=True)
        return
    for row in rows:
        line = f"{row['serial'] or '?':<20} usb {row['path']:<10} {row['usb_id']}  {row['product'] or ''}"  # i18n: not user-facing
        if row["problem"]:
            line += f"  ({row['problem']})"
        click.echo(line)


@click.command("getvar", help=_("Print one bootloader variable (or `all`)."))
@click.argument("name")
@device_option
@json_option
def getvar(name: str, serial: str | None, as_json: bool) -> None:
    with open_phone(serial) as client:
        values = client.getvar_all() if name == "all" else {name: client.getvar(name)}
    if as_json:
        print_json(values)
        return
    for key, value in values.items():
        click.echo(f"{key}: {value}")


@click.command(
    "status",
    help=_(
        "Report lock state and everything that decides the next step.\n\n"
        "A phone in recovery or sideload mode (adb) is reported too, with what it needs next."
    ),
    short_help=_("Report lock state and everything that decides the next step."),
)
@device_option
@json_option
def status(serial: str | None, as_json: bool) -> None:
    show_status(serial, as_json)


def register(cli: click.Group) -> None:
    cli.add_command(status)
    cli.add_command(devices)
    cli.add_command(getvar)
