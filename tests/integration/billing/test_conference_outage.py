"""A billing outage never gives free minutes in a conference (R-EXP6, R-EXP3; design §3, §5): real
nats-server, the switch simulator (20x faster), SQLite file and PostgreSQL.

While no billing process is connected, a participant joins (or the expert leaves): the switch's
add-member/del-member reaches nobody. The next billing process lists the room (``conference <room>
list``) and records what it missed as ``reconciled`` rows (careline.billing.conference_reconcile): the
participant is billed from that moment, not zero; the expert's unseen leave stops billing at the last
moment billing knew they were there (the clean stop's watch mark) — the gap is not charged. Times are
simulated seconds; billing's start and stop take real time, so the bounds are read around them.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from careline.billing import rating
from careline.billing.conference_reconcile import parse_list
from careline.billing.conference_store import RECONCILED
from careline.billing.models import ConferenceEvent
from tests.integration.billing import test_conference_restart as restart
from tests.integration.billing.test_conference_restart import (
    _at,
    _into_room,
    _join,
    _settings,
    _stored,
    _until,
    billing_running,
)

sw, esl = restart.sw, restart.esl  # the simulator and the test's own ESL link (fixtures)


async def _sell(http, card: str) -> None:
    sale = {"idempotency_key": f"sale-{card}", "card_number": card, "patient_id": f"p-{card}",
            "pin": "2468", "opening_balance_fen": 1000}  # fmt: skip
    assert (await http.post("/v1/cards", json=sale)).status_code == 201


async def _seat(http, room: str, leg: str, card: str) -> None:
    seat = {"call_uuid": leg, "card_number": card, "role": "speaker", "lang": "en"}
    r = await http.post(f"/v1/conferences/{room}/seats", json=seat)
    assert r.status_code == 200 and r.json()["hold_fen"] == 1000, r.text


async def _rows(app, call: str, action: str) -> list[ConferenceEvent]:
    async with app.state.billing.sessions() as session:
        rows = await session.scalars(
            select(ConferenceEvent).where(ConferenceEvent.call_uuid == call, ConferenceEvent.action == action)
        )
        return list(rows)


async def _settled_line(app, http, card: str, leg: str) -> dict:
    async def settled() -> bool:
        return await app.state.consultations.consultations.is_settled(leg)

    await _until(settled, 10, "the seat's settlement")
    items = (await http.get(f"/v1/cards/{card}/statement")).json()["items"]
    lines = [i for i in items if i["kind"] == "conference_speaker"]
    assert len(lines) == 1, items
    return lines[0]["detail"]


async def test_a_participant_who_joins_while_billing_is_down_is_billed_from_the_reconcile(
    db_url,
    nats_url,
    sw,
    esl,
):
    settings = _settings(db_url, nats_url, sw)
    room, card = f"outj{secrets.token_hex(3)}", f"J{secrets.token_hex(4)}"
    async with billing_running(settings) as (first, http):
        await _sell(http, card)
        expert = await _join(sw, esl, room, "3300", "expert")
        speaker = await _join(sw, esl, room, "3301", "speaker")
        await _seat(http, room, speaker, card)  # authorised (the IVR did) but not in the room yet
        await _into_room(esl, room, expert, "expert")
        await _until(lambda: _stored(first, expert, "join"), 5, "the expert's join stored")
        t0 = sw.core.now()
        await _at(sw, t0 + 10)
    # Billing is down; the speaker joins at t0+20 and nobody sees the add-member.
    await _at(sw, t0 + 20)
    await _into_room(esl, room, speaker, "speaker")
    await _at(sw, t0 + 40)
    starting = sw.core.now()
    async with billing_running(settings) as (second, http):
        started = sw.core.now()  # the reconcile ran between `starting` and `started`
        joins = await _rows(second, speaker, "join")
        assert [j.source for j in joins] == [RECONCILED], joins
        view = (await http.get(f"/v1/conferences/{room}")).json()
        assert view["expert_present"] and {m["call_uuid"] for m in view["members"]} == {expert, speaker}
        await _at(sw, t0 + 100)
        left = sw.core.now()
        sw.hangup(expert)
        await _until(lambda: _stored(second, expert, "leave"), 5, "the expert's leave stored")
        await _at(sw, t0 + 110)
        sw.hangup(speaker)
        d = await _settled_line(second, http, card, speaker)
        # From the reconcile (not zero, and not the unseen 20 s before it) to the expert's leave.
        assert left - started - 2 <= d["billed_seconds"] <= left - starting + 2, (d, starting, started, left)
        assert 0 < d["billed_seconds"] < left - (t0 + 20)
        assert d["charge_fen"] == rating.metered_charge(d["billed_seconds"], 200, "per_started_minute")
        assert (await http.get(f"/v1/cards/{card}")).json()["balance_fen"] == 1000 - d["charge_fen"]


async def test_an_expert_who_leaves_while_billing_is_down_stops_billing_at_the_last_known_moment(
    db_url,
    nats_url,
    sw,
    esl,
):
    settings = _settings(db_url, nats_url, sw)
    room, card = f"outl{secrets.token_hex(3)}", f"L{secrets.token_hex(4)}"
    async with billing_running(settings) as (first, http):
        await _sell(http, card)
        expert = await _join(sw, esl, room, "3310", "expert")
        speaker = await _join(sw, esl, room, "3311", "speaker")
        await _seat(http, room, speaker, card)
        await _into_room(esl, room, expert, "expert")
        await _until(lambda: _stored(first, expert, "join"), 5, "the expert's join stored")
        t0 = sw.core.now()
        await _at(sw, t0 + 10)
        await _into_room(esl, room, speaker, "speaker")
        await _until(lambda: _stored(first, speaker, "join"), 5, "the speaker's join stored")
        await _at(sw, t0 + 40)
        stopping = sw.core.now()
    stopped = sw.core.now()  # the clean stop's watch mark was stored between `stopping` and `stopped`
    await _at(sw, t0 + 50)
    sw.hangup(expert)  # unseen: no billing process is connected
    await _at(sw, t0 + 70)
    async with billing_running(settings) as (second, http):
        leaves = await _rows(second, expert, "leave")
        assert [leave.source for leave in leaves] == [RECONCILED], leaves
        view = (await http.get(f"/v1/conferences/{room}")).json()
        assert not view["expert_present"] and [m["call_uuid"] for m in view["members"]] == [speaker]
        await _at(sw, t0 + 120)
        sw.hangup(speaker)
        d = await _settled_line(second, http, card, speaker)
        # With the expert from t0+10 until billing last knew the expert was there (its clean stop);
        # the unseen t0+40..t0+50 is not charged, and nothing after the expert left.
        low, high = stopping - (t0 + 10) - 2, stopped - (t0 + 10) + 2
        assert low <= d["billed_seconds"] <= high, (d, low, high)
        assert d["charge_fen"] == rating.metered_charge(d["billed_seconds"], 200, "per_started_minute") == 200
        assert (await http.get(f"/v1/cards/{card}")).json()["balance_fen"] == 1000 - 200


def test_the_switch_s_member_list_is_read_as_it_is_sent():
    # The reply captured from FreeSWITCH (tests/data/fs-traces/f_conference.plain.jsonl).
    reply = (
        "2;sofia/internal/sipp@127.0.0.1:5072;13bfc1bb-fe59-41e6-9496-d3ffd4475eff;sipp;sipp;hear|speak;0;0;100\n"
        "1;sofia/internal/sipp@127.0.0.1:5071;090eb103-b7b4-4d55-a849-589e97fba0e6;sipp;sipp;"
        "hear|speak|floor;0;0;100\n"
    )
    members = parse_list(reply)
    assert {c: (p.member_id, p.speaking) for c, p in members.items()} == {
        "13bfc1bb-fe59-41e6-9496-d3ffd4475eff": (2, True),
        "090eb103-b7b4-4d55-a849-589e97fba0e6": (1, True),
    }
    assert (
        parse_list("3;loopback/x;0a0b0c0d-0000-4000-8000-000000000001;n;1;hear;0;0;100\n")[
            "0a0b0c0d-0000-4000-8000-000000000001"
        ].speaking
        is False
    )  # muted
    assert parse_list("-ERR Conference room1 not found\n") == {}  # nobody is in the room
    assert parse_list("-ERR no reply\n") is None  # unknown: nothing is reconciled
    assert parse_list("garbage") is None
