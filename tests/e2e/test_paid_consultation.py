"""Paid expert consultations end to end on the simulator (R-EXP1-R-EXP5, R-VIP3; design §3).

Real nats-server, the FreeSWITCH simulator (20x faster), the real billing and cdr apps. The test plays
the IVR (authorise over NATS) and an ACD-like owner: it originates the expert phone with
careline_call_id/careline_queue/careline_agent, bridges it to the caller, and ends the call when billing
asks (ACD_CALL_END_REQUEST). Times are simulated seconds from the simulator's clock. The final charge
comes from the expert leg's CDR, published by the cdr app and consumed durably by billing (R-EXP3), and
is read back from the card's statement (R-EXP4) and the ledger itself.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import func, select

from careline import subjects
from careline.billing import ledger, rating
from careline.billing.models import Posting, Transaction
from careline.core.bus import Bus
from careline.core.esl import EslClient
from careline.switchsim import TRACE_DIALPLAN, CallerScript, PhoneBehaviour, Switch
from careline.v1.consultation_pb2 import CallEndRequest, ConsultationAuthReply, ConsultationAuthRequest
from tests.e2e.support import ready, running, service_settings, start_switch, wait_until

TIME_SCALE = 0.05
GRACE = 5
_numbers = itertools.count(1)


def billing_app(tmp_path, nats_url, sw):
    from careline.billing.app import create_app
    from careline.billing.settings import BillingSettings

    settings = BillingSettings(
        **service_settings(tmp_path, "billing", nats_url, sw),
        pin_scrypt_n=2**10,
        time_scale=TIME_SCALE,
        consultation_grace_s=GRACE,
    )
    return create_app(settings)


@pytest.fixture
async def center(tmp_path, nats_url):
    from careline.cdr.app import create_app as cdr_app
    from careline.cdr.settings import CdrSettings

    async with AsyncExitStack() as stack:
        sw = await start_switch(stack, TIME_SCALE, dialplan=list(TRACE_DIALPLAN))
        cdr = await stack.enter_async_context(
            running(cdr_app(CdrSettings(**service_settings(tmp_path, "cdr", nats_url, sw))))
        )
        billing_stack = AsyncExitStack()
        stack.push_async_callback(billing_stack.aclose)
        app = billing_app(tmp_path, nats_url, sw)
        billing = await billing_stack.enter_async_context(running(app))
        for client in (cdr, billing):
            await wait_until(lambda c=client: ready(c), 10, "services ready")
        bus = await Bus.connect(nats_url, name="test-owner")
        stack.push_async_callback(bus.close)
        esl = EslClient("127.0.0.1", sw.esl_port, sw.config.password, name="test-acd")
        await esl.start()
        stack.push_async_callback(esl.close)
        ended: list[str] = []

        async def end_call(request: CallEndRequest) -> None:  # the ACD-like owner obeys (design §3)
            ended.append(request.call_uuid)
            await esl.api(f"uuid_kill {request.call_uuid} ALLOTTED_TIMEOUT")

        await bus.subscribe(subjects.ACD_CALL_END_REQUEST, end_call, msg_type=CallEndRequest)
        commands: list[str] = []  # what billing asked of the switch over its own ESL link
        desk_esl = app.state.consultations.esl
        real_api = desk_esl.api

        async def spy(cmd: str, **kw) -> str:
            commands.append(cmd)
            return await real_api(cmd, **kw)

        desk_esl.api = spy
        yield {
            "sw": sw,
            "billing": billing,
            "commands": commands,
            "desk": app.state.consultations,
            "ledger": app.state.billing.sessions,
            "billing_stack": billing_stack,
            "bus": bus,
            "esl": esl,
            "ended": ended,
        }


async def _sell(billing: httpx.AsyncClient, balance_fen: int, vip_level: int = 0) -> str:
    number = f"E{next(_numbers):05d}{secrets.token_hex(2)}"
    body = {
        "idempotency_key": f"sale-{number}",
        "card_number": number,
        "patient_id": f"p-{number}",
        "pin": "1234",
        "opening_balance_fen": balance_fen,
        "vip_level": vip_level,
    }
    r = await billing.post("/v1/cards", json=body)
    assert r.status_code == 201, r.text
    return number


async def _consult(c, card: str, expert_ext: str, queued_s: float = 0) -> tuple[str, ConsultationAuthReply]:
    """Caller parks (after the IVR), billing authorises over NATS, the caller waits ``queued_s`` simulated
    seconds in the queue, then the owner bridges an expert."""
    sw, esl = c["sw"], c["esl"]
    sw.add_phone(expert_ext, PhoneBehaviour(answer_after=2.0, talk_time=None))
    caller = await sw.place_call(f"139{next(_numbers):08d}", "9103", CallerScript([], "caller"))
    assert await sw.wait_call_event(caller, "answered", 10)
    await esl.api(f"uuid_setvar {caller} careline_call_id {caller}")  # what the IVR does
    reply = await c["bus"].request(
        subjects.BILLING_CONSULTATION_AUTH,
        ConsultationAuthRequest(call_uuid=caller, card_number=card, category="*", lang="en"),
        reply_type=ConsultationAuthReply,
    )
    assert reply.ok, reply.reason
    await asyncio.sleep(queued_s * TIME_SCALE)
    variables = f"careline_call_id={caller},careline_queue=experts,careline_agent=expert-{expert_ext}"
    answer = await esl.api(f"originate {{{variables}}}user/{expert_ext} &park()", timeout=10)
    assert answer.startswith("+OK"), answer
    expert_leg = answer.split()[1]
    assert (await esl.api(f"uuid_bridge {caller} {expert_leg}")).startswith("+OK")
    return caller, reply


def _expert_answered_at(sw: Switch, ext: str) -> float:
    return sw.phones[ext].history[-1]["answered_at"]


async def _card(c, card: str) -> dict:
    return (await c["billing"].get(f"/v1/cards/{card}")).json()


async def _consultation_line(c, card: str, caller: str) -> dict:
    """The card's statement line of this consultation, once billing has settled it from the CDR."""
    lines: list[dict] = []

    async def settled() -> bool:
        r = await c["billing"].get(f"/v1/cards/{card}/statement")
        items = r.json()["items"]
        lines[:] = [
            i for i in items if i["kind"] == "expert_consultation" and i["detail"]["call_uuid"] == caller
        ]
        return bool(lines)

    await wait_until(settled, 10, "the settlement from the CDR")
    assert len(lines) == 1, lines  # one line per consultation
    return lines[0]


