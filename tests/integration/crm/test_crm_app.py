"""The CRM app as integrators and the IVR use it (R-CRM1, R-CRM2, R-VIP2): real app, real NATS,
SQLite file (and PostgreSQL when CARELINE_TEST_PG_URL is set)."""

from __future__ import annotations

import httpx
import pytest

from careline import subjects
from careline.crm.app import create_app
from careline.crm.settings import CrmSettings
from careline.v1.crm_pb2 import CallerLookupReply, CallerLookupRequest

ID_A = "11010519491231002X"
ID_B = "440304199001011233"


@pytest.fixture
async def crm(db_url, nats_url):
    settings = CrmSettings(env="test", db_url=db_url, nats_url=nats_url, esl_enabled=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            yield client


def patient(**overrides) -> dict:
    body = {
        "name": "王小明",
        "id_number": ID_A,
        "card_numbers": ["c2024001"],
        "phones": [
            {"number": "+86 139-1234-5678", "label": "mobile"},
            {"number": "010-62345678", "label": "daughter", "owner": "family"},
        ],
        "vip": True,
        "vip_level": 2,
    }
    body.update(overrides)
    return body


async def test_create_read_update_delete(crm):
    created = await crm.post("/v1/patients", json=patient())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["card_numbers"] == ["C2024001"]
    assert [p["number"] for p in body["phones"]] == ["13912345678", "01062345678"]
    assert body["phones"][1] | {"raw": None} == {
        "number": "01062345678",
        "raw": None,
        "label": "daughter",
        "owner": "family",
        "primary": False,
    }
    pid = body["id"]

    got = await crm.get(f"/v1/patients/{pid}")
    assert got.status_code == 200 and got.json()["name"] == "王小明"

    patched = await crm.patch(f"/v1/patients/{pid}", json={"vip": False, "card_numbers": ["C2024001", "C9"]})
    assert patched.status_code == 422 and "card number" in patched.json()["detail"]
    patched = await crm.patch(
        f"/v1/patients/{pid}", json={"vip": False, "card_numbers": ["C2024001", "C9999"]}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["vip"] is False and patched.json()["vip_level"] == 0
    assert patched.json()["card_numbers"] == ["C2024001", "C9999"]
    assert len(patched.json()["phones"]) == 2  # not given, not changed

    assert (await crm.delete(f"/v1/patients/{pid}")).status_code == 204
    missing = await crm.get(f"/v1/patients/{pid}")
    assert missing.status_code == 404 and pid in missing.json()["detail"]
    assert (await crm.delete(f"/v1/patients/{pid}")).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "status", "reason"),
    [
        ({"id_number": "110105194912310021"}, 422, "check character"),
        ({"phones": [{"number": "anonymous"}]}, 422, "other than digits"),
        ({"phones": [{"number": "62345678"}]}, 422, "no area code"),
        ({"phones": [{"number": "13912345678"}, {"number": "+8613912345678"}]}, 422, "same number"),
        (
            {
                "phones": [
                    {"number": "13912345678", "primary": True},
                    {"number": "13812345678", "primary": True},
                ]
            },
            422,
            "primary",
        ),
        ({"card_numbers": ["AB"]}, 422, "card number"),
        ({"vip": False, "vip_level": 3}, 422, "vip_level"),
        ({"name": ""}, 422, "invalid request"),
    ],
)
async def test_bad_input_is_refused_with_a_reason(crm, overrides, status, reason):
    response = await crm.post("/v1/patients", json=patient(**overrides))
    assert response.status_code == status
    assert reason in response.text


async def test_id_number_and_card_belong_to_one_patient(crm):
    assert (await crm.post("/v1/patients", json=patient())).status_code == 201
    same_id = await crm.post("/v1/patients", json=patient(card_numbers=[]))
    assert same_id.status_code == 409 and ID_A in same_id.json()["detail"]
    same_card = await crm.post("/v1/patients", json=patient(id_number=ID_B, card_numbers=["C2024001"]))
    assert same_card.status_code == 409 and "C2024001" in same_card.json()["detail"]


