"""Every command module's commands are reachable through the lazy registry, and nothing else is;
`--help` lists them from the registry's lines exactly as click would from the commands."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest

from unlocker import i18n
from unlocker.cli.app import cli
from unlocker.cli.registry import COMMANDS, LINES, WHOLE_HELP


def test_each_registered_name_resolves() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name


def test_no_module_defines_unlisted_commands() -> None:
    for module_name in set(COMMANDS.values()):
        holder = click.Group()
        importlib.import_module(f"unlocker.cli.{module_name}").register(holder)
        assert set(holder.commands) <= set(COMMANDS), module_name
        assert {n for n, m in COMMANDS.items() if m == module_name} == set(holder.commands)


def test_each_line_is_the_commands_own() -> None:
    """The line is the command's short help, or its whole help for the commands without one."""
    assert set(LINES) == set(COMMANDS) and set(COMMANDS) >= WHOLE_HELP
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and not command.hidden and not command.deprecated
        if name in WHOLE_HELP:
            assert command.short_help is None and command.help == i18n._(LINES[name]), name
        else:
            assert command.short_help == i18n._(LINES[name]), name


_COMPARE = """
import sys, click
from unlocker import i18n
i18n.set_language(sys.argv[1])  # before any command module is imported, as --lang does
from unlocker.cli.app import cli
for width in (40, 80, 132):
    ctx = click.Context(cli, info_name="unlocker", terminal_width=width)
    ours, clicks = ctx.make_formatter(), ctx.make_formatter()
    cli.format_commands(ctx, ours)
    click.Group.format_commands(cli, ctx, clicks)  # imports every command module to ask it
    assert ours.getvalue() == clicks.getvalue(), (width, ours.getvalue(), clicks.getvalue())
"""


@pytest.mark.parametrize("language", i18n.available_languages())
def test_help_lists_the_commands_as_click_would(language: str) -> None:
    # A process per language: the command modules translate their help when imported.
    run = subprocess.run([sys.executable, "-c", _COMPARE, language], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
