"""Which SoC family a phone belongs to (qualcomm, mediatek, ...): it decides which partitions are
critical on it (see :mod:`unlocker.flashing.critical`).

The firmware index's ``soc_vendor`` for the phone's codename comes first; otherwise the
bootloader's own answers (Qualcomm ABL's ``variant`` like ``SM_UFS``; MediaTek's ``platform``
like ``MT6785``). None when neither tells: callers then treat every family's names as critical.
"""

from __future__ import annotations

from unlocker.device.facts import Variables

_QUALCOMM_PREFIXES = ("sm", "sdm", "msm", "qcs", "sda", "apq", "sc7", "sc8")


def from_index(product: str | None) -> str | None:
    """The index's ``soc_vendor`` for this codename (aliases allowed), or None."""
    if not product:
        return None
    from unlocker.index.lookup import device_field

    vendor = device_field(product, "soc_vendor")  # None: not in the index, ask the phone instead
    return vendor.lower() if isinstance(vendor, str) and vendor else None


def from_answers(variables: Variables) -> str | None:
    """The family the bootloader's variables point at, or None."""
    variant = (variables.get("variant") or "").strip().lower()
    if variant.startswith(_QUALCOMM_PREFIXES):
        return "qualcomm"
    for name in ("platform", "hw-platform", "variant"):
        value = (variables.get(name) or "").strip().lower()
        if value.startswith("mt") and value[2:6].isdigit():
            return "mediatek"
    return None


def soc_family(product: str | None, variables: Variables) -> str | None:
    return from_index(product) or from_answers(variables)
