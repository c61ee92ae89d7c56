"""`unlocker flash`, `erase`, `reboot`, `set-active`, `boot`: changing what is on the phone, safely."""

from __future__ import annotations

from pathlib import Path

import click

from unlocker.cli.common import (
    confirm,
    device_option,
    dry_run_option,
    info,
    json_option,
    no_progress_option,
    open_phone,
    print_json,
    progress_enabled,
    yes_option,
)
from unlocker.cli.progress import BarReporter
from unlocker.errors import PreflightError
from unlocker.fastboot.variables import parse_bool
from unlocker.flashing.engine import flash as run_flash
from unlocker.flashing.engine import prepare
from unlocker.flashing.image import inspect_image
from unlocker.flashing.plan import SLOT_CHOICES
from unlocker.transport.select import open_client

REBOOT_WAIT = 90.0  # seconds a phone may take to come back in fastbootd


def _mib(n: float) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


@click.command("flash")
@click.argument("partition")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slot", type=click.Choice(SLOT_CHOICES), help="A/B slot to write (default: the current one).")
@device_option
@yes_option
@dry_run_option
@no_progress_option
@json_option
def flash(
    partition: str,
    image: Path,
    slot: str | None,
    serial: str | None,
    yes: bool,
    dry_run: bool,
    no_progress: bool,
    as_json: bool,
) -> None:
    """Write IMAGE (raw or Android sparse) into PARTITION.

    Images larger than the phone's download limit are cut into sparse pieces. Slot suffixes
    are added on A/B phones; logical partitions are flashed from fastbootd.
    """
    img = inspect_image(image)
    with open_phone(serial) as client:
        plan = prepare(client, partition, img, slot)
        if dry_run:
            if as_json:
                print_json(
                    {
                        "phone": client.name,
                        "targets": plan.targets,
                        "split": plan.split,
                        "limit": plan.limit,
                        "needs_fastbootd": plan.needs_fastbootd,
                        "steps": plan.describe(),
                        "dry_run": True,
                    }
                )
            else:
                click.echo(f"Plan for {client.name} (nothing will be changed):")
                for line in plan.describe():
                    click.echo(f"  - {line}")
            return
        for warning in plan.warnings:
            info(f"warning: {warning}")
        confirm(f"Write {image.name} to {', '.join(plan.targets)} on {client.name}?", yes=yes)
        name = client.name
        reporter = BarReporter(progress_enabled(no_progress))
        try:
            result = run_flash(
                client,
                partition,
                img,
                slot=slot,
                confirm=lambda q: confirm(q, yes=yes),
                reconnect=lambda: open_client(name, wait=REBOOT_WAIT),
                reporter=reporter,
            )
        finally:
            reporter.close()
        if result.client is not None and result.client is not client:
            result.client.close()
    summary = (
        f"wrote {image.name} ({_mib(img.expanded_size)}) to {', '.join(result.written)} on {name} "
        f"in {result.pieces} piece(s), {result.seconds:.1f} s ({_mib(result.rate)}/s)"
    )
    if as_json:
        print_json(
            {
                "phone": name,
                "written": result.written,
                "pieces": result.pieces,
                "bytes_sent": result.bytes_sent,
                "seconds": round(result.seconds, 3),
            }
        )
    else:
        click.echo(summary)


@click.command("erase")
@click.argument("partition")
@device_option
@yes_option
@dry_run_option
def erase(partition: str, serial: str | None, yes: bool, dry_run: bool) -> None:
    """Erase PARTITION (its data is gone for good)."""
    with open_phone(serial) as client:
        if parse_bool(client.try_getvar("unlocked")) is False:
            raise PreflightError(
                f"{client.name}: the bootloader is locked, so {partition} cannot be erased",
                hint="Unlock it first: `unlocker unlock`.",
            )
        if dry_run:
            click.echo(f"Plan for {client.name}: erase {partition} (nothing will be changed)")
            return
        confirm(f"Erase {partition} on {client.name}? Its data will be lost.", yes=yes)
        client.erase(partition)
        click.echo(f"erased {partition} on {client.name}")


@click.command("reboot")
@click.argument("target", required=False, type=click.Choice(["system", "bootloader", "recovery", "fastboot"]))
@device_option
def reboot(target: str | None, serial: str | None) -> None:
    """Reboot the phone (to the system, or to bootloader, recovery or fastbootd)."""
    with open_phone(serial) as client:
        client.reboot(target)
        click.echo(f"{client.name}: rebooting to {target or 'system'}")


@click.command("set-active")
@click.argument("slot", type=click.Choice(["a", "b"]))
@device_option
@yes_option
def set_active(slot: str, serial: str | None, yes: bool) -> None:
    """Make SLOT the one the phone boots next (A/B phones)."""
    with open_phone(serial) as client:
        confirm(f"Boot {client.name} from slot {slot} next time?", yes=yes)
        client.set_active(slot)
        click.echo(f"{client.name}: slot {slot} is now active")


@click.command("boot")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@device_option
def boot(image: Path, serial: str | None) -> None:
    """Boot IMAGE once without flashing it (e.g. a recovery)."""
    with open_phone(serial) as client, open(image, "rb") as f:
        client.download(f)
        client.boot()
        click.echo(f"{client.name}: booting {image.name}")


def register(cli: click.Group) -> None:
    for command in (flash, erase, reboot, set_active, boot):
        cli.add_command(command)
