"""The shipped platform names (firmware_index/platforms.yaml) as unlocker status reads them.

Made by `python -m unlocker.index.platforms`: edit platforms.yaml, not this file.
"""

TABLE = {
    "names": {
        "k6895v1_64": {
            "codenames": [],
            "fastbootd_products": [
                "ossi",
            ],
            "soc": "MediaTek MT6895",
            "soc_vendor": "mediatek",
        },
    },
    "patterns": [
        [
            "^k[0-9]{2,4}v[0-9]+(_64)?(_[a-z0-9]+)*$",
            "mediatek",
        ],
    ],
}
