"""A patient's IVR language (issue 8 part 3, design §10, R-CRM2): kept from the IVR over NATS, read back in
the caller look-up, read and set by staff over HTTP. Real app, real NATS, SQLite (PostgreSQL when set)."""

from __future__ import annotations

from careline import subjects
from careline.v1.crm_pb2 import (
    CallerLookupReply,
    CallerLookupRequest,
    PatientLanguageSetReply,
    PatientLanguageSetRequest,
)
from tests.integration.crm.test_crm_app import crm, patient  # noqa: F401 - the fixture

NUMBER = "+8613912345678"


async def _lookup(bus) -> CallerLookupReply:
    return await bus.request(
        subjects.CRM_CALLER_LOOKUP, CallerLookupRequest(number=NUMBER), reply_type=CallerLookupReply
    )


async def _set(bus, patient_id: str, language: str) -> PatientLanguageSetReply:
    request = PatientLanguageSetRequest(patient_id=patient_id, language=language, call_uuid="call-1")
    return await bus.request(subjects.CRM_PATIENT_LANGUAGE_SET, request, reply_type=PatientLanguageSetReply)


async def test_the_ivr_keeps_a_choice_and_the_next_look_up_returns_it(crm, bus):  # noqa: F811
    created = (await crm.post("/v1/patients", json=patient())).json()
    assert created["language"] == "" and (await _lookup(bus)).language == ""

    assert (await _set(bus, created["id"], "en")).ok
    assert (await _lookup(bus)).language == "en"
    assert (await crm.get(f"/v1/patients/{created['id']}/language")).json() == {"language": "en"}
    assert (await crm.get(f"/v1/patients/{created['id']}")).json()["language"] == "en"
    assert (await crm.get("/v1/lookup", params={"number": NUMBER})).json()["language"] == "en"


async def test_staff_set_and_forget_it_over_http(crm, bus):  # noqa: F811
    created = (await crm.post("/v1/patients", json=patient())).json()
    url = f"/v1/patients/{created['id']}/language"
    assert (await crm.put(url, json={"language": "en"})).json() == {"language": "en"}
    assert (await crm.put(url, json={"language": ""})).json() == {"language": ""}
    assert (await _lookup(bus)).language == ""
    assert (await crm.put(url, json={"language": "fr"})).status_code == 422
    assert (await crm.get("/v1/patients/nobody/language")).status_code == 404


async def test_an_unknown_patient_or_language_is_refused_with_a_reason(crm, bus):  # noqa: F811
    created = (await crm.post("/v1/patients", json=patient())).json()
    assert (await _set(bus, "nobody", "en")).reason == "patient_unknown"
    assert (await _set(bus, created["id"], "fr")).reason == "language_unknown"
    assert (await _lookup(bus)).language == ""
