"""Byte pipes to a phone: USB (pyusb) and TCP. The protocol layer sees only ``Transport``."""
