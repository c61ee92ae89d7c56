"""Xiaomi's official bootloader unlock: account session, unlock-server client, waiting-period ledger.

Never bypasses or games the waiting period: unlocker asks Xiaomi's server once and reports its
answer. Facts: shared reference xiaomi-unlock.md (public clients MiUnlockTool, XiaoMiToolV2).
"""
