"""`unlocker index validate|update`, `unlocker roms`, `unlocker device`: the firmware index."""

from __future__ import annotations

from pathlib import Path

import click

from unlocker.cli.common import device_option, info, json_option, print_json
from unlocker.errors import UnlockerError, UsageError
from unlocker.index import load_index, validate_index
from unlocker.index.describe import device_lines, roms_lines
from unlocker.index.queries import device_report, resolve, roms_report
from unlocker.index.update import refresh, targets


@click.group("index")
def index_group() -> None:
    """Check the firmware index and refresh its builds from the ROM projects."""


@index_group.command("validate")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@json_option
def validate(path: Path | None, as_json: bool) -> None:
    """Check every file of the index (default: the shipped one; or the directory PATH).

    Each problem is printed as FILE:LINE: FIELD: MESSAGE. Exit code 1 when there is any.
    """
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
            f"the firmware index in {index.where} has {len(issues)} problem(s)",
            hint="Fix each FILE:LINE listed above, then run `unlocker index validate` again.",
        )
    if not as_json:
        info(
            f"{index.where}: OK - {len(index.devices)} devices, {len(index.roms)} ROMs, "
            f"{len(index.methods)} install methods, {builds} shipped builds"
        )


@index_group.command("update")
@click.argument("codename", required=False)
@click.option("--all", "all_devices", is_flag=True, help="Every maintained device of every ROM with an API.")
@click.option(
    "--rom", "rom_ids", multiple=True, metavar="ID", help="Only this ROM (repeatable), e.g. lineageos."
)
@json_option
def update(codename: str | None, all_devices: bool, rom_ids: tuple[str, ...], as_json: bool) -> None:
    """Fetch the newest builds for CODENAME (or --all) into the user cache.

    Builds without a URL, size or sha256 are refused; a failed refresh keeps the previous cache.
    The shipped index is never changed and keeps working offline.
    """
    if bool(codename) == all_devices:
        raise UsageError(
            "name one device (CODENAME) or pass --all", hint="e.g. `unlocker index update lavender`"
        )
    index = load_index()
    unknown = [r for r in rom_ids if r not in index.roms]
    if unknown:
        raise UsageError(
            f"no ROM named {', '.join(unknown)} in the index", hint="Known: " + ", ".join(index.roms)
        )
    device = resolve(index, codename) if codename else None
    pairs = targets(index, device.codename if device else None, rom_ids)
    if not pairs:
        raise UsageError(
            f"no ROM with a builds API supports {device.codename if device else 'any device'}",
            hint="`unlocker roms CODENAME` shows what the index knows.",
        )
    results = []
    for rom, name in pairs:
        result = refresh(rom, name)
        results.append(result)
        if not as_json:
            if result.error:
                info(f"{rom.name} {name}: failed: {result.error}")
            else:
                info(f"{rom.name} {name}: {result.builds} build(s) stored")
    failed = [r for r in results if r.error]
    if as_json:
        print_json({"results": [r.to_json() for r in results], "failed": len(failed)})
    if failed:
        raise UnlockerError(
            f"{len(failed)} of {len(results)} refresh(es) failed; the previous cached data is unchanged"
            + (f" ({failed[0].error})" if len(failed) == 1 else ""),
            hint="Check the network (or the mirror set in UNLOCKER_LINEAGE_API_URL / UNLOCKER_CRDROID_OTA_URL) "
            "and retry; the shipped index still works offline.",
        )


@click.command("roms")
@click.argument("codename", required=False)
@device_option
@json_option
def roms(codename: str | None, serial: str | None, as_json: bool) -> None:
    """ROMs and known builds for CODENAME (default: the connected phone's `getvar product`).

    Lists shipped builds and those refreshed by `unlocker index update`."""
    index = load_index()
    if codename is None:
        from unlocker.cli.common import open_phone

        with open_phone(serial) as client:
            codename = client.getvar("product").strip()
        info(f"the phone reports product '{codename}'")
    report = roms_report(index, resolve(index, codename))
    if as_json:
        print_json(report)
    else:
        for line in roms_lines(report):
            click.echo(line)


@click.command("device")
@click.argument("codename")
@json_option
def device(codename: str, as_json: bool) -> None:
    """What the index knows about CODENAME (aliases resolve): unlock, A/B, partitions, install method.

    An unknown codename is a usage error (exit code 2) with the closest names.
    """
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
