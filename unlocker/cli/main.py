"""Entry point: the ``unlocker`` command group and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import sys

import click

from unlocker import __version__
from unlocker.errors import EXIT_FAILED, UnlockerError

HELP = """Take back control of your Android phone: bootloader state, Mi Unlock, safe flashing
and guided installs of vendor-independent ROMs.

\b
Name a phone with -s SERIAL or -s tcp:HOST[:PORT] (ANDROID_SERIAL is honoured).
Practise without a phone: run `unlocker emulate` in one terminal, then use
-s tcp:127.0.0.1:5554 in another.

\b
Exit codes:
  0  done
  1  failed (the message says what happened and what to do next)
  2  usage error (bad arguments or names)
  3  Mi Unlock: the server's waiting period is not over yet
"""


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
    "doctor": "support_cmds",
    "report": "support_cmds",
    "emulate": "emulate_cmd",
}


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


@click.group(cls=LazyGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unlocker")
def cli() -> None:
    pass


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="unlocker", standalone_mode=False)
    except UnlockerError as e:
        click.echo(f"unlocker: error: {e}", err=True)
        if e.hint:
            click.echo(f"unlocker: next: {e.hint}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("unlocker: stopped.", err=True)
        sys.exit(EXIT_FAILED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("unlocker: interrupted.", err=True)
        sys.exit(130)
    sys.exit(0)
