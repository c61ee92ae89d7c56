"""Reading what a flash or erase plan needs from the phone, once: its facts, and its SoC family
when the partition may be critical (the family decides whose table of critical names applies)."""

from __future__ import annotations

from unlocker.device.facts import PhoneFacts, Variables, read_facts
from unlocker.device.soc import soc_family
from unlocker.fastboot.client import FastbootClient
from unlocker.flashing.critical import in_any_table


def read_flash_facts(client: FastbootClient, partition: str) -> PhoneFacts:
    """The facts ``plan_flash`` and ``plan_erase`` need for ``partition``."""
    variables = Variables(client)
    facts = read_facts(client, partitions=[partition], variables=variables)
    if in_any_table(partition):
        # Only then: the index lookup costs a second, and ordinary partitions never need it.
        facts.soc_family = soc_family(facts.product, variables)
    return facts
