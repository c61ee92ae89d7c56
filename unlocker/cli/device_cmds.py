"""`unlocker devices`, `unlocker getvar`, `unlocker status`: looking at a phone without changing it."""

from __future__ import annotations

import click

from unlocker.cli.common import device_option, json_option, open_phone, print_json
from unlocker.device.state import DeviceState, read_state
from unlocker.errors import FastbootFailure, TransportError, UsageError


@click.command("devices")
@json_option
def devices(as_json: bool) -> None:
    """List phones in fastboot mode on USB (serial, transport, product).

    Phones on TCP cannot be discovered; name them with -s tcp:HOST[:PORT].
    """
    from unlocker.transport.usb import list_usb_devices

    rows = []
    for dev in list_usb_devices():
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
        click.echo("no fastboot phones on USB (for the virtual phone use -s tcp:127.0.0.1:5554)", err=True)
        return
    for row in rows:
        line = f"{row['serial'] or '?':<20} usb {row['path']:<10} {row['usb_id']}  {row['product'] or ''}"
        if row["problem"]:
            line += f"  ({row['problem']})"
        click.echo(line)


@click.command("getvar")
@click.argument("name")
@device_option
@json_option
def getvar(name: str, serial: str | None, as_json: bool) -> None:
    """Print one bootloader variable (or `all`)."""
    with open_phone(serial) as client:
        values = client.getvar_all() if name == "all" else {name: client.getvar(name)}
    if as_json:
        print_json(values)
        return
    for key, value in values.items():
        click.echo(f"{key}: {value}")


_LABELS = (
    ("mode", "Mode"),
    ("product", "Product (codename)"),
    ("serial", "Serial"),
    ("unlocked", "Bootloader unlocked"),
    ("critical_unlocked", "Critical partitions unlocked"),
    ("secure", "Secure boot"),
    ("unlock_ability", "Unlock allowed (flashing)"),
    ("anti_rollback", "Anti-rollback index"),
    ("slot_count", "Slots"),
    ("current_slot", "Current slot"),
    ("max_download_size", "Max download size"),
    ("battery", "Battery"),
)


def _human(value: object, key: str) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "max_download_size" and isinstance(value, int):
        return f"{value} bytes ({value / (1024 * 1024):.0f} MiB)"
    if key == "battery" and isinstance(value, dict):
        parts = []
        if value.get("voltage_mv") is not None:
            parts.append(f"{value['voltage_mv']} mV")
        if value.get("soc_ok") is not None:
            parts.append("charge ok" if value["soc_ok"] else "charge LOW")
        return ", ".join(parts) or "unknown"
    return str(value)


def print_state_table(state: DeviceState, name: str) -> None:
    data = state.to_json()
    click.echo(f"Phone {name}")
    width = max(len(label) for _, label in _LABELS)
    for key, label in _LABELS:
        click.echo(f"  {label:<{width}}  {_human(data[key], key)}")
    click.echo(f"\nNext step: {state.next_step}")


@click.command("status")
@device_option
@json_option
def status(serial: str | None, as_json: bool) -> None:
    """Report lock state and everything that decides the next step."""
    with open_phone(serial) as client:
        state = read_state(client)
        name = client.name
    if as_json:
        print_json(state.to_json())
    else:
        print_state_table(state, name)


def register(cli: click.Group) -> None:
    cli.add_command(status)
    cli.add_command(devices)
    cli.add_command(getvar)
