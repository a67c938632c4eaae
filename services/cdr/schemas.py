"""Response models of the CDR API (R-CDR1)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from careline.cdr.domain import from_us
from careline.cdr.models import CdrRow


class CdrOut(BaseModel):
    uuid: str
    call_id: str
    other_leg_uuid: str | None
    direction: str
    caller_number: str
    destination_number: str
    queue: str | None
    agent: str | None
    start_time: dt.datetime
    answer_time: dt.datetime | None
    end_time: dt.datetime
    duration: int
    billsec: int
    waitsec: int
    hangup_cause: str
    recording_path: str | None
    node: str | None

    @classmethod
    def of(cls, row: CdrRow) -> CdrOut:
        return cls(
            uuid=row.uuid,
            call_id=row.call_id,
            other_leg_uuid=row.other_leg_uuid,
            direction=row.direction,
            caller_number=row.caller_number,
            destination_number=row.destination_number,
            queue=row.queue,
            agent=row.agent,
            start_time=from_us(row.start_us),
            answer_time=from_us(row.answer_us),
            end_time=from_us(row.end_us),
            duration=row.duration,
            billsec=row.billsec,
            waitsec=row.waitsec,
            hangup_cause=row.hangup_cause,
            recording_path=row.recording_path,
            node=row.node,
        )


CSV_COLUMNS = tuple(CdrOut.model_fields)


class CdrPageOut(BaseModel):
    items: list[CdrOut]
    total: int
    limit: int
    offset: int
    next_cursor: str | None
