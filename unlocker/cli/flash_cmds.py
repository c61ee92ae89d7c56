"""`unlocker flash`, `erase`, `reboot`, `set-active`, `boot`: changing what is on the phone, safely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
    show_plan,
    yes_option,
)
from unlocker.cli.flash_view import flash_image, run_with_bar
from unlocker.flashing.plan import SLOT_CHOICES
from unlocker.flashing.preflight import read_flash_facts
from unlocker.i18n import _

F = TypeVar("F", bound=Callable[..., Any])


def force_critical_option(f: F) -> F:
    return click.option(
        "--force-critical",
        is_flag=True,
        help=_(
            "Allow writing or erasing a critical partition (bootloader chain, calibration or identity "
            "data). --yes does not imply it."
        ),
    )(f)


@click.command(
    "flash",
    help=_(
        "Write IMAGE (raw or Android sparse) into PARTITION.\n\n"
        "Images larger than the phone's download limit are cut into sparse pieces. Slot suffixes "
        "are added on A/B phones; logical partitions are flashed from fastbootd."
    ),
    short_help=_("Write IMAGE (raw or Android sparse) into PARTITION."),
)
@click.argument("partition")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--slot", type=click.Choice(SLOT_CHOICES), help=_("A/B slot to write (default: the current one).")
)
@device_option
@yes_option
@force_critical_option
@dry_run_option
@no_progress_option
@json_option
def flash(
    partition: str,
    image: Path,
    slot: str | None,
    serial: str | None,
    yes: bool,
    force_critical: bool,
    dry_run: bool,
    no_progress: bool,
    as_json: bool,
) -> None:
    flash_image(
        partition,
        image,
        slot=slot,
        serial=serial,
        yes=yes,
        force_critical=force_critical,
        dry_run=dry_run,
        no_progress=no_progress,
        as_json=as_json,
    )


@click.command(
    "wipe-super",
    help=_(
        "Reset the super partition to the empty layout in SUPER_EMPTY (a super_empty.img), as "
        "`fastboot wipe-super` does.\n\n"
        "Every logical partition inside super (system, vendor, product, ...) is lost. On phones with "
        "retrofitted dynamic partitions the metadata goes to system and vendor of the active slot. "
        "Runs in the bootloader, on an unlocked phone."
    ),
    short_help=_("Reset the super partition to the empty layout in SUPER_EMPTY."),
)
@click.argument("super_empty", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@device_option
@yes_option
@dry_run_option
@no_progress_option
@json_option
def wipe_super(
    super_empty: Path, serial: str | None, yes: bool, dry_run: bool, no_progress: bool, as_json: bool
) -> None:
    from unlocker.flashing.wipe_super import (
        empty_super,
        execute_wipe_super,
        plan_wipe_super,
        read_wipe_facts,
    )

    with empty_super(super_empty) as empty, open_phone(serial) as client:  # a damaged file: nothing sent
        plan = plan_wipe_super(*read_wipe_facts(client, empty), empty)
        if show_plan(plan, client.name, dry_run=dry_run, as_json=as_json):
            return
        confirm(
            _(
                "Wipe super on {phone}: write empty metadata to {partitions}? Every logical partition in it is lost."
            ).format(phone=client.name, partitions=", ".join(plan.targets)),
            yes=yes,
        )
        name = client.name
        result = run_with_bar(execute_wipe_super, client, plan, yes=yes, no_progress=no_progress, note=info)
    if as_json:
        print_json(
            {
                "phone": name,
                "written": result.written,
                "pieces": result.pieces,
                "bytes_sent": result.bytes_sent,
            }
        )
    else:
        click.echo(
            _("wiped super on {phone}: empty metadata written to {partitions}").format(
                phone=name, partitions=", ".join(result.written)
            )
        )


@click.command("erase", help=_("Erase PARTITION (its data is gone for good)."))
@click.argument("partition")
@device_option
@yes_option
@force_critical_option
@dry_run_option
def erase(partition: str, serial: str | None, yes: bool, force_critical: bool, dry_run: bool) -> None:
    from unlocker.flashing.plan import plan_erase

    with open_phone(serial) as client:
        critical = plan_erase(read_flash_facts(client, partition), partition, force_critical=force_critical)
        if critical is not None:
            info(_("CRITICAL: {reason}").format(reason=critical.reason))
        if dry_run:
            click.echo(
                _("Plan for {phone}: erase {partition} (nothing will be changed)").format(
                    phone=client.name, partition=partition
                )
            )
            return
        confirm(
            _("Erase {partition} on {phone}? Its data will be lost.").format(
                partition=partition, phone=client.name
            ),
            yes=yes,
        )
        client.erase(partition)
        click.echo(_("erased {partition} on {phone}").format(partition=partition, phone=client.name))


@click.command("reboot", help=_("Reboot the phone (to the system, or to bootloader, recovery or fastbootd)."))
@click.argument("target", required=False, type=click.Choice(["system", "bootloader", "recovery", "fastboot"]))
@device_option
def reboot(target: str | None, serial: str | None) -> None:
    with open_phone(serial) as client:
        client.reboot(target)
        click.echo(_("{phone}: rebooting to {target}").format(phone=client.name, target=target or "system"))


@click.command("set-active", help=_("Make SLOT the one the phone boots next (A/B phones)."))
@click.argument("slot", type=click.Choice(["a", "b"]))
@device_option
@yes_option
def set_active(slot: str, serial: str | None, yes: bool) -> None:
    with open_phone(serial) as client:
        confirm(_("Boot {phone} from slot {slot} next time?").format(phone=client.name, slot=slot), yes=yes)
        client.set_active(slot)
        click.echo(_("{phone}: slot {slot} is now active").format(phone=client.name, slot=slot))


@click.command("boot", help=_("Boot IMAGE once without flashing it (e.g. a recovery)."))
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@device_option
def boot(image: Path, serial: str | None) -> None:
    with open_phone(serial) as client, open(image, "rb") as f:
        client.download(f)
        client.boot()
        click.echo(_("{phone}: booting {file}").format(phone=client.name, file=image.name))


def register(cli: click.Group) -> None:
    for command in (flash, wipe_super, erase, reboot, set_active, boot):
        cli.add_command(command)
