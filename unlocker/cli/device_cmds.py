"""`unlocker devices`, `unlocker getvar`, `unlocker status`: looking at a phone without changing it."""

from __future__ import annotations

import click

from unlocker.cli.common import device_option, info, json_option, open_phone, print_json
from unlocker.device.facts import read_facts
from unlocker.device.state import status_report
from unlocker.errors import (
    DeviceDisconnected,
    DeviceNotFound,
    FastbootFailure,
    ProtocolError,
    TransportError,
    TransportTimeout,
    UsageError,
)
from unlocker.i18n import N_, _


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
            except (TransportError, FastbootFailure, UsageError) as e:
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


_LABELS = (
    ("mode", N_("Mode")),
    ("product", N_("Product (codename)")),
    ("serial", N_("Serial")),
    ("unlocked", N_("Bootloader unlocked")),
    ("critical_unlocked", N_("Critical partitions unlocked")),
    ("secure", N_("Secure boot")),
    ("unlock_ability", N_("Unlock allowed (flashing)")),
    ("anti_rollback", N_("Anti-rollback index")),
    ("slot_count", N_("Slots")),
    ("current_slot", N_("Current slot")),
    ("max_download_size", N_("Max download size")),
    ("battery", N_("Battery")),
)


def _human(value: object, key: str) -> str:
    if value is None:
        return _("unknown")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "max_download_size" and isinstance(value, int):
        return _("{size} bytes ({mib} MiB)").format(size=value, mib=f"{value / (1024 * 1024):.0f}")
    if key == "battery" and isinstance(value, dict):
        parts = []
        if value.get("voltage_mv") is not None:
            parts.append(_("{voltage} mV").format(voltage=value["voltage_mv"]))
        if value.get("soc_ok") is not None:
            parts.append(_("charge ok") if value["soc_ok"] else _("charge LOW"))
        return ", ".join(parts) or _("unknown")
    return str(value)


def print_status_table(report: dict[str, object], name: str) -> None:
    click.echo(_("Phone {phone}").format(phone=name))
    labels = [(key, _(label)) for key, label in _LABELS]
    width = max(len(label) for _key, label in labels)
    for key, label in labels:
        click.echo(f"  {label:<{width}}  {_human(report[key], key)}")  # i18n: not user-facing (layout)
    click.echo("")
    click.echo(_("Next step: {step}").format(step=report["next_step"]))


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
    from unlocker.device.connect import connect_fastboot

    try:
        fastboot = connect_fastboot(serial)
    except (DeviceNotFound, DeviceDisconnected, ProtocolError, TransportTimeout) as not_fastboot:
        report, name = _status_over_adb(serial, not_fastboot)
    else:
        with fastboot as client:
            report = status_report(read_facts(client, full=True))
            name = client.name
    if as_json:
        print_json(report)
    else:
        print_status_table(report, name)


def _status_over_adb(serial: str | None, not_fastboot: Exception) -> tuple[dict[str, object], str]:
    """No fastboot there: perhaps the phone is in recovery. If adb finds nothing either, the
    fastboot error stands (it names the mode most people look for)."""
    from unlocker.device.adb_facts import read_adb_facts
    from unlocker.device.connect import connect_adb

    try:
        client = connect_adb(serial, notify=info)
    except (DeviceNotFound, DeviceDisconnected, ProtocolError, TransportTimeout):
        # `from None` would erase the fastboot error's own cause; the adb attempt stays as context.
        raise not_fastboot  # noqa: B904
    with client:
        return status_report(read_adb_facts(client)), client.name


def register(cli: click.Group) -> None:
    cli.add_command(status)
    cli.add_command(devices)
    cli.add_command(getvar)
