"""The firmware index: devices, ROM projects and install methods (firmware_index/), plus builds
refreshed into the user cache by `unlocker index update`.

The loader (YAML, schemas, every device file) is imported on first use of its names, so that a
light sub-module such as :mod:`unlocker.index.platforms` does not pay for it.
"""

from __future__ import annotations

from unlocker.errors import IndexInvalid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from unlocker.index.loader import Index, load_index, validate_index

__all__ = ["Index", "IndexInvalid", "load_index", "validate_index"]
_LOADER = ("Index", "load_index", "validate_index")


def __getattr__(name: str) -> Any:
    if name in _LOADER:
        from unlocker.index import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'unlocker.index' has no attribute {name!r}")
