"""Entry point: the ``unlocker`` command group and the one place errors become exit codes.

Errors we understand (:class:`~unlocker.errors.UnlockerError`) print one line and what to do
next; their causes appear with ``--debug`` (or ``UNLOCKER_DEBUG=1``). Anything else is a bug:
one line says so, the details go to a file, and ``--debug`` prints them too.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import traceback
from pathlib import Path

import click

from unlocker import __version__, commands, settings
from unlocker.errors import EXIT_FAILED, EXIT_INTERRUPTED, UnlockerError
from unlocker.i18n import _


def _help() -> str:
    return _(
        "Take back control of your Android phone: bootloader state, Mi Unlock, safe flashing\n"
        "and guided installs of vendor-independent ROMs.\n"
        "\n"
        "\b\n"
        "Name a phone with -s SERIAL or -s tcp:HOST[:PORT] (ANDROID_SERIAL is honoured).\n"
        "Practise without a phone: run `unlocker emulate` in one terminal, then use\n"
        "-s tcp:127.0.0.1:5554 in another.\n"
        "\n"
        "\b\n"
        "Exit codes:\n"
        "  0  done\n"
        "  1  failed (the message says what happened and what to do next)\n"
        "  2  usage error (bad arguments or names)\n"
        "  3  Mi Unlock: the server's waiting period is not over yet\n"
        "  130  interrupted (Ctrl+C)\n"
    )


# Command name -> the module that defines it. Modules are imported only when their command runs,
# so `unlocker flash` does not pay for requests, cryptography or the YAML index at start-up.
COMMANDS: dict[str, str] = {
    "status": "device_cmds",
    "devices": "device_cmds",
    "getvar": "device_cmds",
    "unlock": "unlock_cmds",
    "wait": "unlock_cmds",
    "login": "unlock_cmds",
    "logout": "unlock_cmds",
    "flash": "flash_cmds",
    "erase": "flash_cmds",
    "reboot": "flash_cmds",
    "set-active": "flash_cmds",
    "boot": "flash_cmds",
    "sparse": "sparse_cmds",
    "device": "index_cmds",
    "roms": "index_cmds",
    "index": "index_cmds",
    "download": "download_cmds",
    "install": "install_cmds",
    "kit": "install_cmds",
    "doctor": "support_cmds",
    "report": "support_cmds",
    "emulate": "emulate_cmd",
    "sideload": "adb_cmds",
    "adb": "adb_cmds",
    "inspect": "stock_cmds",
    "stock": "stock_cmds",
    "payload": "stock_cmds",
}

_debug = False


def debug_enabled() -> bool:
    return _debug or settings.get_flag("UNLOCKER_DEBUG")


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"unlocker.cli.{module_name}")
        holder = click.Group()
        module.register(holder)
        return holder.commands.get(cmd_name)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    global _debug
    _debug = _debug or value


@click.group(cls=LazyGroup, help=_help(), context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unlocker")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help=_("Show the causes of errors and full details of bugs (also UNLOCKER_DEBUG=1)."),
)
def cli() -> None:
    pass


def _causes(error: BaseException) -> list[BaseException]:
    chain = []
    seen = {id(error)}
    current = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    while current is not None and id(current) not in seen:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def _report_error(error: UnlockerError) -> None:
    click.echo(_("unlocker: error: {message}").format(message=error), err=True)
    if error.hint:
        click.echo(_("unlocker: next: {hint}").format(hint=error.hint), err=True)
    if debug_enabled():
        for cause in _causes(error):
            click.echo(
                _("unlocker: caused by: {kind}: {message}").format(kind=type(cause).__name__, message=cause),
                err=True,
            )
        click.echo("".join(traceback.format_exception(error)), err=True, nl=False)


def _write_crash(error: BaseException) -> Path | None:
    """The traceback of a bug, kept for the person to attach to a report; None if it cannot be written."""
    from unlocker import paths

    try:
        directory = paths.state_dir() / "crashes"
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = directory / f"crash-{stamp}.txt"
        text = f"unlocker {__version__}\nargv: {sys.argv[1:]!r}\n\n" + "".join(
            traceback.format_exception(error)
        )
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None


def _report_bug(error: BaseException) -> None:
    path = _write_crash(error)
    report = commands.show(commands.REPORT)
    if path is not None:
        message = _(
            "unlocker: this is a bug in unlocker ({kind}); details were written to {path}. "
            "Please report it, attaching that file and the output of {report}."
        )
    else:
        message = _(
            "unlocker: this is a bug in unlocker ({kind}). Please report it with the output of {report}."
        )
    click.echo(message.format(kind=type(error).__name__, path=path, report=report), err=True)
    if debug_enabled():
        click.echo("".join(traceback.format_exception(error)), err=True, nl=False)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="unlocker", standalone_mode=False)
    except UnlockerError as e:
        _report_error(e)
        sys.exit(e.exit_code)
    except click.exceptions.Abort as e:
        if isinstance(e.__cause__, KeyboardInterrupt):  # click turns Ctrl+C into Abort
            click.echo(_("unlocker: interrupted."), err=True)
            sys.exit(EXIT_INTERRUPTED)
        click.echo(_("unlocker: stopped."), err=True)
        sys.exit(EXIT_FAILED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo(_("unlocker: interrupted."), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as e:  # anything we did not foresee is a bug: one line, details in a file
        _report_bug(e)
        sys.exit(EXIT_FAILED)
    sys.exit(0)
