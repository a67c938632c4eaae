"""Billing meters the expert's leg only (R-EXP3): legs that carry the call's id for other reasons (a
supervisor's eavesdrop, a consult or conference leg; issue 8 'records right' gave them the call id) neither
start nor stop the meter, and their CDRs do not settle the consultation."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from careline.billing import errors, rating
from careline.billing.metering import ConsultationDesk, Meter
from careline.billing.settings import BillingSettings
from careline.v1.cdr_pb2 import Cdr

CALL = "caller-leg"


class Event(dict):
    def __init__(self, name: str, uuid: str, kind: str = ""):
        super().__init__({"Unique-ID": uuid, "variable_careline_call_id": CALL})
        if kind:
            self["variable_careline_leg"] = kind
        self.name = name


class FakeConsultations:
    def __init__(self):
        self.settled: list[dict] = []

    async def get(self, call):
        if call != CALL:
            raise errors.NotFound("no such call")
        return SimpleNamespace(service=rating.EXPERT_CONSULTATION, call_uuid=CALL)

    async def settle(self, call, **kw):
        self.settled.append(kw)


def cdr_of_call(**fields) -> Cdr:
    cdr = Cdr(**fields)
    cdr.meta.call_uuid = CALL
    return cdr


def desk() -> tuple[ConsultationDesk, FakeConsultations]:
    consultations = FakeConsultations()
    d = ConsultationDesk(consultations, BillingSettings(env="test"), esl=None, bus=None)
    d.meters[CALL] = Meter(auth=SimpleNamespace(call_uuid=CALL))
    return d, consultations


async def test_an_eavesdrop_leg_hanging_up_does_not_stop_the_meter():
    d, _ = desk()
    running = asyncio.create_task(asyncio.sleep(3600))
    d.meters[CALL].started, d.meters[CALL].task = True, running
    for kind in ("eavesdrop", "consult", "conference"):
        d.on_event(Event("CHANNEL_HANGUP", f"{kind}-leg", kind))
    assert CALL in d.meters and not running.cancelled()
    d.on_event(Event("CHANNEL_HANGUP", "expert-leg", "offer"))  # the expert's own leg ends the meter
    await asyncio.sleep(0)
    assert CALL not in d.meters and running.cancelled()


async def test_an_eavesdrop_answer_does_not_start_the_meter():
    d, _ = desk()
    d.on_event(Event("CHANNEL_ANSWER", "sup-leg", "eavesdrop"))
    assert not d.meters[CALL].started


async def test_a_cdr_no_expert_answered_does_not_settle_but_the_experts_does():
    d, consultations = desk()
    await d.on_cdr(cdr_of_call(uuid="sup-leg", answer_epoch=10, billsec=30))  # eavesdrop: no agent on it
    assert consultations.settled == []
    await d.on_cdr(cdr_of_call(uuid="expert-leg", answer_epoch=10, billsec=95, agent_id="3001"))
    assert [s["billsec"] for s in consultations.settled] == [95]
    assert consultations.settled[0]["expert"] == "3001"
