"""`unlocker install` and `unlocker kit`: the guided way to a vendor-independent ROM, resumable and offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from unlocker.errors import Aborted, UsageError
from unlocker.i18n import _

if TYPE_CHECKING:
    from unlocker.flashing.progress import FlashReporter
    from unlocker.install.artefacts import Progress
    from unlocker.install.link import Seen
    from unlocker.install.plan import InstallPlan, PlannedStep


class _Bar:
    """install.artefacts.Progress drawn as a tqdm byte bar on stderr."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, label: str, total: int | None) -> None:
        from unlocker.cli.progress import byte_bar

        self._bar = byte_bar(total, label)

    def update(self, done: int, total: int | None) -> None:
        if self._bar is not None:
            from unlocker.cli.progress import show_bytes

            show_bytes(self._bar, done, total)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class CliUI:
    """The runner's voice at a terminal: steps on stdout (stderr with --json, where stdout carries
    one JSON object per finished step), Enter to go on, --yes for scripts."""

    def __init__(self, *, yes: bool, as_json: bool, bars: bool) -> None:
        self.yes = yes
        self.as_json = as_json
        self.bars = bars

    def _say(self, text: str) -> None:
        click.echo(text, err=self.as_json)

    def announce(self, step: PlannedStep, total: int) -> None:
        self._say(_("Step {number}/{total}: {text}").format(number=step.number, total=total, text=step.text))
        # A reboot's key combination is only needed when the phone cannot be told to reboot
        # (the runner says so then); the wait after it shows the keys.
        if step.hands and step.action not in ("instruct", "reboot"):
            self._say("  " + step.hands)
        if step.erases:
            self._say("  " + _("This erases: {what}").format(what=step.erases))

    def note(self, message: str) -> None:
        self._say("  " + message)

    def acknowledge(self, step: PlannedStep) -> None:
        if self.yes:
            self._say("  " + _("(--yes: going on)"))
            return
        if not sys.stdin or not sys.stdin.isatty():
            raise Aborted(
                _("step {number} needs you to confirm at a terminal, and there is none").format(
                    number=step.number
                ),
                hint=_("Run it in a terminal, or add --yes when a script plays the person's part."),
            )
        click.prompt(
            _("Press Enter when it is done (Ctrl+C stops; the install can be resumed)"),
            default="",
            show_default=False,
            err=True,
        )

    def confirm(self, question: str) -> None:
        confirm(question, yes=self.yes)

    def finished(self, step: PlannedStep, total: int, record: dict[str, Any]) -> None:
        detail = record.get("detail") or {}
        if self.as_json:
            line = {
                "event": "step",
                "number": step.number,
                "total": total,
                "action": step.action,
                "text": step.text,
                "status": record.get("status"),
                "finished_at": record.get("finished_at"),
                "detail": detail,
            }
            click.echo(json.dumps(line, default=str))
            sys.stdout.flush()
        elif detail.get("verified"):
            self._say("  " + _("ok: {what}").format(what=detail["verified"]))

    def flash_reporter(self) -> FlashReporter:
        from unlocker.cli.progress import BarReporter

        return BarReporter(self.bars)

    def bytes_progress(self) -> Progress | None:
        return _Bar() if self.bars else None


def _print_plan(plan: InstallPlan, phone: str | None, notes: list[str], as_json: bool) -> None:
    if as_json:
        print_json(
            {"dry_run": True, "phone": phone, "plan": plan.to_json(), "erases": plan.erases(), "notes": notes}
        )
        return
    click.echo(
        _("Plan for {phone} (dry run: nothing is downloaded, written or recorded):").format(
            phone=phone or "?"
        )
    )
    for line in plan.describe():
        click.echo(line)
    for note in notes:
        click.echo(_("note: {note}").format(note=note))


def _show_status(as_json: bool) -> None:
    from unlocker.install.journal import all_journals, summary

    journals = [summary(j) for j in all_journals()]
    if as_json:
        print_json({"installs": journals})
        return
    if not journals:
        click.echo(_("No install is recorded on this computer."))
        return
    marks = {"done": "x", "pending": " "}
    for j in journals:
        click.echo(
            _("{rom} {build} on {codename} (serial {serial}): {state}, started {started}").format(
                rom=j["rom"],
                build=j["build"],
                codename=j["codename"],
                serial=j["phone"].get("serial") or "?",
                state=j["state"],
                started=j["started_at"],
            )
        )
        for s in j["steps"]:
            click.echo(f"  [{marks.get(s['status'], '?')}] {s['number']}. {s['text']}")
        if j["last_error"]:
            click.echo("  " + _("stopped: {error}").format(error=j["last_error"]))
        if j["state"] != "finished":
            click.echo(
                "  " + _("continue with {command}").format(command=commands.show(commands.INSTALL_RESUME))
            )