async def test_search_by_phone_id_card_and_name(crm):
    a = (await crm.post("/v1/patients", json=patient())).json()
    b = (
        await crm.post(
            "/v1/patients",
            json=patient(
                name="李华", id_number=ID_B, card_numbers=["K0001"], phones=[], vip=False, vip_level=0
            ),
        )
    ).json()

    async def ids(**params):
        response = await crm.get("/v1/patients", params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert await ids(phone="008613912345678") == [a["id"]]
    by_id = await crm.post("/v1/patients/search", json={"id_number": ID_B.lower()})
    assert [p["id"] for p in by_id.json()["items"]] == [b["id"]]
    both = await crm.post("/v1/patients/search", json={"id_number": ID_B, "name": "小明"})
    assert both.json()["items"] == [] and both.json()["total"] == 0  # every criterion must match
    assert await ids(card="k0001") == [b["id"]]
    assert await ids(name="小明") == [a["id"]]
    assert await ids() == [a["id"], b["id"]]
    page = (await crm.get("/v1/patients", params={"limit": 1, "offset": 1})).json()
    assert page["total"] == 2 and [p["id"] for p in page["items"]] == [b["id"]]
    bad = await crm.get("/v1/patients", params={"phone": "12"})
    assert bad.status_code == 422 and "neither" in bad.json()["detail"]


async def test_caller_lookup_over_http_and_nats(crm, bus):
    a = (await crm.post("/v1/patients", json=patient())).json()

    http = (await crm.get("/v1/lookup", params={"number": "0086 139 1234 5678"})).json()
    assert http["found"] is True and http["patient_id"] == a["id"]
    assert (http["vip"], http["vip_level"], http["card_numbers"]) == (True, 2, ["C2024001"])

    reply = await bus.request(
        subjects.CRM_CALLER_LOOKUP, CallerLookupRequest(number="+8613912345678"), reply_type=CallerLookupReply
    )
    assert reply.found and reply.patient_id == a["id"] and reply.full_name == "王小明"
    assert reply.vip and reply.vip_level == "2" and reply.card_number == "C2024001"
    assert reply.id_number_masked == "110105********002X"

    unknown = await bus.request(
        subjects.CRM_CALLER_LOOKUP, CallerLookupRequest(number="13800000000"), reply_type=CallerLookupReply
    )
    assert not unknown.found
    anonymous = await bus.request(
        subjects.CRM_CALLER_LOOKUP, CallerLookupRequest(number="anonymous"), reply_type=CallerLookupReply
    )
    assert not anonymous.found
    refused = await crm.get("/v1/lookup", params={"number": "anonymous"})
    assert refused.status_code == 422 and "digits" in refused.json()["detail"]


async def test_shared_family_number_answers_with_primary_then_first(crm, bus):
    shared = "010-62345678"
    first = (await crm.post("/v1/patients", json=patient(phones=[{"number": shared}]))).json()
    second = (
        await crm.post(
            "/v1/patients",
            json=patient(name="王大明", id_number=ID_B, card_numbers=[], phones=[{"number": shared}]),
        )
    ).json()

    answer = (await crm.get("/v1/lookup", params={"number": "01062345678"})).json()
    assert answer["patient_id"] == first["id"] and answer["matches"] == 2
    assert "registered first" in answer["note"]

    await crm.patch(f"/v1/patients/{second['id']}", json={"phones": [{"number": shared, "primary": True}]})
    answer = (await crm.get("/v1/lookup", params={"number": "+86 10 6234 5678"})).json()
    assert answer["patient_id"] == second["id"] and "marked primary" in answer["note"]
    reply = await bus.request(
        subjects.CRM_CALLER_LOOKUP, CallerLookupRequest(number=shared), reply_type=CallerLookupReply
    )
    assert reply.patient_id == second["id"]


async def test_an_id_number_is_never_taken_from_a_url(crm):
    """Issue 9 §8: an ID number in a query string sits in access logs; only a POST body carries one."""
    (await crm.post("/v1/patients", json=patient())).raise_for_status()
    for url in ("/v1/patients", "/v1/history"):
        refused = await crm.get(url, params={"id_number": ID_A})
        assert refused.status_code == 400, refused.text
        assert "POST " + url + "/search" in refused.json()["detail"]
        assert ID_A not in refused.text
    found = await crm.post("/v1/history/search", json={"id_number": ID_A})
    assert found.status_code == 200 and found.json()["patient"]["id_number"] == ID_A
