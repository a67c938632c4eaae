"""Complaints (R-CMP1): by DTMF over NATS with codes checked against the directory, by an agent over
HTTP; lifecycle, due dates, overdue escalation, links to the call."""

from __future__ import annotations

import datetime as dt

from careline import subjects
from careline.v1.crm_pb2 import ComplaintFileReply, ComplaintFileRequest


async def directory(http) -> None:
    for body in ({"code": "11", "name": "内科"}, {"code": "12", "name": "外科"}):
        await http.post("/v1/departments", json=body)
    await http.post("/v1/staff", json={"code": "1001", "name": "张护士", "department_code": "11"})
    await http.post("/v1/patients", json={"name": "王小明", "phones": [{"number": "13912345678"}]})


async def file(bus, **fields) -> ComplaintFileReply:
    return await bus.request(
        subjects.CRM_COMPLAINT_FILE, ComplaintFileRequest(**fields), reply_type=ComplaintFileReply
    )


async def test_dtmf_complaint_is_validated_filed_once_and_tracked(crm_http, bus):
    await directory(crm_http)
    for fields, reason in [
        ({"department_code": "99", "staff_code": "1001"}, "department_unknown"),
        ({"department_code": "11", "staff_code": "9999"}, "staff_unknown"),
        ({"department_code": "12", "staff_code": "1001"}, "staff_not_in_department"),
        ({"department_code": "", "staff_code": ""}, "invalid"),
        ({"department_code": "1x"}, "invalid"),
    ]:
        refused = await file(bus, caller_number="13912345678", **fields)
        assert (refused.ok, refused.reason) == (False, reason), refused.detail
    assert (await crm_http.get("/v1/complaints")).json()["total"] == 0  # nothing half-written

    request = {
        "department_code": "11",
        "staff_code": "1001",
        "caller_number": "+8613912345678",
        "call_uuid": "call-7",
        "voice_message_path": "/recordings/call-7-complaint.wav",
    }
    filed, repeated = await file(bus, **request), await file(bus, **request)
    assert filed.ok and len(filed.reference) == 6
    assert repeated.complaint_id == filed.complaint_id  # a retried request files nothing new

    got = (await crm_http.get(f"/v1/complaints/{filed.complaint_id}")).json()
    assert (got["channel"], got["status"], got["department_name"], got["staff_name"]) == (
        "dtmf",
        "new",
        "内科",
        "张护士",
    )
    assert got["patient_id"] is not None and got["voice_message_path"].endswith(".wav")
    assert got["overdue"] is False

    cid = filed.complaint_id
    assert (await crm_http.post(f"/v1/complaints/{cid}/resolve", json={"resolution": "x"})).status_code == 409
    assigned = await crm_http.post(f"/v1/complaints/{cid}/assign", json={"assignee": "supervisor-1"})
    assert assigned.json()["status"] == "assigned" and assigned.json()["assignee"] == "supervisor-1"
    resolved = await crm_http.post(f"/v1/complaints/{cid}/resolve", json={"resolution": "已道歉"})
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    closed = await crm_http.post(f"/v1/complaints/{cid}/close")
    assert closed.json()["status"] == "closed"
    assert (await crm_http.post(f"/v1/complaints/{cid}/close")).status_code == 200  # idempotent
    reopened = await crm_http.post(f"/v1/complaints/{cid}/assign", json={"assignee": "x"})
    assert reopened.status_code == 409 and "closed" in reopened.json()["detail"]


async def test_agent_complaint_overdue_escalation_and_links(crm_http):
    await directory(crm_http)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    late = await crm_http.post(
        "/v1/complaints",
        json={"department_code": "12", "text": "候诊太久", "due_at": past, "call_uuid": "c-9"},
    )
    assert late.status_code == 201, late.text
    on_time = await crm_http.post("/v1/complaints", json={"text": "停车难"})
    assert on_time.json()["due_at"] > dt.datetime.now(dt.UTC).isoformat()

    overdue = (await crm_http.get("/v1/complaints", params={"overdue": "true"})).json()
    assert [c["id"] for c in overdue["items"]] == [late.json()["id"]] and overdue["items"][0]["overdue"]
    escalated = (await crm_http.post("/v1/complaints/escalate")).json()
    assert [(c["id"], c["escalation_level"], c["overdue"]) for c in escalated] == [
        (late.json()["id"], 1, False)
    ]
    assert (await crm_http.post("/v1/complaints/escalate")).json() == []  # once per overdue period

    linked = await crm_http.patch(
        f"/v1/complaints/{late.json()['id']}/links", json={"cdr_id": "leg-1", "recording_id": "rec-1"}
    )
    assert (linked.json()["cdr_id"], linked.json()["recording_id"], linked.json()["call_uuid"]) == (
        "leg-1",
        "rec-1",
        "c-9",
    )

    for body, status, reason in [
        ({}, 422, "needs a department, a text or a voice message"),
        ({"channel": "dtmf", "text": "x"}, 422, "needs a department code"),
        ({"staff_code": "1001", "department_code": "12"}, 422, "does not work in department 12"),
        ({"text": "x", "caller_phone": "abc"}, 422, "digits"),
        ({"text": "x", "patient_id": "nobody"}, 404, "no patient"),
    ]:
        response = await crm_http.post("/v1/complaints", json=body)
        assert response.status_code == status and reason in response.text, response.text
