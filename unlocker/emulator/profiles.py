"""What kinds of phone the emulator can be: bootloader dialects observed in the field.

Facts: ABL (Qualcomm edk2, Xiaomi Snapdragon) publishes max-download-size in decimal and says
'GetVar Variable Not found'; MediaTek Xiaomi bootloaders print the unlock token as several
'token:' INFO lines of `oem get_token`; fastbootd lives in recovery and serves logical partitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    product: str
    vendor: str  # "xiaomi" or "generic": decides the unlock dialect
    bootloader: str  # "abl", "mtk" or "aosp": decides wording and variables
    ab: bool
    dynamic: bool
    # Physical partitions (GPT) with their sizes; names in ``slotted`` exist as NAME_a / NAME_b on A/B phones.
    partitions: dict[str, int]
    slotted: frozenset[str]
    # Logical partitions inside super (unsuffixed names), only on dynamic-partition phones.
    logical: dict[str, int] = field(default_factory=dict)
    max_download_size: int = 512 * MiB
    token_command: str | None = None  # "getvar" (getvar token) or "oem" (oem get_token)
    anti_rollback: int | None = None
    unlock_ability: int = 1
    start_mode: str = "bootloader"
    variables: dict[str, str] = field(default_factory=dict)
    model: str = ""  # ro.product.model, as the recovery's adb banner says it

    @property
    def unknown_variable_message(self) -> str:
        return {"abl": "GetVar Variable Not found", "mtk": "GetVar Variable Not found"}.get(
            self.bootloader, "Variable not found"
        )


_QCOM_AB_PARTITIONS = {
    "boot": 128 * MiB,
    "dtbo": 32 * MiB,
    "vbmeta": 64 * 1024,
    "vbmeta_system": 64 * 1024,
    "vendor_boot": 96 * MiB,
    "abl": 8 * MiB,
    "xbl": 4 * MiB,
    "modem": 256 * MiB,
    "super": 9 * GiB,
    "userdata": 110 * GiB,
    "metadata": 16 * MiB,
    "misc": 1 * MiB,
    "persist": 32 * MiB,
    "cust": 512 * MiB,
}
_QCOM_AB_SLOTTED = frozenset(
    {"boot", "dtbo", "vbmeta", "vbmeta_system", "vendor_boot", "abl", "xbl", "modem"}
)
_LOGICAL = {"system": 3 * GiB, "system_ext": 1 * GiB, "product": 2 * GiB, "vendor": 1 * GiB, "odm": 128 * MiB}

_XIAOMI_QCOM = Profile(
    name="xiaomi-qcom",
    description="Xiaomi Snapdragon phone (POCO F3 'alioth'): A/B, dynamic partitions, Qualcomm ABL bootloader",
    product="alioth",
    vendor="xiaomi",
    bootloader="abl",
    ab=True,
    dynamic=True,
    partitions=_QCOM_AB_PARTITIONS,
    slotted=_QCOM_AB_SLOTTED,
    logical=_LOGICAL,
    max_download_size=805306368,
    token_command="getvar",
    anti_rollback=1,
    unlock_ability=1,
    variables={
        "version-bootloader": "unknown",
        "version-baseband": "",
        "variant": "SM_UFS",
        "hw-revision": "20001",
        "kernel": "uefi",
        "battery-voltage": "4012",
        "battery-soc-ok": "yes",
        "off-mode-charge": "1",
        "charger-screen-enabled": "1",
        "erase-block-size": "0x1000",
        "logical-block-size": "0x1000",
    },
    model="M2012K11AG",
)

PROFILES: dict[str, Profile] = {
    "xiaomi-qcom": _XIAOMI_QCOM,
    "xiaomi-legacy": Profile(
        name="xiaomi-legacy",
        description="Xiaomi Snapdragon phone (Redmi Note 7 'lavender'): no A/B, no dynamic partitions, ABL",
        product="lavender",
        vendor="xiaomi",
        bootloader="abl",
        ab=False,
        dynamic=False,
        partitions={
            "boot": 64 * MiB,
            "recovery": 64 * MiB,
            "dtbo": 8 * MiB,
            "vbmeta": 64 * 1024,
            "system": 3 * GiB,
            "vendor": 1 * GiB,
            "cust": 512 * MiB,
            "userdata": 50 * GiB,
            "cache": 256 * MiB,
            "misc": 1 * MiB,
            "persist": 32 * MiB,
        },
        slotted=frozenset(),
        max_download_size=536870912,
        token_command="getvar",
        anti_rollback=4,
        unlock_ability=1,
        variables={
            "battery-voltage": "3891",
            "battery-soc-ok": "yes",
            "variant": "SDM EMMC",
            "kernel": "uefi",
        },
        model="Redmi Note 7",
    ),
    "xiaomi-mtk": Profile(
        name="xiaomi-mtk",
        description="Xiaomi MediaTek phone (Redmi Note 8 Pro 'begonia'): no A/B, token via `oem get_token`",
        product="begonia",
        vendor="xiaomi",
        bootloader="mtk",
        ab=False,
        dynamic=False,
        partitions={
            "boot": 32 * MiB,
            "recovery": 32 * MiB,
            "dtbo": 8 * MiB,
            "vbmeta": 8 * MiB,
            "system": 3 * GiB,
            "vendor": 1 * GiB,
            "userdata": 100 * GiB,
            "cache": 432 * MiB,
            "preloader": 4 * MiB,
        },
        slotted=frozenset(),
        max_download_size=134217728,
        token_command="oem",
        anti_rollback=None,
        unlock_ability=1,
        variables={"battery-voltage": "3950"},
        model="Redmi Note 8 Pro",
    ),
    "generic": Profile(
        name="generic",
        description="Non-Xiaomi phone with an AOSP-style bootloader ('sargo'): A/B, `flashing unlock`",
        product="sargo",
        vendor="generic",
        bootloader="aosp",
        ab=True,
        dynamic=False,
        partitions={
            "boot": 64 * MiB,
            "dtbo": 8 * MiB,
            "vbmeta": 64 * 1024,
            "system": 3 * GiB,
            "vendor": 1 * GiB,
            "userdata": 50 * GiB,
            "misc": 1 * MiB,
        },
        slotted=frozenset({"boot", "dtbo", "vbmeta", "system", "vendor"}),
        max_download_size=268435456,
        unlock_ability=1,
        variables={"battery-soc-ok": "yes", "version-bootloader": "b4s4-0.4-7617406"},
        model="Pixel 3a",
    ),
    "nokia-retrofit": Profile(
        name="nokia-retrofit",
        description=(
            "Nokia 8 'NB1': A/B, dynamic partitions retrofitted onto system and vendor (no super "
            "partition; `fastboot wipe-super` writes its metadata there), Qualcomm ABL"
        ),
        product="NB1",
        vendor="generic",
        bootloader="abl",
        ab=True,
        # Retrofit: the bootloader sees only GPT partitions; the logical ones live inside
        # system_X and vendor_X and are known to fastbootd alone, after a wipe-super.
        dynamic=True,
        partitions={
            "boot": 64 * MiB,
            "dtbo": 8 * MiB,
            "vbmeta": 64 * 1024,
            "system": 3 * GiB,
            "vendor": 1 * GiB,
            "abl": 1 * MiB,
            "xbl": 3 * MiB,
            "userdata": 50 * GiB,
            "misc": 1 * MiB,
            "persist": 32 * MiB,
        },
        slotted=frozenset({"boot", "dtbo", "vbmeta", "system", "vendor", "abl", "xbl"}),
        max_download_size=536870912,
        unlock_ability=1,
        variables={"battery-soc-ok": "yes", "variant": "MSM UFS", "kernel": "uefi"},
        model="TA-1004",
    ),
    "fastbootd": Profile(
        **{
            **_XIAOMI_QCOM.__dict__,
            "name": "fastbootd",
            "description": "The Xiaomi Snapdragon phone started in fastbootd (userspace fastboot, logical partitions)",
            "start_mode": "fastbootd",
        }
    ),
}

DEFAULT_PROFILE = "xiaomi-qcom"
