"""The firmware index: devices, ROM projects and install methods (firmware_index/), plus builds
refreshed into the user cache by `unlocker index update`."""

from unlocker.errors import IndexInvalid
from unlocker.index.loader import Index, load_index, validate_index

__all__ = ["Index", "IndexInvalid", "load_index", "validate_index"]
