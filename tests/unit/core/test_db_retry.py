"""retry_locked re-runs an idempotent unit SQLite refused as locked, and nothing else (design §5)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from careline.core.db import retry_locked


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


async def test_a_locked_unit_runs_again_until_it_succeeds():
    calls = []

    async def unit():
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "stored"

    assert await retry_locked(unit, first_delay=0.001) == "stored"
    assert len(calls) == 3


async def test_it_gives_up_after_the_last_attempt():
    calls = []

    async def unit():
        calls.append(1)
        raise _locked()

    with pytest.raises(OperationalError, match="locked"):
        await retry_locked(unit, attempts=4, first_delay=0.001)
    assert len(calls) == 4


async def test_other_errors_are_not_retried():
    calls = []

    async def unit():
        calls.append(1)
        raise IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        await retry_locked(unit, first_delay=0.001)
    assert len(calls) == 1
