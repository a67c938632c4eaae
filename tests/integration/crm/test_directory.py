"""Hospital directory over HTTP (R-ADM3): departments, staff, experts, schedules with slots."""

from __future__ import annotations

import pytest

from careline.core.db import schema_diff
from careline.crm.models import Base


async def test_migrations_match_the_models(crm_app, crm_settings):
    assert await schema_diff(crm_settings.database_url, Base.metadata) == []


async def seed_directory(http) -> None:
    for body in (
        {"code": "11", "name": "内科"},
        {"code": "12", "name": "外科"},
    ):
        assert (await http.post("/v1/departments", json=body)).status_code == 201
    assert (
        await http.post("/v1/staff", json={"code": "1001", "name": "张护士", "department_code": "11"})
    ).status_code == 201
    expert = {"number": 7, "name": "李主任", "department_code": "11", "introduction": "心血管专家"}
    assert (await http.post("/v1/experts", json=expert)).status_code == 201


async def test_departments_staff_experts_edit_and_list(crm_http):
    await seed_directory(crm_http)
    assert [d["code"] for d in (await crm_http.get("/v1/departments")).json()] == ["11", "12"]

    moved = await crm_http.patch("/v1/staff/1001", json={"department_code": "12", "title": "护士长"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["department_code"], moved.json()["title"]) == ("12", "护士长")
    assert [s["code"] for s in (await crm_http.get("/v1/staff", params={"department": "12"})).json()] == [
        "1001"
    ]

    off = await crm_http.patch("/v1/experts/7", json={"enabled": False, "introduction": "新介绍"})
    assert off.json()["enabled"] is False and off.json()["introduction"] == "新介绍"
    renamed = await crm_http.patch("/v1/departments/12", json={"name": "普外科"})
    assert renamed.json()["name"] == "普外科"
    assert (await crm_http.get("/v1/staff/1001")).json()["department_name"] == "普外科"


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/v1/departments", {"code": "11", "name": "again"}, 409, "code 11 is taken"),
        ("/v1/departments", {"code": "1a", "name": "x"}, 422, "invalid request"),
        ("/v1/staff", {"code": "1001", "name": "x", "department_code": "11"}, 409, "staff code 1001"),
        (
            "/v1/staff",
            {"code": "1002", "name": "x", "department_code": "99"},
            404,
            "no department with code 99",
        ),
        ("/v1/experts", {"number": 7, "name": "x", "department_code": "11"}, 409, "expert number 7"),
        ("/v1/experts", {"number": 0, "name": "x", "department_code": "11"}, 422, "invalid request"),
    ],
)
async def test_bad_directory_input_is_refused_with_a_reason(crm_http, path, body, status, reason):
    await seed_directory(crm_http)
    response = await crm_http.post(path, json=body)
    assert response.status_code == status, response.text
    assert reason in response.text
    assert (await crm_http.patch("/v1/departments/11", json={"name": None})).status_code == 422


async def test_schedule_slots_in_local_time(crm_http):
    await seed_directory(crm_http)
    body = {
        "department_code": "11",
        "expert_number": 7,
        "day": "2030-03-04",
        "slots": [
            {"start": "08:00", "end": "08:30", "capacity": 5},
            {"start": "08:30", "end": "09:00", "capacity": 2},
        ],
    }
    created = await crm_http.post("/v1/schedules", json=body)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["expert_name"] == "李主任"
    first = schedule["slots"][0]
    assert first["starts_at"].startswith("2030-03-04T00:00:00")  # 08:00 Asia/Shanghai
    assert (first["capacity"], first["booked"], first["free"]) == (5, 0, 5)
    listed = await crm_http.get("/v1/schedules", params={"department": "11", "day_from": "2030-03-04"})
    assert [s["id"] for s in listed.json()] == [schedule["id"]]
    assert (await crm_http.get("/v1/schedules", params={"day_from": "2030-03-05"})).json() == []

    overlapping = body | {
        "slots": [
            {"start": "08:00", "end": "09:00", "capacity": 1},
            {"start": "08:30", "end": "09:30", "capacity": 1},
        ]
    }
    refused = await crm_http.post("/v1/schedules", json=overlapping)
    assert refused.status_code == 422 and "overlaps" in refused.json()["detail"]
    backwards = body | {"slots": [{"start": "09:00", "end": "08:00", "capacity": 1}]}
    assert "before it starts" in (await crm_http.post("/v1/schedules", json=backwards)).json()["detail"]
    wrong_dept = body | {"department_code": "12"}
    assert (
        "works in department 11" in (await crm_http.post("/v1/schedules", json=wrong_dept)).json()["detail"]
    )

    assert (await crm_http.delete(f"/v1/schedules/{schedule['id']}")).status_code == 204
    assert (await crm_http.get(f"/v1/schedules/{schedule['id']}")).status_code == 404