async def _moved_for(c, caller: str, account: str) -> int:
    """What this call's transactions (hold, interim minutes, settlement) moved on ``account``."""
    async with c["ledger"]() as session:
        total = await session.scalar(
            select(func.coalesce(func.sum(Posting.amount_fen), 0))
            .join(Transaction, Transaction.id == Posting.transaction_id)
            .where(
                Transaction.idempotency_key.like(f"consultation-%:{caller}%"), Posting.account_id == account
            )
        )
    return int(total)


async def _assert_reconciled(c, card: str, caller: str, line: dict, *, opening: int) -> None:
    """R-EXP3: the charge is the rating rule's for the CDR's billed seconds (capped at the hold), interim
    debits are part of it, not on top of it, and nothing stays held for the call."""
    d = line["detail"]
    rule = min(rating.metered_charge(d["billed_seconds"], 200, "per_started_minute"), d["hold_fen"])
    assert d["charge_fen"] == rule and d["price_fen"] == 200
    assert await _moved_for(c, caller, ledger.REVENUE) == d["charge_fen"]  # interim + settlement
    assert await _moved_for(c, caller, ledger.HOLDS) == 0  # the hold released
    assert (await _card(c, card))["balance_fen"] == opening - d["charge_fen"] == line["balance_fen"]


async def test_paid_time_counts_from_the_experts_answer_however_long_the_queue(center):
    """Issue 8: on the real switch sched_hangup adds a task, so the backstop armed at authorisation stayed
    and the queue wait was cut from the paid time. A caller who waits 60 s for the expert still gets all
    120 paid seconds from the answer (the first backstop would have ended the call at answer + 65 s)."""
    c = center
    card = await _sell(c["billing"], 450)  # 2 minutes at 2 CNY
    caller, auth = await _consult(c, card, "2003", queued_s=60)
    assert auth.allowed_seconds == 120
    await asyncio.wait_for(c["sw"].calls[caller].done.wait(), 30)
    talked = c["sw"].calls[caller].ended_at - _expert_answered_at(c["sw"], "2003")
    assert abs(talked - 120) <= 1.0, talked
    assert c["ended"] == [caller]  # the owner ended it when billing asked, not the backstop


