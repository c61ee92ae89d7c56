"""The virtual phone: a fastboot device that speaks the real wire protocol.

Used by ``unlocker emulate`` (practice the whole flow without a phone) and by every test.
``model`` holds the phone's state and answers commands; ``tcp_server`` and the pyusb
backend in ``usb_backend`` only carry bytes to and from it.
"""
