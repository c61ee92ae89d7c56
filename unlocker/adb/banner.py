"""What a phone says about itself in its CNXN: the mode it is in and its product properties.

Format ``<type>::<key>=<value>;<key>=<value>;...`` (AOSP adb.cpp ``parse_banner``): adbd sends
``ro.product.name``, ``ro.product.model``, ``ro.product.device`` and ``features=a,b,c``; Android
4.4 ended the list with ``;`` and a NUL and sent no features. The type is the mode: ``device``
(Android), ``recovery`` (adbd in recovery), ``sideload`` / ``rescue`` (minadbd), ``bootloader``;
anything else is ``host``. ``ro.product.device`` is how unlocker knows the codename in recovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unlocker.adb.message import BANNER_MODES

HOST = "host"


@dataclass(frozen=True)
class Banner:
    mode: str
    properties: dict[str, str] = field(default_factory=dict)
    features: frozenset[str] = frozenset()

    @property
    def codename(self) -> str | None:
        return self.properties.get("ro.product.device") or None

    @property
    def model(self) -> str | None:
        return self.properties.get("ro.product.model") or None


def parse_banner(raw: bytes | str) -> Banner:
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else raw
    text = text.rstrip("\0")
    pieces = text.split(":")
    kind = pieces[0]
    mode = kind if kind in BANNER_MODES else HOST
    properties: dict[str, str] = {}
    features: frozenset[str] = frozenset()
    if len(pieces) > 2:
        for item in ":".join(pieces[2:]).split(";"):
            key, sep, value = item.partition("=")
            if not item or not sep or "=" in value:
                continue  # adb keeps only pairs with exactly one '='
            if key == "features":
                features = frozenset(f for f in value.split(",") if f)
            else:
                properties[key] = value
    return Banner(mode, properties, features)


def make_banner(mode: str, properties: dict[str, str], features: tuple[str, ...] | None = ()) -> bytes:
    """The banner a device sends (``features=None``: the Android 4.4 form, ``;``-ended with a NUL)."""
    items = "".join(f"{key}={value};" for key, value in properties.items())
    if features is None:
        return f"{mode}::{items}".encode() + b"\0"
    return f"{mode}::{items}features={','.join(features)}".encode()
