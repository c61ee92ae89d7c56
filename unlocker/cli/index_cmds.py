"""`unlocker index validate|update`, `unlocker roms`, `unlocker device`: the firmware index.

The index (YAML) and the refresh (requests) are imported inside the commands, so listing the
commands (`unlocker --help`) pays for neither.
"""

from __future__ import annotations

from pathlib import Path

import click

from unlocker import commands
from unlocker.cli.common import device_option, info, json_option, print_json
from unlocker.errors import UnlockerError, UsageError
from unlocker.i18n import _


@click.group(
    "index",
    help=_("Check the firmware index and refresh its builds from the ROM projects."),
    short_help=_("Check the firmware index and refresh its builds from the ROM projects."),
)
def index_group() -> None:
    """Check the firmware index and refresh its builds from the ROM projects."""


@index_group.command(
    "validate",
    help=_(
        "Check every file of the index (default: the shipped one; or the directory PATH).\n"
        "\n"
        "Each problem is printed as FILE:LINE: FIELD: MESSAGE. Exit code 1 when there is any."
    ),
    short_help=_("Check every file of the index (default: the shipped one; or the directory PATH)."),
)
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@json_option
def validate(path: Path | None, as_json: bool) -> None:
    """Check every file of the index (default: the shipped one; or the directory PATH)."""
    from unlocker.index import validate_index
    from unlocker.index.loader import place

    index, issues = validate_index(path)
    builds = sum(len(rom.builds) for rom in index.roms.values())
    if as_json:
        print_json(
            {
                "ok": not issues,
                "where": index.where,
                "devices": len(index.devices),
                "roms": len(index.roms),
                "methods": len(index.methods),
                "builds": builds,
                "issues": [
                    {"file": i.file, "line": i.line, "field": i.field, "message": i.message} for i in issues
                ],
            }
        )
    else:
        for issue in issues:
            click.echo(str(issue))
    if issues:
        raise UnlockerError(
            _("the firmware index in {where} has {count} problem(s)").format(
                where=place(index.where), count=len(issues)
            ),
            hint=_("Fix each FILE:LINE listed above, then run {command} again.").format(
                command=commands.show(commands.INDEX_VALIDATE, *([str(path)] if path is not None else []))
            ),
        )
    if not as_json:
        info(
            _(
                "{where}: OK - {devices} devices, {roms} ROMs, {methods} install methods, "
                "{builds} shipped builds"
            ).format(
                where=place(index.where),
                devices=len(index.devices),
                roms=len(index.roms),
                methods=len(index.methods),
                builds=builds,
            )
        )


