"""`unlocker inspect`, `stock` and `payload extract`: the packages people download, read and flashed safely."""

from __future__ import annotations

from pathlib import Path

import click

from unlocker.cli.common import (
    confirm,
    device_option,
    dry_run_option,
    json_option,
    no_progress_option,
    open_phone,
    print_json,
    progress_enabled,
    show_plan,
    yes_option,
)
from unlocker.i18n import _

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


class _Bar:
    """A bytes bar for reading a package, or nothing when bars are off."""

    def __init__(self, enabled: bool, total: int, label: str) -> None:
        self._bar = None
        if enabled:
            from unlocker.cli.progress import byte_bar

            self._bar = byte_bar(total, label)

    def __call__(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@click.command(
    "inspect",
    help=_(
        "Say what FILE is and what it holds, without extracting it: a Xiaomi fastboot ROM (.tgz), an "
        "A/B OTA zip (payload.bin), a recovery zip, a factory image, a payload.bin, or a sparse or raw "
        "partition image."
    ),
    short_help=_("Say what a firmware file is and what it holds."),
)
@click.argument("file", type=_FILE)
@json_option
def inspect_command(file: Path, as_json: bool) -> None:
    from unlocker.stock.inspect import describe, inspect_file

    report = inspect_file(file)
    if as_json:
        print_json(report)
        return
    for line in describe(report):
        click.echo(line)


@click.command(
    "stock",
    help=_(
        "Flash stock firmware from PACKAGE, with every guard in place.\n\n"
        "A Xiaomi fastboot ROM (.tgz) is flashed as its flash_all.sh says (read as data: no shell is "
        "run; --keep-data follows flash_all_except_storage.sh). With --firmware-only, an A/B OTA zip's "
        "firmware partitions (abl, xbl, modem, ...) are flashed to both slots. The package must be for "
        "this phone, and not older than the phone's anti-rollback index (this check cannot be turned "
        "off). The bootloader is never relocked."
    ),
    short_help=_("Flash a Xiaomi fastboot ROM, or an OTA's firmware, safely."),
)
@click.argument("package", type=_FILE)
@click.option("--keep-data", is_flag=True, help=_("Keep the phone's data (flash_all_except_storage.sh)."))
@click.option(
    "--firmware-only",
    is_flag=True,
    help=_("OTA zip: flash only its firmware partitions, to both slots."),
)
@device_option
@yes_option
@dry_run_option
@no_progress_option
@json_option
def stock(
    package: Path,
    keep_data: bool,
    firmware_only: bool,
    serial: str | None,
    yes: bool,
    dry_run: bool,
    no_progress: bool,
    as_json: bool,
) -> None:
    from unlocker.cli.progress import BarReporter
    from unlocker.stock import apply_stock, plan_stock

    bars = progress_enabled(no_progress)
    with open_phone(serial) as client:
        reading = _Bar(bars, package.stat().st_size, _("reading {file}").format(file=package.name))
        try:
            plan = plan_stock(
                client, package, keep_data=keep_data, firmware_only=firmware_only, progress=reading
            )
        finally:
            reading.close()
        if show_plan(plan, client.name, dry_run=dry_run, as_json=as_json):
            return
        reporter = BarReporter(bars)
        unpacking = _Bar(bars, plan.unpack_size, _("unpacking"))
        try:
            result = apply_stock(
                client,
                plan,
                confirm=lambda q: confirm(q, yes=yes),
                reporter=reporter,
                unpack_progress=unpacking,
            )
        finally:
            unpacking.close()
            reporter.close()
    if as_json:
        print_json(
            {
                "phone": result.phone,
                "package": str(package),
                "written": result.written,
                "bytes_sent": result.bytes_sent,
                "rebooted": result.rebooted,
                "steps": result.done,
            }
        )
        return
    click.echo(
        _("{phone}: {package} flashed ({count} partitions written){rebooted}").format(
            phone=result.phone,
            package=package.name,
            count=len(result.written),
            rebooted=_(", rebooting") if result.rebooted else "",
        )
    )


@click.group("payload", help=_("Work with A/B OTA payloads (payload.bin, alone or inside an OTA zip)."))
def payload() -> None:
    pass


@payload.command(
    "extract",
    help=_(
        "Write PARTITION... of a full OTA payload as raw images NAME.img in DIR. Each image's hash is "
        "checked against the payload's manifest; an image appears only once it is right."
    ),
    short_help=_("Write partitions of a full OTA payload as raw images."),
)
@click.argument("package", type=_FILE)
@click.argument("partitions", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help=_("Folder to write the images into."),
)
@no_progress_option
@json_option
def extract(
    package: Path, partitions: tuple[str, ...], output: Path, no_progress: bool, as_json: bool
) -> None:
    from unlocker.stock.ota_zip import extract_partitions

    bars = progress_enabled(no_progress)
    current: list[_Bar] = []

    def start(name: str, size: int) -> None:
        for bar in current:
            bar.close()
        current[:] = [_Bar(bars, size, name)]

    try:
        written = extract_partitions(
            package,
            list(partitions),
            output,
            progress=lambda n: current[0](n) if current else None,
            on_start=start,
        )
    finally:
        for bar in current:
            bar.close()
    if as_json:
        print_json({"package": str(package), "written": {k: str(v) for k, v in written.items()}})
        return
    for name, path in written.items():
        click.echo(
            _("{partition}: {path} ({size} bytes, hash checked)").format(
                partition=name, path=path, size=path.stat().st_size
            )
        )


def register(cli: click.Group) -> None:
    cli.add_command(inspect_command)
    cli.add_command(stock)
    cli.add_command(payload)
