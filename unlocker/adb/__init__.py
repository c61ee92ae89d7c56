"""ADB, spoken by unlocker itself: enough of it to carry a phone through its recovery.

- ``message``: the wire format (24-byte headers, versions, limits, an incremental reader),
  shared with the virtual phone;
- ``pubkey``: Android's public-key format and the AUTH signature check, also shared;
- ``banner``: what a phone's CNXN says about it (mode, codename, features);
- ``auth``: this computer's adb keys (``~/.android/adbkey`` when present, else our own);
- ``client``: the connection (CNXN, AUTH, streams with flow control) over any transport, and
  ``ADB_USB``, the USB interface adb lives on;
- ``package``: what a ROM zip says about itself, checked before a byte is sent;
- ``sideload``: ``sideload-host`` (and the legacy ``sideload``) serving a zip to a recovery.

Importing this package loads nothing: the virtual phone imports ``message`` and ``pubkey``
under interpreters that have no ``cryptography``.
"""