@index_group.command(
    "update",
    help=_(
        "Fetch the newest builds for CODENAME (or --all) into the user cache.\n"
        "\n"
        "Builds without a URL, size or sha256 are refused; a failed refresh keeps the previous cache.\n"
        "The shipped index is never changed and keeps working offline."
    ),
    short_help=_("Fetch the newest builds for CODENAME (or --all) into the user cache."),
)
@click.argument("codename", required=False)
@click.option(
    "--all", "all_devices", is_flag=True, help=_("Every maintained device of every ROM with an API.")
)
@click.option(
    "--rom", "rom_ids", multiple=True, metavar="ID", help=_("Only this ROM (repeatable), e.g. lineageos.")
)
@json_option
def update(codename: str | None, all_devices: bool, rom_ids: tuple[str, ...], as_json: bool) -> None:
    """Fetch the newest builds for CODENAME (or --all) into the user cache."""
    from unlocker.index import load_index
    from unlocker.index.queries import resolve
    from unlocker.index.update import refresh, targets

    if bool(codename) == all_devices:
        raise UsageError(
            _("name one device (CODENAME) or pass --all"),
            hint=_("e.g. {command}").format(command=commands.show(commands.INDEX_UPDATE, "lavender")),
        )
    index = load_index()
    unknown = [r for r in rom_ids if r not in index.roms]
    if unknown:
        raise UsageError(
            _("no ROM named {names} in the index").format(names=", ".join(unknown)),
            hint=_("Known: {names}").format(names=", ".join(index.roms)),
        )
    device = resolve(index, codename) if codename else None
    pairs = targets(index, device.codename if device else None, rom_ids)
    if not pairs:
        if device:
            problem = _("no ROM with a builds API supports {codename}").format(codename=device.codename)
        else:
            problem = _("no ROM with a builds API supports any device")
        raise UsageError(
            problem,
            hint=_("{command} shows what the index knows.").format(
                command=commands.show(commands.ROMS, "CODENAME")
            ),
        )
    results = []
    for rom, name in pairs:
        result = refresh(rom, name)
        results.append(result)
        if not as_json:
            if result.error:
                info(
                    _("{rom} {codename}: failed: {problem}").format(
                        rom=rom.name, codename=name, problem=result.error
                    )
                )
            else:
                info(
                    _("{rom} {codename}: {count} build(s) stored").format(
                        rom=rom.name, codename=name, count=result.builds
                    )
                )
    failed = [r for r in results if r.error]
    if as_json:
        print_json({"results": [r.to_json() for r in results], "failed": len(failed)})
    if failed:
        if len(failed) == 1:
            message = _(
                "{failed} of {total} refresh(es) failed; the previous cached data is unchanged ({problem})"
            )
        else:
            message = _("{failed} of {total} refresh(es) failed; the previous cached data is unchanged")
        raise UnlockerError(
            message.format(failed=len(failed), total=len(results), problem=failed[0].error),
            hint=_(
                "Check the network (or the mirror set in {variables}) and retry; "
                "the shipped index still works offline."
            ).format(variables="UNLOCKER_LINEAGE_API_URL / UNLOCKER_CRDROID_OTA_URL"),
        )


@click.command(
    "roms",
    help=_(
        "ROMs and known builds for CODENAME (default: the connected phone's `getvar product`).\n"
        "\n"
        "Lists shipped builds and those refreshed by {command}."
    ).format(command=commands.show(commands.INDEX_UPDATE)),
    short_help=_("ROMs and known builds for CODENAME (default: the connected phone's `getvar product`)."),
)
@click.argument("codename", required=False)
@device_option
@json_option
def roms(codename: str | None, serial: str | None, as_json: bool) -> None:
    """ROMs and known builds for CODENAME (default: the connected phone's `getvar product`)."""
    from unlocker.index import load_index
    from unlocker.index.describe import roms_lines
    from unlocker.index.queries import resolve, roms_report

    index = load_index()
    if codename is None:
        from unlocker.cli.common import open_phone
        from unlocker.device.facts import read_facts
        from unlocker.device.identity import uncertain_codename_note

        with open_phone(serial) as client:
            facts = read_facts(client)
            codename = (facts.product or client.getvar("product")).strip()
        info(_("the phone reports product '{codename}'").format(codename=codename))
        uncertain = uncertain_codename_note(facts)
        if uncertain:
            raise UnlockerError(
                _("'{product}' is a platform name, not the phone's codename").format(product=codename),
                hint=uncertain,
            )
    report = roms_report(index, resolve(index, codename))
    if as_json:
        print_json(report)
    else:
        for line in roms_lines(report):
            click.echo(line)


@click.command(
    "device",
    help=_(
        "What the index knows about CODENAME (aliases resolve): unlock, A/B, partitions, install method.\n"
        "\n"
        "An unknown codename is a usage error (exit code 2) with the closest names."
    ),
    short_help=_(
        "What the index knows about CODENAME (aliases resolve): unlock, A/B, partitions, install method."
    ),
)
@click.argument("codename")
@json_option
def device(codename: str, as_json: bool) -> None:
    """What the index knows about CODENAME (aliases resolve)."""
    from unlocker.index import load_index
    from unlocker.index.describe import device_lines
    from unlocker.index.queries import device_report, resolve

    index = load_index()
    found = resolve(index, codename)
    if as_json:
        print_json(device_report(index, found))
    else:
        for line in device_lines(index, found):
            click.echo(line)


def register(cli: click.Group) -> None:
    cli.add_command(index_group)
    cli.add_command(roms)
    cli.add_command(device)
