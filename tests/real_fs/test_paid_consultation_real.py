"""A paid consultation on the real switch gets exactly its paid time from the expert's answer, however
long the queue was (issue 8 "Done when"; R-EXP1-R-EXP3, R-ACD7; design §3).

The caller signs in with card and PIN in the Mandarin flow, accepts the tariff and waits in the expert
queue while no expert is logged in, longer than the grace between the paid time and billing's
``sched_hangup`` backstop. On the real switch ``sched_hangup`` adds a task instead of replacing one, so
billing drops the backstop armed at the authorisation (``sched_del``) and arms it again at the expert's
answer: ``show tasks`` must list exactly one task of the caller's, due at answer + allowed + grace; the
ACD ends the expert's leg at answer + allowed and the caller after the end prompt, before the backstop.
Times are the switch's own (Event-Date-Timestamp, task_runtime).
"""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest

from tests.real_fs.center import contact_center

PIN = "2468"
GRACE = 5  # billing's consultation_grace_s in start_apps
QUEUE_S = 25  # longer than GRACE: a backstop left from the authorisation would cut the talk short


@pytest.fixture
async def center(real_fs, tmp_path, nats_url):
    async with contact_center(real_fs, tmp_path, nats_url, billing=True, goodbye_s=2) as center:
        yield center


async def _card(clients, balance_fen: int) -> str:
    number = f"77{secrets.randbelow(10**8):08d}"
    r = await clients["crm"].post("/v1/patients", json={"name": f"患者{number}", "card_numbers": [number]})
    assert r.status_code == 201, r.text
    sale = {
        "idempotency_key": f"sale-{number}",
        "card_number": number,
        "patient_id": r.json()["id"],
        "pin": PIN,
        "opening_balance_fen": balance_fen,
        "vip_level": 0,
    }
    r = await clients["billing"].post("/v1/cards", json=sale)
    assert r.status_code == 201, r.text
    return number


async def _tasks_of(esl, uuid: str) -> list[dict]:
    rows = json.loads(await esl.api("show tasks as json")).get("rows") or []
    return [row for row in rows if row.get("task_group") == uuid]


async def _one_task(esl, uuid: str, due: float, what: str) -> dict:
    """`show tasks` lists exactly one task of ``uuid``, due at ``due`` (±2 s); the listing lags a little."""
    rows: list[dict] = []
    for _ in range(50):
        rows = await _tasks_of(esl, uuid)
        if len(rows) == 1 and abs(int(rows[0]["task_runtime"]) - due) <= 2:
            return rows[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: expected one task of {uuid} due at {due:.0f}, `show tasks` has {rows}")


@pytest.mark.timeout(400)  # real time: menus (~40 s), the queue, the paid minute, the end prompt
async def test_paid_time_counts_from_the_experts_answer_not_from_the_queue(center):
    clients, board = center.clients, center.board
    acd = clients["acd"]
    for queue in ("general", "experts"):
        body = {"max_wait_s": 300, "wrap_up_s": 0, **({"expert": True} if queue == "experts" else {})}
        assert (await acd.put(f"/v1/queues/{queue}", json=body)).status_code == 200
    card = await _card(clients, 250)  # one minute at the default 2 CNY per minute, 50 fen left

    caller, uuid = await center.call("13700000301")
    await center.answer(caller, uuid, "careline-main-menu", "4")
    await center.answer(caller, uuid, "careline-enter-payment-card", card + "#")
    await center.answer(caller, uuid, "careline-enter-pin", PIN + "#")
    await center.answer(caller, uuid, "careline-paid-menu", "2")
    await center.answer(caller, uuid, "careline-expert-category-menu", "1")
    tariff = await center.hears(uuid, "tts://", within=30)
    print("tariff heard:", tariff.get("Playback-File-Path"))
    await center.answer(caller, uuid, "careline-consultation-confirm", "1")
    queued = await center.hears(uuid, "careline-expert-connecting", within=30)

    authorised = []
    for _ in range(50):  # `show tasks` reads the switch's task table, written a moment after the API
        if authorised := await _tasks_of(board.esl, uuid):
            break
        await asyncio.sleep(0.1)
    assert len(authorised) == 1, f"one backstop armed at the authorisation: {authorised}"
    print(f"backstop at the authorisation: {authorised} (caller queued at {queued.switch_time:.1f})")

    await asyncio.sleep(QUEUE_S)  # no expert yet: the caller waits in the queue
    await center.phone("2001", answer_after_s=2.0)
    body = {"id": "e1", "name": "Expert e1", "extension": "2001", "expert": True}
    assert (await acd.post("/v1/agents", json=body)).status_code == 201
    # a caller is waiting: the login itself offers them the call
    assert (await acd.post("/v1/agents/e1/login")).json()["state"] in ("available", "ringing")

    async def expert_answer():
        for leg in board.legs_of_call(uuid):
            answers = board.of(leg, "CHANNEL_ANSWER")
            if answers:
                return leg, answers[0]
        return None

    for _ in range(400):
        if found := await expert_answer():
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the expert never answered; legs {board.legs_of_call(uuid)}")
    expert_leg, answer = found
    answered = answer.switch_time
    statement = (await clients["billing"].get(f"/v1/cards/{card}/statement")).json()
    hold = [i for i in statement["items"] if i["kind"] == "consultation_hold"]
    assert [i["amount_fen"] for i in hold] == [-200], statement  # one minute held
    allowed_s = 60
    print(f"queued {answered - queued.switch_time:.1f} s before the expert answered; holds: {hold}")
    task = await _one_task(board.esl, uuid, answered + allowed_s + GRACE, "backstop re-armed at the answer")
    print(f"backstop after the answer: {task} (answer at {answered:.1f})")

    expert_end = await board.ended(expert_leg, within=allowed_s + 20)
    caller_end = await board.ended(uuid, within=20)
    talk = expert_end.switch_time - answered
    print(
        f"expert leg ended {talk:.2f} s after its answer ({expert_end.get('Hangup-Cause')}); caller "
        f"{caller_end.switch_time - answered:.2f} s ({caller_end.get('Hangup-Cause')}); heard "
        f"{[p.rsplit('/', 1)[-1] for p in board.heard(uuid)[-3:]]}"
    )
    assert abs(talk - allowed_s) <= 1.5, f"talk {talk:.2f} s, paid {allowed_s} s"
    assert caller_end.switch_time < answered + allowed_s + GRACE, "ended by the ACD, before the backstop"
