"""Where the shipped firmware index lives: ``firmware_index/``, installed with the package.

Its own module so that the loader and the schema reader can both use it without importing
each other.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

try:  # Python >= 3.11
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable


def shipped_root() -> Traversable:
    """The index installed with the package (firmware_index/, read with importlib.resources)."""
    try:
        return resources.files("firmware_index")
    except (NotADirectoryError, TypeError):
        # An editable install made before firmware_index/ became a package maps it as a namespace
        # package that importlib.resources cannot read; its directory on disk is the same data.
        import firmware_index

        for entry in firmware_index.__path__:
            if Path(entry).is_dir():
                return Path(entry)
        raise
