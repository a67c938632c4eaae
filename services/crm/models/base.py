"""The CRM's declarative base (design §5: the CRM owns its tables; nobody else reads them directly)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import DeclarativeBase

from careline.core.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
