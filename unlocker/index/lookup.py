"""One fact about one device, without loading the whole index.

Loading and validating every file takes about a second; a flash that only needs the phone's
SoC vendor should not pay for that. The device's own file (``devices/CODENAME.yaml``) answers
directly; names that are only aliases fall back to the full index.
"""

from __future__ import annotations

from typing import Any

import yaml

from unlocker.errors import UnlockerError
from unlocker.index.shipped import shipped_root


def device_field(name: str, key: str) -> Any:
    """``key`` of the device ``name`` denotes (codename or alias), or None when unknown."""
    if name and all(c.isalnum() or c in "_-." for c in name) and not name.startswith("."):
        entry = shipped_root().joinpath("devices").joinpath(f"{name}.yaml")
        try:
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            data = None
        if isinstance(data, dict) and data.get("codename") == name:
            return data.get(key)
    from unlocker.index import load_index
    from unlocker.index.queries import resolve

    try:
        return resolve(load_index(), name).data.get(key)
    except UnlockerError:
        return None
