"""The flash engine: decide what to send (plan, a pure function) and send it (execute)."""
