"""The audit chain (issue 9 §3, R-ADM2): each hash covers every field and the previous hash, and verify
finds an altered, removed or inserted row. A SQLite file without the triggers stands for an attacker who
has the database file and drops them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from careline.core import db
from careline.core.audit import AuditEntry, AuditLog, Outcome, verify_chain
from careline.core.audit.chain import GENESIS, HASHED_FIELDS, canonical_time, row_hash
from careline.core.audit.models import Base
from careline.core.auth import Principal, Role

FIELDS = {
    "at": dt.datetime(2026, 12, 4, 9, 30, 0, 123456, tzinfo=dt.UTC),
    "service": "billing",
    "actor": "careline|u-1",
    "actor_roles": "finance",
    "token_id": "t-1",
    "action": "billing.adjustment.create",
    "target": "account:A1",
    "outcome": "ok",
    "source": "10.0.0.8",
    "detail": '{"amount_fen":500}',
}


@pytest.mark.parametrize("name", HASHED_FIELDS)
def test_every_field_is_covered_by_the_hash(name: str) -> None:
    changed = dict(FIELDS)
    changed[name] = FIELDS["at"] + dt.timedelta(microseconds=1) if name == "at" else f"{FIELDS[name]}x"
    assert row_hash(GENESIS, changed) != row_hash(GENESIS, FIELDS)


def test_the_previous_hash_is_covered() -> None:
    assert row_hash(GENESIS, FIELDS) != row_hash("1" * 64, FIELDS)


def test_time_is_canonical_whatever_the_database_hands_back() -> None:
    aware = FIELDS["at"]
    naive = aware.replace(tzinfo=None)  # SQLite
    shanghai = aware.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert canonical_time(aware) == canonical_time(naive) == canonical_time(shanghai)
    assert canonical_time(aware) == "2026-12-04T09:30:00.123456Z"


@pytest.fixture
async def audit(tmp_path):
    url = db.sqlite_url(tmp_path / "audit.db")
    engine = db.make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)  # no triggers: the attacker dropped them
    log = AuditLog(db.session_factory(engine), service="crm")
    yield log
    await engine.dispose()


PRINCIPAL = Principal(subject="u-7", roles=frozenset({Role.AGENT}), issuer="careline", token_id="t-7")


async def fill(log: AuditLog, count: int = 5) -> None:
    for n in range(count):
        entry = AuditEntry.by(
            PRINCIPAL, "crm.patient.read", f"patient:P{n}", source="10.1.1.1", detail={"n": n}
        )
        await log.record(entry)


async def check(log: AuditLog):
    async with log.sessions() as session:
        return await verify_chain(session, batch=2)  # small batches: the page boundary is crossed


async def test_an_intact_chain_verifies(audit: AuditLog) -> None:
    await fill(audit)
    report = await check(audit)
    assert report.ok and report.rows == 5 and report.broken_at is None


async def test_the_actor_comes_from_the_principal(audit: AuditLog) -> None:
    row = await audit.record(
        AuditEntry.by(PRINCIPAL, "crm.patient.read", "patient:P1", outcome=Outcome.DENIED)
    )
    assert (row.actor, row.actor_roles, row.token_id, row.outcome) == (
        "careline|u-7",
        "agent",
        "t-7",
        "denied",
    )
    system = await audit.record(AuditEntry.by_system("crm", "crm.patient.language.set", "patient:P1"))
    assert system.actor == "system:crm" and system.prev_hash == row.hash


@pytest.mark.parametrize(
    ("tamper", "broken_at", "problem"),
    [
        ("UPDATE audit_log SET target = 'patient:P9' WHERE id = 3", 3, "content"),
        ("UPDATE audit_log SET outcome = 'ok', actor = 'careline|admin' WHERE id = 1", 1, "content"),
        ("DELETE FROM audit_log WHERE id = 3", 4, "follow"),
        ("DELETE FROM audit_log WHERE id = 1", 2, "follow"),
        ("UPDATE audit_log SET at = '2020-01-01 00:00:00.000000' WHERE id = 5", 5, "content"),
    ],
)
async def test_an_altered_or_removed_row_is_found(audit: AuditLog, tamper: str, broken_at: int, problem: str):
    await fill(audit)
    async with audit.sessions.begin() as session:
        await session.execute(text(tamper))
    report = await check(audit)
    assert not report.ok
    assert report.broken_at == broken_at
    assert problem in report.problem


async def test_a_rewritten_row_with_its_own_hash_recomputed_still_breaks_the_next_link(audit: AuditLog):
    await fill(audit)
    async with audit.sessions.begin() as session:
        row = (await session.execute(text("SELECT * FROM audit_log WHERE id = 2"))).mappings().one()
        forged = {name: row[name] for name in HASHED_FIELDS} | {"target": "patient:NOBODY"}
        forged["at"] = dt.datetime.fromisoformat(str(row["at"]))
        new_hash = row_hash(row["prev_hash"], forged)
        await session.execute(
            text("UPDATE audit_log SET target = 'patient:NOBODY', hash = :h WHERE id = 2"), {"h": new_hash}
        )
    report = await check(audit)
    assert not report.ok and report.broken_at == 3


async def test_detail_too_large_is_refused(audit: AuditLog) -> None:
    with pytest.raises(ValueError):
        await audit.record(AuditEntry.by(PRINCIPAL, "x", "y", detail={"blob": "x" * 20_000}))


def test_an_entry_for_a_request_takes_the_verified_caller_and_address() -> None:
    from types import SimpleNamespace

    request = SimpleNamespace(
        state=SimpleNamespace(principal=PRINCIPAL), client=SimpleNamespace(host="10.2.3.4")
    )
    entry = AuditEntry.for_request(request, "crm.patient.read", "patient:P1", detail={"fields": ["name"]})
    assert (entry.actor, entry.actor_roles, entry.token_id, entry.source) == (
        "careline|u-7",
        "agent",
        "t-7",
        "10.2.3.4",
    )
    unguarded = SimpleNamespace(state=SimpleNamespace(), client=None)
    with pytest.raises(RuntimeError):
        AuditEntry.for_request(unguarded, "crm.patient.read", "patient:P1")
