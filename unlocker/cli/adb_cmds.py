"""`unlocker sideload` and `unlocker adb devices|reboot|getprop`: the phone in recovery, over adb."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from unlocker import commands
from unlocker.cli.common import (
    confirm,
    device_option,
    dry_run_option,
    info,
    json_option,
    no_progress_option,
    print_json,
    progress_enabled,
    yes_option,
)
from unlocker.errors import (
    AdbUnauthorized,
    PreflightError,
    ProtocolError,
    ServiceRefused,
    TransportError,
    UsageError,
)
from unlocker.i18n import _

if TYPE_CHECKING:
    from unlocker.adb.client import AdbClient

REBOOT_TARGETS = ("system", "bootloader", "recovery", "sideload")


@contextlib.contextmanager
def open_adb(serial: str | None, *, send_public_key: bool = True) -> Iterator[AdbClient]:
    """An authenticated adb connection to the named phone, closed afterwards."""
    from unlocker.device.connect import connect_adb

    client = connect_adb(serial, send_public_key=send_public_key, notify=info)
    try:
        yield client
    finally:
        client.close()


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def _require_sideload_mode(client: AdbClient) -> None:
    assert client.banner is not None
    mode = client.banner.mode
    if mode == "sideload":
        return
    if mode == "recovery":
        raise PreflightError(
            _("{phone} is in recovery but not waiting for a package").format(phone=client.name),
            hint=_(
                "On the phone choose 'Apply update' > 'Apply from ADB' (or run {command}), then retry."
            ).format(command=commands.show(commands.ADB_REBOOT_SIDELOAD)),
        )
    if mode == "device":
        raise PreflightError(
            _("{phone} is running Android, not its recovery").format(phone=client.name),
            hint=_("Run {command}, wait for the recovery, then retry.").format(
                command=commands.show(commands.ADB_REBOOT_SIDELOAD)
            ),
        )
    raise PreflightError(
        _("{phone} is in {mode} mode, where it takes no package").format(phone=client.name, mode=mode),
        hint=_("Start its recovery and choose 'Apply from ADB', then retry."),
    )


@click.command(
    "sideload",
    help=_(
        "Install PACKAGE (a ROM zip) through the phone's recovery, in sideload mode.\n"
        "\n"
        "The phone must show its recovery waiting for a package: choose 'Apply update' >\n"
        "'Apply from ADB' there (or run {command}). The zip is checked first (that it is\n"
        "a zip, and made for this phone's codename); nothing is sent otherwise. The recovery\n"
        "asks for the blocks it needs, some of them twice: the bar counts each once."
    ).format(command=commands.show(commands.ADB_REBOOT_SIDELOAD)),
    short_help=_("Install a ROM zip through the phone's recovery (adb sideload)."),
)
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@device_option
@yes_option
@dry_run_option
@no_progress_option
@json_option
@click.option(
    "--legacy",
    is_flag=True,
    help=_("Use the old 'sideload' service of recoveries from Android 4.4 and older."),
)
def sideload(
    package: Path,
    serial: str | None,
    yes: bool,
    dry_run: bool,
    no_progress: bool,
    as_json: bool,
    legacy: bool,
) -> None:
    from unlocker.adb.package import check_device, inspect_package
    from unlocker.adb.sideload import DONE, sideload_host, sideload_legacy
    from unlocker.device.connect import sideload_timeout

    pkg = inspect_package(package)
    with open_adb(serial) as client:
        _require_sideload_mode(client)
        assert client.banner is not None
        codename = client.banner.codename
        check_device(pkg, codename, phone=client.name)
        service = "sideload" if legacy else "sideload-host"
        plan = _("{phone} ({codename}, sideload mode): send {file} ({size}) with '{service}'").format(
            phone=client.name,
            codename=codename or "?",
            file=package.name,
            size=_size(pkg.size),
            service=service,
        )
        if dry_run:
            if as_json:
                print_json({"phone": client.name, "codename": codename, "package": str(package), "size": pkg.size,
                            "devices": list(pkg.devices), "service": service, "dry_run": True})  # fmt: skip
            else:
                click.echo(plan)
                click.echo(_("Dry run: nothing was sent."))
            return
        confirm(
            _(
                "Install {file} on {phone} ({codename})? Its recovery replaces the phone's system with it."
            ).format(file=package.name, phone=client.name, codename=codename or "?"),
            yes=yes,
        )
        info(plan)
        bar = None
        if progress_enabled(no_progress):
            from unlocker.cli.progress import byte_bar

            bar = byte_bar(pkg.size, package.name)
        try:
            run = sideload_legacy if legacy else sideload_host
            result = run(client, package, wait=sideload_timeout(), progress=bar.update if bar else None)
        finally:
            if bar is not None:
                bar.close()
        name = client.name
    if as_json:
        print_json({"phone": name, "package": str(package), **result.as_dict()})
        return
    ratio = f"{result.transfer_ratio:.2f}"
    if result.outcome == DONE:
        click.echo(
            _("{phone}: {file} sent; the recovery reported the sideload done ({ratio}x transferred).").format(
                phone=name, file=package.name, ratio=ratio
            )
        )
        info(
            _(
                "Check the phone's screen for the install result; to start the new system run {command}."
            ).format(command=commands.show(commands.ADB_REBOOT))
        )
    else:
        click.echo(
            _(
                "{phone}: {file} sent in full, then the recovery closed the connection without a result: "
                "check the phone's screen."
            ).format(phone=name, file=package.name)
        )


@click.group(
    "adb", help=_("Talk to a phone in recovery, sideload mode or Android (with USB debugging) over adb.")
)
def adb() -> None:
    pass


@adb.command(
    "devices",
    help=_(
        "List phones that speak adb on USB, with their mode and codename.\n\n"
        "Phones on TCP cannot be discovered; name one with -s tcp:HOST[:PORT]."
    ),
    short_help=_("List phones that speak adb, with mode and codename."),
)
@device_option
@json_option
def devices(serial: str | None, as_json: bool) -> None:
    from unlocker.adb.client import ADB_USB
    from unlocker.transport.usb import list_usb_devices

    if serial:
        rows = [_row(serial, {"serial": None, "transport": "tcp" if serial.startswith("tcp:") else "usb"})]
    else:
        rows = [
            _row(
                dev.serial or dev.path,
                {"serial": dev.serial, "transport": "usb", "path": dev.path, "usb_id": dev.usb_id},
                problem=dev.problem,
            )
            for dev in list_usb_devices(ADB_USB)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(
            _("no phones speaking adb on USB (for the virtual phone use -s tcp:127.0.0.1:5555)"), err=True
        )
        return
    for row in rows:
        line = f"{row['name']:<24} {row['mode'] or '?':<12} {row['product'] or '':<12} {row['model'] or ''}"  # i18n: not user-facing
        if row["problem"]:
            line += f"  ({row['problem']})"
        click.echo(line.rstrip())


def _row(name: str, base: dict[str, object], *, problem: str | None = None) -> dict[str, object]:
    row: dict[str, object] = {
        "name": name,
        **base,
        "mode": None,
        "product": None,
        "model": None,
        "problem": problem,
    }
    if problem is not None:
        return row
    try:
        # Never make a phone ask its owner just to be listed: an unknown key shows "unauthorized".
        with open_adb(name, send_public_key=False) as client:
            assert client.banner is not None
            row.update(mode=client.banner.mode, product=client.banner.codename, model=client.banner.model)
            row["name"] = client.name
    except AdbUnauthorized:
        row["mode"] = "unauthorized"
    except (TransportError, ProtocolError, UsageError) as e:
        row["problem"] = str(e)  # listed anyway: a phone we cannot open is still worth showing
    return row


@adb.command(
    "reboot",
    help=_(
        "Reboot the phone: to the system (no TARGET), its bootloader, its recovery, or straight to\n"
        "sideload mode (recovery waiting for a package; Android 10 and later, or any recovery)."
    ),
    short_help=_("Reboot to the system, bootloader, recovery or sideload mode."),
)
@click.argument("target", required=False, type=click.Choice(REBOOT_TARGETS))
@device_option
def reboot(target: str | None, serial: str | None) -> None:
    target = target or "system"
    with open_adb(serial) as client:
        said = client.reboot("" if target == "system" else target)
        name = client.name
    if said:
        # Android 9 and older refuse `reboot sideload` without root, and say so.
        raise ServiceRefused(
            _("{phone}: the phone did not reboot: '{reply}'").format(phone=name, reply=said),
            hint=_("Run {command} and choose 'Apply from ADB' in the recovery instead.").format(
                command=commands.show(commands.ADB_REBOOT, "recovery")
            ),
        )
    click.echo(_("{phone}: rebooting to {target}").format(phone=name, target=target))
    if target == "sideload":
        info(
            _("When the phone shows its recovery waiting for a package, run {command}.").format(
                command=commands.show(commands.SIDELOAD, "ROM.zip")
            )
        )


@adb.command("getprop", help=_("Print one property of the phone (e.g. ro.product.device)."))
@click.argument("name")
@device_option
@json_option
def getprop(name: str, serial: str | None, as_json: bool) -> None:
    with open_adb(serial) as client:
        assert client.banner is not None
        try:
            value = client.getprop(name)
        except ServiceRefused:
            # minadbd (sideload mode) has no shell; its banner still names the product.
            if name not in client.banner.properties:
                raise
            value = client.banner.properties[name]
    if as_json:
        print_json({name: value})
    else:
        click.echo(value)


def register(cli: click.Group) -> None:
    cli.add_command(sideload)
    cli.add_command(adb)
