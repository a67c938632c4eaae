"""Offsets and expert numbers past SQLite's 64-bit INTEGER are refused with a reason, never a 500
(issue 9 §7, R-CRM1, R-ADM3). Real app, SQLite file (and PostgreSQL when CARELINE_TEST_PG_URL is set)."""

from __future__ import annotations

import pytest

from careline.crm.domain import MAX_OFFSET

HUGE = (2**63, 2**64)


@pytest.fixture
def crm(crm_http):
    return crm_http


@pytest.mark.parametrize("huge", HUGE)
@pytest.mark.parametrize("listing", ["/v1/patients", "/v1/appointments", "/v1/complaints"])
async def test_an_offset_past_the_bound_is_a_422_with_the_bound(crm, listing, huge):
    reply = await crm.get(listing, params={"offset": huge})
    assert reply.status_code == 422 and f"less than or equal to {MAX_OFFSET}" in reply.text


@pytest.mark.parametrize("listing", ["/v1/patients", "/v1/appointments", "/v1/complaints"])
async def test_the_largest_offset_is_an_empty_page(crm, listing):
    reply = await crm.get(listing, params={"offset": MAX_OFFSET})
    assert reply.status_code == 200 and reply.json()["items"] == []


@pytest.mark.parametrize("number", [2**63, 2**64, -(2**63) - 1, 10000])
async def test_an_expert_number_out_of_range_is_a_422(crm, number):
    assert (await crm.get(f"/v1/experts/{number}")).status_code == 422
    assert (await crm.patch(f"/v1/experts/{number}", json={})).status_code == 422
