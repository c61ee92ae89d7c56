"""Partitions a mistake cannot be undone on: the bootloader chain and each phone's own data.

Two kinds, per SoC family (the family comes from the firmware index's ``soc_vendor`` for the
phone's codename, or from the bootloader's answers; see :mod:`unlocker.device.soc`):

- the **bootloader chain**: what runs before fastboot itself (Qualcomm's xbl, abl, tz, ...;
  MediaTek's preloader, lk, tee, ...). A wrong or damaged image there leaves no fastboot to
  repair it with: the phone is bricked until an EDL/BROM flash with vendor tools. Xiaomi also
  burns an anti-rollback fuse that refuses older chains;
- **irreplaceable** data: calibration and identity written at the factory (persist, modemst1/2,
  fsg, nvram, nvdata, protect1/2, seccfg, proinfo, frp, ...). No download restores it; losing
  it means no IMEI, no radio, no sensors or a locked account.

Writing or erasing either needs ``--force-critical``; when the family is unknown, a name that is
critical in any family's table counts as critical. The names are the partitions' own, without
the ``_a``/``_b`` slot suffix.
"""

from __future__ import annotations

from unlocker.i18n import N_, _
from unlocker.record import Record

QUALCOMM = "qualcomm"
MEDIATEK = "mediatek"

CHAIN = "chain"
IRREPLACEABLE = "irreplaceable"


class FamilyTable(Record):
    chain: frozenset[str]
    irreplaceable: frozenset[str]


TABLES: dict[str, FamilyTable] = {
    QUALCOMM: FamilyTable(
        chain=frozenset(
            {
                "xbl", "xbl_config", "xbl_ramdump", "abl", "tz", "hyp", "rpm", "keymaster", "devcfg",
                "aop", "aop_config", "cmnlib", "cmnlib64", "qupfw", "uefi", "uefisecapp", "imagefv",
                "storsec", "featenabler", "multiimgoem", "shrm", "cpucp", "sbl1", "pmic", "tzsc",
                "apdp", "hyp_ac", "tz_ac",
            }
        ),
        irreplaceable=frozenset(
            {
                "persist", "persistbak", "modemst1", "modemst2", "fsg", "fsc", "frp", "devinfo",
                "secdata", "ddr", "cdt", "keystore", "ssd", "limits", "mdtp",
            }
        ),
    ),
    MEDIATEK: FamilyTable(
        chain=frozenset(
            {
                "preloader", "lk", "lk2", "tee", "tee1", "tee2", "sspm", "scp", "mcupm", "gz",
                "spmfw", "dpm", "pi_img", "vcp", "gpueb", "mcf_ota",
            }
        ),
        irreplaceable=frozenset(
            {
                "nvram", "nvdata", "nvcfg", "protect1", "protect2", "seccfg", "proinfo", "persist",
                "frp", "otp", "efuse", "md1img", "md1dsp", "md1arm7", "md3img",
            }
        ),
    ),
}  # fmt: skip

_REASONS = {
    CHAIN: N_(
        "{partition} is part of the bootloader chain: a wrong or damaged image leaves the phone "
        "unable to start, with no fastboot left to repair it"
    ),
    IRREPLACEABLE: N_(
        "{partition} holds this phone's own calibration or identity data (IMEI, radio, sensors, "
        "keys), which no download can restore"
    ),
}


class Critical(Record):
    name: str  # the partition name without a slot suffix
    kind: str  # CHAIN or IRREPLACEABLE
    family: str | None  # whose table named it (None: the phone's family is unknown)

    @property
    def reason(self) -> str:
        return _(_REASONS[self.kind]).format(partition=self.name)

    @property
    def chain(self) -> bool:
        return self.kind == CHAIN


def base_name(partition: str) -> str:
    """``abl_a`` -> ``abl``: tables name partitions without their slot suffix."""
    return partition[:-2] if partition.endswith(("_a", "_b")) else partition


def in_any_table(partition: str) -> bool:
    """True when some family calls ``partition`` critical (cheap: decides whether the phone's
    family must be looked up at all)."""
    name = base_name(partition)
    return any(name in t.chain or name in t.irreplaceable for t in TABLES.values())


def classify(partition: str, family: str | None) -> Critical | None:
    """Whether ``partition`` is critical on a phone of ``family`` (None: unknown family, so every
    table counts); None for ordinary partitions."""
    name = base_name(partition)
    tables = [(family, TABLES[family])] if family in TABLES else list(TABLES.items())
    for owner, table in tables:
        if name in table.chain:
            return Critical(name, CHAIN, owner if family in TABLES else None)
    for owner, table in tables:
        if name in table.irreplaceable:
            return Critical(name, IRREPLACEABLE, owner if family in TABLES else None)
    return None
