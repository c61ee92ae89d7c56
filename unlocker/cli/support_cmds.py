"""`unlocker doctor` and `unlocker report`: diagnosis and a redacted report for volunteers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from unlocker.cli.common import device_option, info, json_option, print_json
from unlocker.errors import EXIT_FAILED
from unlocker.i18n import N_, _
from unlocker.support.checkup import run_all
from unlocker.support.doctor import FAIL, OK, WARN
from unlocker.support.report import build_report

# Status marks in the human listing, translated where shown; padded to the widest so details align.
_MARK = {OK: N_("ok"), WARN: N_("WARN"), FAIL: N_("FAIL")}


@click.command(
    "doctor",
    help=_(
        "Check this computer's setup (libusb, udev rules, permissions, phones on USB, Windows drivers, "
        "virtual machines, a running adb server); --network also checks the hosts unlocker needs."
    ),
    short_help=_("Check this computer's setup (libusb, udev rules, permissions, phones on USB)."),
)
@click.option(
    "--network",
    is_flag=True,
    help=_(
        "Also check that the Mi account, Mi unlock and ROM download hosts are reachable (through your proxy)."
    ),
)
@json_option
def doctor(network: bool, as_json: bool) -> None:
    """Run every check in unlocker.support.doctor; exit 1 when one of them fails."""
    checks = run_all(network=network)
    if as_json:
        print_json([c.to_json() for c in checks])
    else:
        marks = {status: _(mark) for status, mark in _MARK.items()}
        width = max(len(mark) for mark in marks.values())
        indent = " " * (width + 3)  # under the detail, past "[MARK] "
        for c in checks:
            click.echo(
                _("[{mark}] {check}: {detail}").format(
                    mark=marks[c.status].ljust(width), check=c.title, detail=c.detail
                )
            )
            if c.fix and c.status != OK:
                click.echo(indent + _("fix: {fix}").format(fix=c.fix))
    if any(c.status == FAIL for c in checks):
        raise SystemExit(EXIT_FAILED)


@click.command(
    "report",
    help=_(
        "A support report to share with a volunteer: serials, tokens and account ids are redacted.\n"
        "\n"
        "The report is JSON; --json is accepted for symmetry with other commands."
    ),
    short_help=_("A support report to share with a volunteer: serials, tokens and account ids are redacted."),
)
@device_option
@click.option("--no-phone", is_flag=True, help=_("Leave the phone out (environment only)."))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Write the report to this file instead of printing it."),
)
@json_option
def report(serial: str | None, no_phone: bool, output: Path | None, as_json: bool) -> None:
    """Collect, redact and print (or write) the support report; it is JSON either way."""
    data = build_report(serial, include_phone=not no_phone)
    text = json.dumps(data, indent=2)
    if output:
        output.write_text(text + "\n")
        info(
            _("support report written to {path} (serials, tokens and account ids redacted)").format(
                path=output
            )
        )
    else:
        click.echo(text)


def register(cli: click.Group) -> None:
    cli.add_command(doctor)
    cli.add_command(report)
