"""The waiting-period ledger: what Xiaomi's server last said, kept so `unlocker wait` works offline."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from dataclasses import asdict, dataclass

from unlocker import paths
from unlocker.i18n import _

UTC = dt.timezone.utc
BEIJING = dt.timezone(dt.timedelta(hours=8), "Beijing")
_HOURS = re.compile(r"\b([0-9]{1,9})\s*hours?", re.IGNORECASE)


@dataclass
class WaitRecord:
    hours_left: int
    ends_at: str  # ISO 8601, UTC
    source: str  # "server", "estimate", or "unlocked" (the phone was unlocked: nothing left to wait)
    checked_at: str  # ISO 8601, UTC
    product: str | None = None


# More hours than this (over 11 years) is not a waiting period but a garbled answer.
MAX_WAIT_HOURS = 100_000


def wait_hours(data: dict, description: str) -> int | None:
    """Hours from a 20036 answer: data.waitHour, else 'N hours' in descEN (some answers lack data).

    None when neither says a plausible number of hours (negative, infinite, absurd or missing).
    """
    value = data.get("waitHour") if isinstance(data, dict) else None
    hours: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        hours = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        hours = int(value.strip())
    else:
        match = _HOURS.search(description if isinstance(description, str) else "")
        if match:
            hours = int(match.group(1))
    return int(hours) if hours is not None and 0 <= hours <= MAX_WAIT_HOURS else None


def record_from_server(hours: int, product: str | None, now: dt.datetime | None = None) -> WaitRecord:
    now = (now or dt.datetime.now(UTC)).replace(microsecond=0)
    ends = now + dt.timedelta(hours=hours)
    return WaitRecord(hours, ends.isoformat(), "server", now.isoformat(), product)


def record_from_binding(
    bound_at: dt.datetime, period_hours: int, now: dt.datetime | None = None
) -> WaitRecord:
    now = (now or dt.datetime.now(UTC)).replace(microsecond=0)
    ends = bound_at.astimezone(UTC) + dt.timedelta(hours=period_hours)
    return WaitRecord(_hours_until(ends, now), ends.isoformat(), "estimate", now.isoformat())


def _path():
    return paths.state_dir() / "mi-unlock-ledger.json"


def save(record: WaitRecord) -> None:
    path = _path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    os.replace(tmp, path)


def load() -> WaitRecord | None:
    try:
        return WaitRecord(**json.loads(_path().read_text()))
    except (OSError, ValueError, TypeError):
        return None


def mark_unlocked(product: str | None, now: dt.datetime | None = None) -> None:
    """The phone was unlocked: a record about it (or about no particular phone) is done, so
    `unlocker wait` stops counting down. A record about another phone is left alone."""
    record = load()
    if record is None or record.product not in (None, product):
        return
    now = (now or dt.datetime.now(UTC)).replace(microsecond=0)
    save(WaitRecord(0, now.isoformat(), "unlocked", now.isoformat(), product))


def refresh(record: WaitRecord, now: dt.datetime | None = None) -> WaitRecord:
    """Hours left as of now, from the stored end time."""
    now = now or dt.datetime.now(UTC)
    ends = dt.datetime.fromisoformat(record.ends_at)
    return WaitRecord(
        _hours_until(ends, now), record.ends_at, record.source, record.checked_at, record.product
    )


def _hours_until(ends: dt.datetime, now: dt.datetime) -> int:
    """Whole hours left, rounded up (1 minute left is '1 hour'), never negative."""
    seconds = (ends - now).total_seconds()
    return max(0, int(seconds // 3600) + (1 if seconds > 0 and seconds % 3600 else 0))


def describe_end(ends_at: str) -> str:
    """When the waiting period ends, for people: local time, UTC and Beijing time (Xiaomi counts in it)."""
    ends = dt.datetime.fromisoformat(ends_at)
    stamp = "%Y-%m-%d %H:%M"
    return _("{local} local time, {utc} UTC, {beijing} Beijing time").format(
        local=ends.astimezone().strftime(stamp),
        utc=ends.astimezone(UTC).strftime(stamp),
        beijing=ends.astimezone(BEIJING).strftime(stamp),
    )
