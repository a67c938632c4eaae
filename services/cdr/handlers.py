"""FreeSWITCH events and bus subjects of the CDR service, mapped to their work (design §1, issue 15).

| source | event / subject                        | handler                                          |
|--------|----------------------------------------|--------------------------------------------------|
| ESL    | CHANNEL_HANGUP_COMPLETE                | Intake.take_event -> stream CDR_INTAKE           |
| bus    | CDR_INTAKE (durable ``cdr-writer-<site>``) | CdrWriter.write, batches, ack after commit       |
| bus    | publishes CDR_CREATED (stream CDRS)    | Cdr, Nats-Msg-Id = leg uuid                      |

Idempotent end to end: the leg uuid is the intake message's id, the row's key and the fact's id, so a
repeated hangup event neither adds a row nor a second fact.
"""

from __future__ import annotations

import logging

from careline import subjects
from careline.cdr.intake import Intake
from careline.cdr.mapping import CdrRecord
from careline.core.bus import Bus, new_meta
from careline.core.esl import EslClient
from careline.v1.cdr_pb2 import Cdr
from careline.v1.common_pb2 import Direction

log = logging.getLogger("careline.cdr")

_DIRECTIONS = {"inbound": Direction.DIRECTION_INBOUND, "outbound": Direction.DIRECTION_OUTBOUND}
CDR_STREAMS = tuple(spec for spec in subjects.STREAMS if spec.name == subjects.CDRS)


def cdr_message(row: CdrRecord) -> Cdr:
    """The careline.v1 Cdr fact of a stored leg (a CdrRecord or a CdrRow). The call id travels as
    ``meta.call_uuid`` (the A leg)."""
    meta = new_meta(row.call_id, producer="cdr")
    meta.occurred_at.FromMicroseconds(row.end_us)
    return Cdr(
        meta=meta,
        uuid=row.uuid,
        other_leg_uuid=row.other_leg_uuid or "",
        direction=_DIRECTIONS.get(row.direction, Direction.DIRECTION_UNSPECIFIED),
        caller_number=row.caller_number,
        callee_number=row.destination_number,
        queue=row.queue or "",
        agent_id=row.agent or "",
        start_epoch=row.start_us // 1_000_000,
        answer_epoch=(row.answer_us or 0) // 1_000_000,
        end_epoch=row.end_us // 1_000_000,
        billsec=row.billsec,
        hangup_cause=row.hangup_cause,
        # The CDR service is the recording service (design §3); until recordings get their own table
        # the path is the recording's id.
        recording_id=row.recording_path or "",
    )


class BusCdrPublisher:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def __call__(self, row: CdrRecord) -> None:
        await self._bus.publish(subjects.CDR_CREATED, cdr_message(row), msg_id=row.uuid)


def subscribe(esl: EslClient, intake: Intake) -> None:
    """Must run before the lifespan first awaits: EslClient.subscribe() called while the links are
    being opened is neither in that connect's setup nor sent (it waits for the next reconnect)."""

    async def on_reconnect(client: EslClient) -> None:
        # Nothing to resync: FreeSWITCH sends HANGUP_COMPLETE once per leg, and legs that ended while
        # the link was down are lost to this link (mod_json_cdr is the backstop, docs/adr/0002). Say it.
        log.warning("ESL link to %s re-established (generation %d)", client.node, client.generation)

    # a plain (synchronous) handler: the intake only queues, so no task is spawned per event
    esl.subscribe(["CHANNEL_HANGUP_COMPLETE"], intake.take_event)
    esl.on_reconnect(on_reconnect)
