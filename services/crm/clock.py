"""Times in the CRM: stored in UTC, typed and keyed in as the hospital's local time.

SQLite hands back naive datetimes for ``DateTime(timezone=True)`` columns (PostgreSQL aware ones);
:func:`utc` makes both aware so comparisons and API output agree on both databases.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime; a naive value is taken to be UTC already (as stored)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def local_to_utc(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """The UTC instant of ``day`` ``time`` on the hospital's clock (``zone``)."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def aware(value: dt.datetime, zone: str) -> dt.datetime:
    """An API datetime in UTC: with an offset as given, without one on the hospital's clock."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(dt.UTC)


def local_day(value: dt.datetime, zone: str) -> dt.date:
    return utc(value).astimezone(ZoneInfo(zone)).date()
