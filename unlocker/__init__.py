"""unlocker: a fastboot implementation and guided toolkit for taking back control of Android phones.

The package is layered; each sub-package names its layer:

- ``unlocker.transport``: byte pipes to a phone (USB via pyusb, TCP).
- ``unlocker.fastboot``: the fastboot protocol client on top of a transport.
- ``unlocker.sparse``: Android sparse images (read, write, convert, resparse).
- ``unlocker.device``: what we know about phones (state report, vendor specifics).
- ``unlocker.emulator``: the virtual phone used for practice and for every test.
- ``unlocker.cli``: the thin command-line shell over all of the above.
"""

__version__ = "0.1.0"
