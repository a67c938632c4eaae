"""Envelope mechanics without a server: UUIDv7 ids, EventMeta, the consumer's memory of handled ids."""

from __future__ import annotations

import time
import uuid

import careline.core.bus as bus_api
from careline.core.bus import event_id_of, new_meta
from careline.core.bus._consume import RecentIds
from careline.core.ids import uuid7, uuid7_time_ms
from careline.v1 import call_pb2, crm_pb2


def test_uuid7_is_version_7_rfc_variant_and_time_ordered() -> None:
    ids = [uuid7() for _ in range(5000)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # monotonic within a process
    assert abs(uuid7_time_ms(ids[-1]) - time.time() * 1000) < 5000


def test_new_meta_fills_the_envelope() -> None:
    meta = new_meta("call-1", producer="ivr")
    assert uuid.UUID(meta.event_id).version == 7
    assert meta.call_uuid == "call-1" and meta.producer == "ivr" and meta.schema_version == 1
    assert abs(meta.occurred_at.ToMilliseconds() - time.time() * 1000) < 5000


def test_event_id_of_reads_meta_or_returns_empty() -> None:
    meta = new_meta()
    assert event_id_of(call_pb2.CallHungUp(meta=meta)) == meta.event_id
    assert event_id_of(call_pb2.CallHungUp()) == ""
    assert event_id_of(crm_pb2.CallerLookupRequest(number="1")) == ""  # no envelope at all


def test_recent_ids_forgets_the_oldest() -> None:
    recent = RecentIds(capacity=3)
    for i in "abcd":
        recent.add(i)
    assert "a" not in recent and all(i in recent for i in "bcd")


def test_public_surface_is_pinned() -> None:
    assert sorted(bus_api.__all__) == sorted(
        [
            "HEADER_MSG_ID",
            "AlreadyProcessed",
            "BatchConsumer",
            "BucketSpec",
            "Bus",
            "BusError",
            "Conflict",
            "Consumer",
            "Kv",
            "KvEntry",
            "NoResponders",
            "RemoteError",
            "StreamSpec",
            "event_id_of",
            "new_meta",
        ]
    )
