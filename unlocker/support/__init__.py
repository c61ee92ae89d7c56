"""Helping people help themselves: environment diagnosis (`doctor`) and redacted support reports."""
