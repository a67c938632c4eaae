"""The envelope every fact carries: `meta` = careline.v1.EventMeta (design §4)."""

from __future__ import annotations

import time

from google.protobuf.message import Message

from careline.core.ids import uuid7
from careline.v1.common_pb2 import EventMeta

HEADER_MSG_ID = "Nats-Msg-Id"
HEADER_ERROR = "Careline-Error"


def new_meta(call_uuid: str = "", *, producer: str = "", schema_version: int = 1) -> EventMeta:
    """A fresh EventMeta: new UUIDv7 event id, occurred_at = now."""
    meta = EventMeta(event_id=uuid7(), call_uuid=call_uuid, schema_version=schema_version, producer=producer)
    meta.occurred_at.FromNanoseconds(time.time_ns())
    return meta


def event_id_of(msg: Message) -> str:
    """`msg.meta.event_id`, or "" when the message has no envelope."""
    if "meta" in msg.DESCRIPTOR.fields_by_name and msg.HasField("meta"):
        return msg.meta.event_id
    return ""