@click.command(
    "install",
    help=_(
        "Install a vendor-independent ROM on the connected phone, step by step.\n"
        "\n"
        "Identifies the phone, picks the newest build of ROM for it, downloads and verifies every\n"
        "file, checks the phone (right model, unlocked, battery), then runs the phone's install\n"
        "method from the firmware index, telling you what to press at each step. The journey is\n"
        "recorded: after a pulled cable, Ctrl+C or a closed terminal, `unlocker install --resume`\n"
        "goes on where it stopped. `--kit DIR` installs from an offline kit (`unlocker kit`)."
    ),
    short_help=_("Install a vendor-independent ROM on the connected phone, step by step."),
)
@click.argument("rom", required=False)
@device_option
@click.option("--build", "build", metavar="VERSION", help=_("Install this build (default: the newest)."))
@click.option(
    "--file",
    "file_options",
    multiple=True,
    metavar="ARTEFACT=PATH",
    help=_(
        "Use a file you have instead of downloading it (verified when its checksum is known); repeatable."
    ),
)
@click.option(
    "--kit",
    type=click.Path(file_okay=False, path_type=Path),
    help=_("Install from an offline kit made with `unlocker kit` (no network needed)."),
)
@click.option(
    "--stock",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="PACKAGE",
    help=_(
        "Flash this stock firmware (a Xiaomi fastboot ROM .tgz) at the step that needs the required "
        "stock firmware, with `unlocker stock`'s checks."
    ),
)
@click.option("--resume", is_flag=True, help=_("Continue the install recorded for the attached phone."))
@click.option("--status", "show_status", is_flag=True, help=_("Show the recorded installs and exit."))
@yes_option
@dry_run_option
@json_option
@no_progress_option
def install(
    rom: str | None,
    serial: str | None,
    build: str | None,
    file_options: tuple[str, ...],
    kit: Path | None,
    stock: Path | None,
    resume: bool,
    show_status: bool,
    yes: bool,
    dry_run: bool,
    as_json: bool,
    no_progress: bool,
) -> None:
    if show_status:
        _show_status(as_json)
        return
    from unlocker.install import journey
    from unlocker.install.artefacts import parse_file_options

    if resume and (rom or build or dry_run or stock):
        raise UsageError(
            _("--resume goes on with the recorded plan; leave out ROM, --build, --stock and --dry-run")
        )
    if kit is not None and (rom or build):
        raise UsageError(_("--kit decides the ROM and the build; leave out ROM and --build"))
    bars = progress_enabled(no_progress)
    ui = CliUI(yes=yes, as_json=as_json, bars=bars)
    request = journey.default_request(
        name=serial, rom=rom, build=build, files=parse_file_options(file_options), kit=kit, stock=stock
    )
    if resume:
        journal = journey.resume(request, ui)
        _done(journal.plan, as_json)
        return

    def before_start(plan: InstallPlan, seen: Seen, notes: list[str]) -> bool:
        if dry_run:
            _print_plan(plan, serial or seen.serial, notes, as_json)
            return False
        for note in notes:
            info(_("note: {note}").format(note=note))
        if as_json:
            click.echo(json.dumps({"event": "plan", **plan.to_json()}, default=str))
        confirm(
            _("Install {rom} {version} on the phone ({codename})? This erases all data on it.").format(
                rom=plan.rom_name, version=plan.build_version, codename=plan.codename
            ),
            yes=yes,
        )
        return True

    plan = journey.install(request, ui, before_start)
    if plan is not None:
        _done(plan, as_json)


def _done(plan: InstallPlan, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"event": "finished", "rom": plan.rom_id, "build": plan.build_version}))
        return
    click.echo(
        _(
            "Done: {rom} {version} is installed on the phone ({codename}). Its first start takes several minutes."
        ).format(rom=plan.rom_name, version=plan.build_version, codename=plan.codename)
    )


@click.command(
    "kit",
    help=_(
        "Download and verify everything installing ROM on CODENAME needs into a directory.\n"
        "\n"
        "Give the directory (on a USB stick) to someone whose network cannot reach the ROM's\n"
        "servers: `unlocker install --kit DIR` then needs no network at all."
    ),
    short_help=_("Download everything an install needs into a directory, for offline use."),
)
@click.argument("codename")
@click.argument("rom", required=False)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=_("The kit's directory."),
)
@click.option(
    "--build", "build", metavar="VERSION", help=_("Put this build in the kit (default: the newest).")
)
@json_option
@no_progress_option
def kit(
    codename: str, rom: str | None, output: Path, build: str | None, as_json: bool, no_progress: bool
) -> None:
    from unlocker.install import journey

    bars = progress_enabled(no_progress)
    manifest, plan = journey.make_kit(codename, rom, build, output, lambda: _Bar() if bars else None)
    if as_json:
        print_json(
            {
                "kit": str(output),
                "manifest": str(manifest),
                "codename": plan.codename,
                "rom": plan.rom_id,
                "build": plan.build_version,
                "artefacts": [
                    {"id": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256}
                    for a in plan.artefacts.values()
                ],
            }
        )
        return
    for a in plan.artefacts.values():
        info(_("verified {file} (sha256 {sha256}...)").format(file=a.filename, sha256=(a.sha256 or "")[:16]))
    click.echo(
        _("Kit for {rom} {version} on {codename} ready in {path}; install it with {command}.").format(
            rom=plan.rom_name,
            version=plan.build_version,
            codename=plan.codename,
            path=output,
            command=commands.show(commands.INSTALL, "--kit", str(output)),
        )
    )


def register(cli: click.Group) -> None:
    cli.add_command(install)
    cli.add_command(kit)
