"""Conference seats survive a billing restart (R-EXP6, R-EXP3 "a billing outage never gives free
minutes"; design §3, §5): real nats-server, the switch simulator (20x faster), SQLite file and
PostgreSQL.

The billing app is stopped mid-conference and a new one is started on the same database before the
participant leaves. The joins it never saw were stored by the first one (billing_conference_events);
the new one restores the room, resumes the per-minute debits and, on the expert's and the participant's
leave, settles the seat for the real time spent with the expert. Times are simulated seconds.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid as uuidlib
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import select

from careline.billing import rating
from careline.billing.authorisation import interim_debited
from careline.billing.conference_store import Stay, overlap
from careline.billing.models import ConferenceEvent
from careline.billing.settings import BillingSettings
from careline.core.esl import EslClient
from careline.switchsim import TRACE_DIALPLAN, PhoneBehaviour, Switch, SwitchConfig

TIME_SCALE = 0.05
ROOM_EXTENSION = (r"confroom_(\w+)_(mute|moderator)", [("conference", "$1@default+flags{$2}")])


@pytest.fixture
async def sw():
    config = SwitchConfig(host="127.0.0.1", esl_port=0, password=secrets.token_hex(8), time_scale=TIME_SCALE,
                          dialplan=[ROOM_EXTENSION, *TRACE_DIALPLAN])  # fmt: skip
    switch = Switch(config)
    await switch.start()
    try:
        yield switch
    finally:
        await switch.stop()


@pytest.fixture
async def esl(sw):
    client = EslClient("127.0.0.1", sw.esl_port, sw.config.password, name="test-ivr")
    await client.start()
    try:
        yield client
    finally:
        await client.close()


def _settings(db_url: str, nats_url: str, sw) -> BillingSettings:
    return BillingSettings(env="test", db_url=db_url, nats_url=nats_url, esl_host="127.0.0.1",
                           esl_port=sw.esl_port, esl_password=sw.config.password, log_json=False,
                           pin_scrypt_n=2**10, time_scale=TIME_SCALE)  # fmt: skip


@asynccontextmanager
async def billing_running(settings: BillingSettings):
    from careline.billing.app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://billing") as c:
            yield app, c


async def _until(predicate, within: float, what: str) -> None:
    end = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def _at(sw, t: float) -> None:
    await asyncio.sleep(max(0.0, (t - sw.core.now()) * TIME_SCALE))


async def _join(sw, esl, room: str, ext: str, role: str) -> str:
    leg = str(uuidlib.uuid4())
    sw.add_phone(ext, PhoneBehaviour(answer_after=0.0, talk_time=None))
    variables = f"origination_uuid={leg},careline_call_id={leg},careline_conference_role={role}"
    assert (await esl.api(f"originate {{{variables}}}user/{ext} &park()", timeout=10)).startswith("+OK")
    return leg


async def _into_room(esl, room: str, leg: str, role: str) -> None:
    flags = "moderator" if role == "expert" else "mute"
    assert (await esl.api(f"uuid_transfer {leg} confroom_{room}_{flags} XML default")).startswith("+OK")


async def _stored(app, call: str, action: str) -> bool:
    async with app.state.billing.sessions() as session:
        rows = await session.scalars(
            select(ConferenceEvent).where(ConferenceEvent.call_uuid == call, ConferenceEvent.action == action)
        )
        return rows.first() is not None


async def test_a_billing_restart_mid_conference_still_charges_the_time_with_the_expert(
    db_url, nats_url, sw, esl
):
    settings = _settings(db_url, nats_url, sw)
    room = f"restart{secrets.token_hex(3)}"
    card = f"R{secrets.token_hex(4)}"
    async with billing_running(settings) as (first, http):
        sale = {"idempotency_key": f"sale-{card}", "card_number": card, "patient_id": f"p-{card}",
                "pin": "2468", "opening_balance_fen": 1000}  # fmt: skip
        assert (await http.post("/v1/cards", json=sale)).status_code == 201
        expert = await _join(sw, esl, room, "3200", "expert")
        speaker = await _join(sw, esl, room, "3201", "speaker")
        seat = {"call_uuid": speaker, "card_number": card, "role": "speaker", "lang": "en"}
        r = await http.post(f"/v1/conferences/{room}/seats", json=seat)
        assert r.status_code == 200 and r.json()["hold_fen"] == 1000, r.text
        await _into_room(esl, room, expert, "expert")
        await _until(lambda: _stored(first, expert, "join"), 5, "the expert's join stored")
        t0 = sw.core.now()
        await _at(sw, t0 + 10)
        await _into_room(esl, room, speaker, "speaker")
        await _until(lambda: _stored(first, speaker, "join"), 5, "the speaker's join stored")
        await _at(sw, t0 + 40)
    # Billing is down from t0+40 to t0+50; the conference goes on.
    await _at(sw, t0 + 50)
    async with billing_running(settings) as (second, http):
        view = (await http.get(f"/v1/conferences/{room}")).json()
        assert view["expert_present"] and {m["call_uuid"] for m in view["members"]} == {expert, speaker}
        await _at(sw, t0 + 100)
        sw.hangup(expert)  # the speaker is billed until here: 90 s with the expert
        await _until(lambda: _stored(second, expert, "leave"), 5, "the expert's leave stored")
        await _at(sw, t0 + 120)
        sw.hangup(speaker)

        async def settled() -> bool:
            return await second.state.consultations.consultations.is_settled(speaker)

        await _until(settled, 10, "the seat's settlement")
        items = (await http.get(f"/v1/cards/{card}/statement")).json()["items"]
        lines = [i for i in items if i["kind"] == "conference_speaker"]
        assert len(lines) == 1, items
        d = lines[0]["detail"]
        assert abs(d["billed_seconds"] - 90) <= 2, d
        assert d["charge_fen"] == rating.metered_charge(d["billed_seconds"], 200, "per_started_minute") == 400
        # The first minute was debited from the hold by the new process (metering resumed), and the
        # settlement reconciled it: charged once.
        async with second.state.billing.sessions() as session:
            assert await interim_debited(speaker, session=session) == 200
        assert d["interim_fen"] == 200
        assert (await http.get(f"/v1/cards/{card}")).json()["balance_fen"] == 1000 - 400


def _stay(call: str, role: str, joined: int, left: int | None) -> Stay:
    return Stay("room", call, 1, role, joined * 1_000_000, None if left is None else left * 1_000_000)


def test_overlap_counts_the_time_with_an_expert_once_and_never_unseen_time():
    seat = [_stay("s", "speaker", 10, 100)]
    experts = [_stay("e1", "expert", 0, 30), _stay("e1", "expert", 50, None), _stay("e2", "expert", 60, 80)]
    # 10-30 with e1; 50-100 with e1 (e2's 60-80 is the same moment, counted once); open stays end at 90
    assert overlap(seat, experts, until_us=90 * 1_000_000) == (20_000_000 + 40_000_000, 10_000_000)
    assert overlap([_stay("s", "speaker", 10, None)], [], until_us=10**9) == (0, 0)
