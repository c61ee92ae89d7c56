"""`unlocker doctor` and `unlocker report`: diagnosis and a redacted report for volunteers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from unlocker.cli.common import device_option, info, json_option, print_json
from unlocker.errors import EXIT_FAILED
from unlocker.support.doctor import FAIL, WARN, run_checks
from unlocker.support.report import build_report

_MARK = {"ok": "ok  ", WARN: "WARN", FAIL: "FAIL"}


@click.command("doctor")
@json_option
def doctor(as_json: bool) -> None:
    """Check this computer's setup (libusb, udev rules, permissions, phones on USB)."""
    checks = run_checks()
    if as_json:
        print_json([c.to_json() for c in checks])
    else:
        for c in checks:
            click.echo(f"[{_MARK[c.status]}] {c.name}: {c.detail}")
            if c.fix and c.status != "ok":
                click.echo(f"       fix: {c.fix}")
    if any(c.status == FAIL for c in checks):
        raise SystemExit(EXIT_FAILED)


@click.command("report")
@device_option
@click.option("--no-phone", is_flag=True, help="Leave the phone out (environment only).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of printing it.",
)
@json_option
def report(serial: str | None, no_phone: bool, output: Path | None, as_json: bool) -> None:
    """A support report to share with a volunteer: serials, tokens and account ids are redacted.

    The report is JSON; --json is accepted for symmetry with other commands.
    """
    data = build_report(serial, include_phone=not no_phone)
    text = json.dumps(data, indent=2)
    if output:
        output.write_text(text + "\n")
        info(f"support report written to {output} (serials, tokens and account ids redacted)")
    else:
        click.echo(text)


def register(cli: click.Group) -> None:
    cli.add_command(doctor)
    cli.add_command(report)
