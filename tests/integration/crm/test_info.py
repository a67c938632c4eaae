"""Information content (R-INFO1): editable, switchable items served to the IVR by kind and number."""

from __future__ import annotations

from careline import subjects
from careline.v1.crm_pb2 import InfoLookupReply, InfoLookupRequest


async def ask(bus, kind: str, number: int) -> InfoLookupReply:
    return await bus.request(
        subjects.CRM_INFO_LOOKUP, InfoLookupRequest(kind=kind, number=number), reply_type=InfoLookupReply
    )


async def test_items_are_edited_switched_and_looked_up_over_http_and_nats(crm_http, bus):
    items = [
        {"kind": "hospital", "number": 1, "title": "医院简介", "body": "本院始建于1950年。"},
        {"kind": "drug", "number": 1001, "title": "阿司匹林", "body": "解热镇痛。"},
        {"kind": "drug", "number": 1002, "title": "布洛芬", "body": "消炎止痛。"},
        {"kind": "new_drug", "number": 1, "title": "新药A", "body": "新上市。", "sponsor": "某药业"},
        {"kind": "health_tip", "number": 1, "title": "多喝水", "body": "每天八杯水。"},
    ]
    for item in items:
        assert (await crm_http.post("/v1/info", json=item)).status_code == 201
    await crm_http.post("/v1/departments", json={"code": "11", "name": "内科"})
    await crm_http.post(
        "/v1/experts",
        json={"number": 7, "name": "李主任", "department_code": "11", "introduction": "心血管专家"},
    )

    drug = await ask(bus, "drug", 1002)
    assert (drug.found, drug.title, drug.text, list(drug.numbers)) == (
        True,
        "布洛芬",
        "消炎止痛。",
        [1001, 1002],
    )
    sponsored = await ask(bus, "new_drug", 0)  # 0: the first enabled item
    assert (sponsored.number, sponsored.sponsor) == (1, "某药业")
    expert = await ask(bus, "expert", 7)
    assert expert.found and expert.text == "心血管专家" and "李主任" in expert.title

    edited = await crm_http.patch(
        "/v1/info/drug/1001", json={"body": "解热镇痛，饭后服用。", "enabled": False}
    )
    assert edited.status_code == 200 and edited.json()["enabled"] is False
    off = await ask(bus, "drug", 1001)
    assert (off.found, off.reason, list(off.numbers)) == (False, "disabled", [1002])
    assert (await ask(bus, "drug", 0)).number == 1002
    await crm_http.patch("/v1/experts/7", json={"enabled": False})
    assert (await ask(bus, "expert", 7)).reason == "disabled"
    assert (await ask(bus, "drug", 9)).reason == "not_found"
    assert (await ask(bus, "horoscope", 1)).reason == "unknown_kind"

    http = (await crm_http.get("/v1/info/lookup/drug/1002")).json()
    assert http["found"] and http["title"] == "布洛芬"
    listed = (await crm_http.get("/v1/info", params={"kind": "drug", "enabled": "true"})).json()
    assert [i["number"] for i in listed] == [1002]
    assert (await crm_http.delete("/v1/info/drug/1002")).status_code == 204
    assert (await ask(bus, "drug", 1002)).reason == "not_found"


async def test_bad_info_input_is_refused_with_a_reason(crm_http):
    good = {"kind": "drug", "number": 1, "title": "t", "body": "b"}
    assert (await crm_http.post("/v1/info", json=good)).status_code == 201
    for body, status, reason in [
        (good, 409, "drug number 1 exists"),
        (good | {"kind": "expert"}, 422, "/v1/experts"),
        (good | {"kind": "gossip"}, 422, "unknown information kind"),
        (good | {"number": 0}, 422, "invalid request"),
        (good | {"number": 2, "body": ""}, 422, "invalid request"),
    ]:
        response = await crm_http.post("/v1/info", json=body)
        assert response.status_code == status and reason in response.text, response.text
    assert (await crm_http.patch("/v1/info/drug/1", json={"title": None})).status_code == 422
    assert (await crm_http.get("/v1/info/drug/5")).status_code == 404
