"""`unlocker guide`: the ways out for a region-locked or remotely disabled phone, safest first."""

from __future__ import annotations

import click

from unlocker.cli.common import device_option, json_option, print_json
from unlocker.errors import DeviceNotFound, NotInIndex, TransportError
from unlocker.i18n import _
from unlocker.support.guide import Guide, build_guide, state_word


def _look(serial: str | None, codename: str | None) -> Guide:
    """Gather what can be seen (the phone, its index entry, the ledger) and build the guide."""
    from unlocker.cli.common import open_phone
    from unlocker.device.facts import read_facts
    from unlocker.index import load_index
    from unlocker.index.queries import resolve
    from unlocker.xiaomi import ledger

    facts = None
    try:
        with open_phone(serial) as client:
            facts = read_facts(client, full=True)
    except (DeviceNotFound, TransportError):
        facts = None  # no phone is one of the situations the guide is for
    device = None
    name = codename or (facts.product if facts else None)
    if name:
        try:
            device = resolve(load_index(), name)
        except NotInIndex:
            if codename:
                raise
    record = ledger.load()
    if record is not None:
        record = ledger.refresh(record)
    return build_guide(facts, device, record)


def _print(guide: Guide) -> None:
    click.echo(_("Ways out for a region-locked or remotely disabled phone, safest first"))
    if guide.phone is not None:
        lock = {True: _("unlocked"), False: _("locked"), None: _("lock state unknown")}[
            guide.phone["unlocked"]
        ]
        click.echo(
            _("Phone: {phone} ({product}), {mode} mode, bootloader {lock}").format(
                phone=guide.phone["name"],
                product=guide.phone["product"] or "?",
                mode=guide.phone["mode"],
                lock=lock,
            )
        )
    else:
        click.echo(_("Phone: none connected"))
    if guide.device is not None:
        click.echo(
            _("Model: {names} ({codename}), {vendor}").format(
                names=" / ".join(guide.device["names"]) or "?",
                codename=guide.device["codename"],
                vendor=guide.device["vendor"],
            )
        )
    for number, step in enumerate(guide.steps, 1):
        click.echo("")
        click.echo(
            _("{number}. {title} [{state}]").format(
                number=number, title=step.title, state=state_word(step.state)
            )
        )
        for line in step.text:
            click.echo("   " + line)
        for command in step.commands:
            click.echo("      " + command)  # a command on its own line reads the same in every direction
    click.echo("")
    click.echo(_("What cannot be done:"))
    for line in guide.cannot:
        click.echo("  - " + line)


@click.command(
    "guide",
    help=_(
        "For the owner of a region-locked or remotely disabled phone: the ways out, safest first.\n"
        "\n"
        "Adapts to what unlocker can see: a connected phone's mode and lock state, what the firmware "
        "index knows about it, and the Mi Unlock waiting period last reported. Works without a phone too."
    ),
    short_help=_("The ways out for a region-locked or remotely disabled phone, safest first."),
)
@device_option
@click.option("--codename", metavar="CODENAME", help=_("The phone's codename, when no phone is connected."))
@json_option
def guide(serial: str | None, codename: str | None, as_json: bool) -> None:
    result = _look(serial, codename)
    if as_json:
        print_json(result.to_json())
    else:
        _print(result)


def register(cli: click.Group) -> None:
    cli.add_command(guide)
