"""Placeholder until this command group lands."""

import click


def register(cli: click.Group) -> None:
    pass
