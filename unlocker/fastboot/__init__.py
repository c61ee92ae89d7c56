"""The fastboot protocol client: commands, responses and data phases over any Transport."""

from unlocker.fastboot.client import FastbootClient, Response

__all__ = ["FastbootClient", "Response"]