async def test_consultation_cut_when_credit_runs_out(center):
    c = center
    card = await _sell(c["billing"], 450)  # 2 minutes at 2 CNY, 50 fen left
    caller, auth = await _consult(c, card, "2001")
    assert (auth.allowed_seconds, auth.hold_fen, auth.free) == (120, 400, False)
    assert "per minute" in auth.tariff_text
    await asyncio.wait_for(c["sw"].calls[caller].done.wait(), 30)
    ended_at = c["sw"].calls[caller].ended_at
    should = _expert_answered_at(c["sw"], "2001") + 120
    assert abs(ended_at - should) <= 1.0, (ended_at, should)
    assert c["ended"] == [caller]  # billing asked the owner, who ended it before the backstop
    # The backstop was set at authorisation and re-armed at the answer; the caller was warned. The real
    # switch's sched_hangup adds a task rather than replacing one, so each arming first drops the old.
    mine = [cmd for cmd in c["commands"] if caller in cmd]
    arm = [f"sched_del {caller}", f"sched_hangup +{120 + GRACE} {caller} ALLOTTED_TIMEOUT"]
    assert mine[:4] == arm * 2, mine
    assert any(cmd.startswith(f"uuid_broadcast {caller} ") for cmd in mine), mine

    # The final charge from the expert leg's CDR: two minutes, exactly the hold, with the interim
    # debits reconciled; still a statement line of its own (R-EXP4) though it moves nothing on the card.
    line = await _consultation_line(c, card, caller)
    history = c["sw"].phones["2001"].history[-1]
    assert line["detail"]["cdr_uuid"] == history["uuid"] and line["detail"]["expert"] == "expert-2001"
    assert abs(line["detail"]["expert_answered_at"] - history["answered_at"]) <= 1
    assert 119 <= line["detail"]["billed_seconds"] <= 121
    assert line["detail"]["charge_fen"] == 400 and line["amount_fen"] == 0
    await _assert_reconciled(c, card, caller, line, opening=450)
    assert (await _card(c, card))["balance_fen"] == 50


async def test_caller_hangs_up_mid_minute_and_the_cdr_settles_the_started_minutes(center):
    c = center
    card = await _sell(c["billing"], 1000)  # 5 minutes held
    caller, auth = await _consult(c, card, "2004")
    assert (auth.allowed_seconds, auth.hold_fen) == (300, 1000)
    assert await c["sw"].wait_call_event(caller, "bridged", 10)
    answered = _expert_answered_at(c["sw"], "2004")
    # Hang up 90 simulated seconds after the expert answered: minute 1 debited in the interim.
    await asyncio.sleep(max(0.0, (answered + 90 - c["sw"].core.now()) * TIME_SCALE))
    c["sw"].hangup(caller)
    await asyncio.wait_for(c["sw"].calls[caller].done.wait(), 10)
    line = await _consultation_line(c, card, caller)
    d = line["detail"]
    assert 89 <= d["billed_seconds"] <= 91 and d["charge_fen"] == 400  # two started minutes
    assert d["interim_fen"] == 200 and d["hold_fen"] == 1000
    assert line["amount_fen"] == 600  # what the hold gave back: hold - charge
    assert d["cdr_uuid"] == c["sw"].phones["2004"].history[-1]["uuid"]
    await _assert_reconciled(c, card, caller, line, opening=1000)


async def test_billing_stopped_mid_call_the_backstop_ends_it(center):
    c = center
    card = await _sell(c["billing"], 400)
    caller, auth = await _consult(c, card, "2002")
    assert auth.allowed_seconds == 120
    assert await c["sw"].wait_call_event(caller, "bridged", 10)
    await asyncio.sleep(20 * TIME_SCALE)  # 20 s into the consultation
    await c["billing_stack"].aclose()  # billing goes away: no timers, no end request
    await asyncio.wait_for(c["sw"].calls[caller].done.wait(), 30)
    ended_at = c["sw"].calls[caller].ended_at
    should = _expert_answered_at(c["sw"], "2002") + 120 + GRACE
    assert abs(ended_at - should) <= 1.0, (ended_at, should)
    assert c["sw"].calls[caller].hangup_cause == "ALLOTTED_TIMEOUT" and c["ended"] == []


async def test_vip_consults_free(center):
    c = center
    card = await _sell(c["billing"], 0, vip_level=2)
    caller, auth = await _consult(c, card, "2003")
    assert auth.free and auth.hold_fen == 0
    await asyncio.sleep(90 * TIME_SCALE)
    c["sw"].hangup(caller)
    await asyncio.wait_for(c["sw"].calls[caller].done.wait(), 10)
    assert c["ended"] == [] and (await _card(c, card))["balance_fen"] == 0
    line = await _consultation_line(c, card, caller)
    assert line["amount_fen"] == 0 and line["detail"]["free"] and line["detail"]["charge_fen"] == 0
