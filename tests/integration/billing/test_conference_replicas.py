"""Two billing replicas, one conference seat (R-EXP6, R-EXP3; design §3, §5): both write the same joins
and leaves (one row each), and the seat settles once for the time with the expert whichever replica
handles the del-member or the CDR — the other's attempt is the same request under the same key. A CDR
reaching a replica that never saw the participant's leave bills up to the CDR's end, not beyond."""

from __future__ import annotations

from sqlalchemy import func, select

from careline.billing import rating
from careline.billing.authorisation import Consultations
from careline.billing.conference import ConferenceDesk
from careline.billing.conference_store import JOIN, LEAVE
from careline.billing.metering import ConsultationDesk
from careline.billing.models import ConferenceEvent
from careline.v1.cdr_pb2 import Cdr

T0 = 1_700_000_000_000_000  # µs


def _replica(billing) -> ConferenceDesk:
    consultations = Consultations(billing.sessions, billing.settings, billing.plan)
    return ConferenceDesk(ConsultationDesk(consultations, billing.settings, esl=None, bus=None))


async def _seen_by(desk: ConferenceDesk, room: str, events) -> None:
    for call, member_id, role, action, at_s in events:
        await desk.store.record(conference=room, call_uuid=call, member_id=member_id, role=role,
                                action=action, at_us=T0 + at_s * 1_000_000)  # fmt: skip


async def test_two_replicas_settle_a_seat_once_for_the_time_with_the_expert(billing, sell):
    a, b = _replica(billing), _replica(billing)
    card = await sell(1000)
    await a.desk.consultations.authorise(call_uuid="s1", card_number=card, service=rating.CONFERENCE_SPEAKER)
    events = [("e", 1, "expert", JOIN, 0), ("s1", 2, "speaker", JOIN, 10), ("e", 1, "expert", LEAVE, 75),
              ("s1", 2, "speaker", LEAVE, 90)]  # fmt: skip
    await _seen_by(a, "r1", events)
    await _seen_by(b, "r1", events)  # the other replica's link saw the same events
    async with billing.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConferenceEvent)) == 4

    settled = await a._settle("r1", "s1")  # replica a handles the del-member
    assert settled["billed_seconds"] == 65 and settled["charge_fen"] == 400
    auth = await b.desk.consultations.get("s1")
    cdr = Cdr(uuid="s1", end_epoch=(T0 // 1_000_000) + 91)
    await b.on_seat_cdr(auth, cdr)  # replica b handles the CDR: the same request, one settlement
    assert await b._settle("", "s1") == settled
    assert (await billing.card_info(card))["balance_fen"] == 600


async def test_a_cdr_on_a_replica_that_missed_the_leave_bills_to_the_cdr_end(billing, sell):
    b = _replica(billing)
    card = await sell(1000)
    auth = await b.desk.consultations.authorise(
        call_uuid="s2", card_number=card, service=rating.CONFERENCE_SPEAKER
    )
    await _seen_by(b, "r2", [("e", 1, "expert", JOIN, 0), ("s2", 2, "speaker", JOIN, 20)])
    # No leave was stored (no replica was listening then); the CDR says the leg ended at 150 s.
    await b.on_seat_cdr(auth, Cdr(uuid="s2", end_epoch=(T0 // 1_000_000) + 150))
    line = (await billing.statement(card))["items"][-1]
    assert line["kind"] == "conference_speaker"
    assert line["detail"]["billed_seconds"] == 130 and line["detail"]["charge_fen"] == 600
