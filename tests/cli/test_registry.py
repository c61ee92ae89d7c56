"""Every command module's commands are reachable through the lazy registry, and nothing else is."""

from __future__ import annotations

import importlib

import click

from unlocker.cli.main import COMMANDS, cli


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
