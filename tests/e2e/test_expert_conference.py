"""An expert conference on the simulator, billed per participant (R-EXP6, R-EXP4; design §3).

Real nats-server, the FreeSWITCH simulator (20x faster), the real billing and cdr apps (the `center`
fixture of test_paid_consultation). The test plays the IVR and the ACD: it authorises each caller's seat
over billing's HTTP API, then puts the legs into the conference (`conference <room>@default+flags{mute}`)
with careline_call_id and careline_conference_role set, as they would. One expert, two speakers, two
listeners (one on a free listener plan); a speaker raises a hand by DTMF and the expert promotes them.
Each participant is billed from the later of their join and the expert's arrival until they leave or the
expert does; times are simulated seconds.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid as uuidlib

from careline.billing import rating
from careline.switchsim import PhoneBehaviour
from tests.e2e.support import wait_until
from tests.e2e.test_paid_consultation import TIME_SCALE, _card, _sell, center  # noqa: F401, F811

RATES = {"speaker": 200, "listener": 50}


CONF_EXTENSION = (r"confroom_(\w+)_(mute|moderator)", [("conference", "$1@default+flags{$2}")])


async def _join(c, room: str, ext: str, role: str, card: str = "", category: str = "*") -> str:
    """The leg is answered and parked (in the IVR), its seat authorised (callers), then it is
    transferred into the room: callers muted, the expert as moderator."""
    if CONF_EXTENSION not in c["sw"].config.dialplan:
        c["sw"].config.dialplan.append(CONF_EXTENSION)
    leg = str(uuidlib.uuid4())
    c["sw"].add_phone(ext, PhoneBehaviour(answer_after=0.0, talk_time=None))
    variables = f"origination_uuid={leg},careline_call_id={leg},careline_conference_role={role}"
    answer = await c["esl"].api(f"originate {{{variables}}}user/{ext} &park()", timeout=10)
    assert answer.startswith("+OK"), answer
    if card:
        body = {"call_uuid": leg, "card_number": card, "role": role, "category": category, "lang": "en"}
        r = await c["billing"].post(f"/v1/conferences/{room}/seats", json=body)
        assert r.status_code == 200, r.text
    flags = "moderator" if role == "expert" else "mute"
    assert (await c["esl"].api(f"uuid_transfer {leg} confroom_{room}_{flags} XML default")).startswith("+OK")
    return leg


async def _at(c, t: float) -> None:
    """Sleep until simulated time t."""
    await asyncio.sleep(max(0.0, (t - c["sw"].core.now()) * TIME_SCALE))


async def _leave(c, leg: str) -> float:
    c["sw"].hangup(leg)
    return c["sw"].core.now()


async def _line(c, card: str, leg: str, kind: str) -> dict:
    found: list[dict] = []

    async def settled() -> bool:
        items = (await c["billing"].get(f"/v1/cards/{card}/statement")).json()["items"]
        found[:] = [i for i in items if i["kind"] == kind and i["detail"]["call_uuid"] == leg]
        return bool(found)

    await wait_until(settled, 10, f"the settlement of {leg}")
    assert len(found) == 1, found
    return found[0]


async def test_one_expert_two_speakers_two_listeners_billed_per_participant(center):  # noqa: F811
    c = center
    room = f"experts{secrets.token_hex(3)}"
    r = await c["billing"].put(
        "/v1/rate-plans/conference_listener/open", json={"price_fen": 0, "admin_id": "admin"}
    )
    assert r.status_code == 200, r.text  # a free listener plan for open lectures
    cards = {who: await _sell(c["billing"], 1000) for who in ("s1", "s2", "l1", "l2")}

    s1 = await _join(c, room, "3101", "speaker", cards["s1"])  # before the expert: waits, not billed
    await asyncio.sleep(20 * TIME_SCALE)
    expert = await _join(c, room, "3100", "expert")
    await wait_until(lambda: _present(c, room, expert), 5, "the expert in the room")
    t0 = c["sw"].core.now()  # the expert's arrival
    await _at(c, t0 + 5)
    l1 = await _join(c, room, "3103", "listener", cards["l1"])
    await _at(c, t0 + 10)
    s2 = await _join(c, room, "3102", "speaker", cards["s2"])
    await _at(c, t0 + 30)
    l2 = await _join(c, room, "3104", "listener", cards["l2"], category="open")

    # A hand raised by DTMF; the expert sees it and promotes the speaker; a listener cannot be promoted.
    await wait_until(lambda: _members_in(c, room, 5), 5, "five members")
    await c["esl"].api(f"uuid_send_dtmf {s1} *")
    await wait_until(lambda: _hand(c, room, s1), 5, "s1's raised hand")
    view = (await c["billing"].get(f"/v1/conferences/{room}")).json()
    by_leg = {m["call_uuid"]: m for m in view["members"]}
    assert view["expert_present"] and by_leg[s1]["role"] == "speaker" and not by_leg[s1]["speaking"]
    assert {by_leg[x]["role"] for x in (l1, l2)} == {"listener"} and by_leg[expert]["role"] == "expert"
    r = await c["billing"].post(f"/v1/conferences/{room}/members/{by_leg[s1]['member_id']}/promote")
    assert r.status_code == 200, r.text
    promoted = {m["call_uuid"]: m for m in r.json()["members"]}[s1]
    assert promoted["speaking"] and not promoted["hand_raised"]
    r = await c["billing"].post(f"/v1/conferences/{room}/members/{by_leg[l1]['member_id']}/promote")
    assert r.status_code == 409, r.text

    await _at(c, t0 + 90)
    await _leave(c, s1)  # 90 s with the expert (20 s of waiting not billed)
    await _at(c, t0 + 95)
    await _leave(c, l1)  # 90 s
    await _at(c, t0 + 130)
    await _leave(c, l2)  # 100 s, free plan
    await _at(c, t0 + 140)
    await _leave(c, expert)  # s2 is billed until here: 130 s
    await _at(c, t0 + 160)
    await _leave(c, s2)

    expected = {s1: ("s1", "speaker", 90), l1: ("l1", "listener", 90), l2: ("l2", "listener", 100)}
    expected[s2] = ("s2", "speaker", 130)
    for leg, (who, role, seconds) in expected.items():
        line = await _line(c, cards[who], leg, f"conference_{role}")
        d = line["detail"]
        assert abs(d["billed_seconds"] - seconds) <= 2, (who, d)
        price = 0 if leg == l2 else RATES[role]
        assert d["price_fen"] == price and d["free"] == (leg == l2)
        assert d["charge_fen"] == rating.metered_charge(d["billed_seconds"], price, "per_started_minute")
        assert (await _card(c, cards[who]))["balance_fen"] == 1000 - d["charge_fen"]
    charges = {who: (await _card(c, cards[who]))["balance_fen"] for who in cards}
    assert charges == {"s1": 1000 - 400, "s2": 1000 - 600, "l1": 1000 - 100, "l2": 1000}


async def _room(c, room: str) -> dict:
    r = await c["billing"].get(f"/v1/conferences/{room}")
    return r.json() if r.status_code == 200 else {"members": [], "expert_present": False}


async def _present(c, room: str, leg: str) -> bool:
    return any(m["call_uuid"] == leg for m in (await _room(c, room))["members"])


async def _members_in(c, room: str, n: int) -> bool:
    return len((await _room(c, room))["members"]) == n


async def _hand(c, room: str, leg: str) -> bool:
    return any(m["call_uuid"] == leg and m["hand_raised"] for m in (await _room(c, room))["members"])
