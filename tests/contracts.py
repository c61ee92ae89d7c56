"""Public output contracts the tests pin down (changing them breaks users' scripts)."""

# `unlocker status --json`: exactly these keys (issue 2).
STATUS_KEYS = frozenset(
    {
        "mode",
        "product",
        "serial",
        "unlocked",
        "critical_unlocked",
        "secure",
        "unlock_ability",
        "anti_rollback",
        "slot_count",
        "current_slot",
        "max_download_size",
        "battery",
        "next_step",
    }
)
