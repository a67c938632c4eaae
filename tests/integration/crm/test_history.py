"""A caller's history in one call (R-CRM1): calls from CDR_CREATED facts (consumed idempotently from
stream CDRS), appointments, complaints and notes; the audited lost-card look-up (R-HUM1)."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time

from careline import subjects
from careline.core.bus import new_meta
from careline.core.ids import uuid7
from careline.v1.cdr_pb2 import Cdr
from careline.v1.common_pb2 import Direction
from careline.v1.crm_pb2 import ComplaintFileReply, ComplaintFileRequest

ID_A = "11010519491231002X"


def fresh_mobile() -> str:
    """A number no earlier test used: the CDRS stream is shared by the session and replayed in full."""
    return "139" + f"{secrets.randbelow(10**8):08d}"


def leg(call_uuid: str, leg_uuid: str, caller: str, **fields) -> Cdr:
    now = int(time.time())
    return Cdr(
        meta=new_meta(call_uuid, producer="cdr"),
        uuid=leg_uuid,
        direction=Direction.DIRECTION_INBOUND,
        caller_number=caller,
        callee_number="12320",
        start_epoch=now - 60,
        answer_epoch=now - 50,
        end_epoch=now,
        billsec=50,
        hangup_cause="NORMAL_CLEARING",
        **fields,
    )


async def eventually(check, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_history_gathers_calls_appointments_complaints_and_notes(crm_http, bus):
    mobile = fresh_mobile()
    await crm_http.post("/v1/departments", json={"code": "11", "name": "内科"})
    patient = (
        await crm_http.post(
            "/v1/patients",
            json={
                "name": "王小明",
                "id_number": ID_A,
                "card_numbers": ["C1001"],
                "phones": [{"number": mobile}],
            },
        )
    ).json()
    pid = patient["id"]
    call = uuid7()
    complaint = await bus.request(
        subjects.CRM_COMPLAINT_FILE,
        ComplaintFileRequest(department_code="11", caller_number=mobile, call_uuid=call),
        reply_type=ComplaintFileReply,
    )
    assert complaint.ok
    when = (dt.date.today() + dt.timedelta(days=3)).isoformat() + "T09:00:00"
    await crm_http.post(
        "/v1/appointments", json={"caller_name": "王小明", "card_number": "C1001", "intended_at": when}
    )
    note = await crm_http.post(
        f"/v1/patients/{pid}/notes", json={"author": "agent-1", "text": "耳背，请说慢一点"}
    )
    assert note.status_code == 201

    a_leg = leg(call, call, "+86" + mobile)
    agent_leg = leg(call, uuid7(), mobile, agent_id="1001", queue="general", recording_id="rec-42")
    other = leg(uuid7(), uuid7(), "13800000000")
    await bus.publish(subjects.CDR_CREATED, a_leg, msg_id=a_leg.uuid)
    await bus.publish(subjects.CDR_CREATED, agent_leg, msg_id=agent_leg.uuid)
    await bus.publish(subjects.CDR_CREATED, other, msg_id=other.uuid)
    # The same leg again under another message id (past the server's dedupe): stored once.
    await bus.publish(subjects.CDR_CREATED, a_leg, msg_id=uuid7())

    async def linked():
        got = (await crm_http.get(f"/v1/complaints/{complaint.complaint_id}")).json()
        return got if got["recording_id"] and got["cdr_id"] else None

    got = await eventually(linked)
    assert got and (got["cdr_id"], got["recording_id"]) == (call, "rec-42")

    history = (await crm_http.get("/v1/history", params={"card": "c1001"})).json()
    assert history["patient"]["id"] == pid
    assert len(history["calls"]) == 1  # two legs, one call; the other caller's call is not here
    only = history["calls"][0]
    assert (only["call_uuid"], only["agent_id"], only["recording_id"], sorted(only["legs"])) == (
        call,
        "1001",
        "rec-42",
        sorted([call, agent_leg.uuid]),
    )
    assert [a["card_number"] for a in history["appointments"]] == ["C1001"]
    assert [c["id"] for c in history["complaints"]] == [complaint.complaint_id]
    assert [n["text"] for n in history["notes"]] == ["耳背，请说慢一点"]
    by_id = (await crm_http.post("/v1/history/search", json={"id_number": ID_A.lower()})).json()
    assert by_id == (await crm_http.get(f"/v1/patients/{pid}/history")).json() == history

    assert (await crm_http.get("/v1/history")).status_code == 422
    assert (await crm_http.post("/v1/history/search", json={})).status_code == 422
    both = {"id_number": ID_A, "card": "c1001"}
    assert (await crm_http.post("/v1/history/search", json=both)).status_code == 422
    assert (await crm_http.get("/v1/history", params={"card": "nope"})).status_code == 404
    assert (
        await crm_http.post(f"/v1/patients/{pid}/notes", json={"author": "a", "text": ""})
    ).status_code == 422


async def test_lost_card_lookup_is_audited_hit_or_miss(crm_http):
    await crm_http.post(
        "/v1/patients", json={"name": "王 小明", "id_number": ID_A, "card_numbers": ["C1001", "C1002"]}
    )
    found = await crm_http.post(
        "/v1/cards/lookup", json={"id_number": ID_A, "name": "王小明", "actor": "agent-7"}
    )
    assert found.status_code == 200 and found.json()["card_numbers"] == ["C1001", "C1002"]
    wrong = await crm_http.post(
        "/v1/cards/lookup", json={"id_number": ID_A, "name": "李四", "actor": "agent-7"}
    )
    assert wrong.status_code == 404 and wrong.json()["detail"] == "no patient with that ID number and name"
    bad = await crm_http.post("/v1/cards/lookup", json={"id_number": "123", "name": "x", "actor": "agent-7"})
    assert bad.status_code == 422 and "18 characters" in bad.json()["detail"]
    assert (await crm_http.post("/v1/cards/lookup", json={"id_number": ID_A, "name": "x"})).status_code == 422

    audit = (
        await crm_http.get("/v1/audit", params={"actor": "agent-7", "action": "lost_card_lookup"})
    ).json()
    assert [e["outcome"] for e in audit] == ["not_found", "found"]  # newest first
    assert all(ID_A not in e["detail"] and "110105" in e["detail"] for e in audit)  # the ID is masked
