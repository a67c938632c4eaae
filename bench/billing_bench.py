"""Billing figures (issue 5): ledger postings per second, and the consultation authorisation round trip
over NATS (p50/p99). SQLite file database, a real nats-server; the switch is a stub that accepts the
sched_hangup backstop at once, so the figure is NATS + hold in the ledger + reply.

    .venv/bin/python bench/billing_bench.py [--postings N] [--auths N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from careline import subjects
from careline.billing.authorisation import Consultations
from careline.billing.domain import Billing
from careline.billing.metering import ConsultationDesk
from careline.billing.settings import BillingSettings
from careline.core.bus import Bus
from careline.core.db import make_engine, migrate, session_factory
from careline.core.natsserver import NatsServer
from careline.v1.consultation_pb2 import ConsultationAuthReply, ConsultationAuthRequest


class AcceptingSwitch:
    async def api(self, cmd: str, **_kw) -> str:
        return "+OK\n"

    def subscribe(self, *_a, **_kw) -> None:
        pass


async def bench_postings(billing: Billing, n: int) -> float:
    card = "BENCH0001"
    await billing.sell_card(
        key="bench-sale", card_number=card, patient_id="p", pin="1234", opening_balance_fen=0
    )
    started = time.perf_counter()
    for i in range(n):  # each adjustment is one balanced transaction of two postings
        await billing.adjust(
            key=f"bench-adj-{i}", card_number=card, amount_fen=100, reason="bench", admin_id="b"
        )
    return 2 * n / (time.perf_counter() - started)


async def bench_auth(billing: Billing, settings: BillingSettings, url: str, n: int) -> list[float]:
    server_bus = await Bus.connect(url, name="bench-billing")
    client_bus = await Bus.connect(url, name="bench-ivr")
    desk = ConsultationDesk(
        Consultations(billing.sessions, settings, billing.plan), settings, esl=None, bus=None
    )
    desk.esl = AcceptingSwitch()
    await server_bus.serve(
        subjects.BILLING_CONSULTATION_AUTH, desk.on_auth_request, request_type=ConsultationAuthRequest
    )
    await billing.sell_card(
        key="bench-sale-2", card_number="BENCH0002", patient_id="p", pin="1234", opening_balance_fen=10**9
    )
    times = []
    for i in range(n):
        request = ConsultationAuthRequest(call_uuid=f"bench-call-{i}", card_number="BENCH0002")
        started = time.perf_counter()
        reply = await client_bus.request(
            subjects.BILLING_CONSULTATION_AUTH, request, reply_type=ConsultationAuthReply, timeout=5
        )
        times.append(time.perf_counter() - started)
        assert reply.ok, reply.reason
    await client_bus.close()
    await server_bus.close()
    return times


async def main(postings: int, auths: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'billing.db'}"
        await migrate(url, "billing")
        engine = make_engine(url)
        settings = BillingSettings(env="test", db_url=url, esl_enabled=False, pin_scrypt_n=2**10)
        billing = Billing(session_factory(engine), settings)
        rate = await bench_postings(billing, postings)
        print(
            f"ledger: {rate:,.0f} postings/s ({postings} two-leg transactions, SQLite file, idempotency keys)"
        )
        nats = NatsServer(Path(tmp) / "nats").start()
        try:
            times = sorted(await bench_auth(billing, settings, nats.url, auths))
        finally:
            nats.stop()
        p50 = statistics.median(times) * 1000
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
        print(f"authorisation over NATS: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({auths} calls, stub switch)")
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postings", type=int, default=1000)
    parser.add_argument("--auths", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.postings, args.auths))
