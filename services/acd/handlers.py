"""What the ACD listens to, and what each message or event does (design §1, §3). Every handler is
idempotent: a repeated enqueue is the same caller, a repeated hangup is ignored.

- NATS request ``careline.acd.enqueue`` → :meth:`AcdHandlers.enqueue`: ownership CAS ivr→acd, then
  ``Distributor.enqueue``;
- ESL CHANNEL_HANGUP / CHANNEL_HANGUP_COMPLETE → :meth:`AcdHandlers.on_channel_event` → ``on_hangup``;
- ESL CHANNEL_CREATE / CHANNEL_ANSWER / hangups of legs the ACD did not make → ``OutsideCalls``: an
  agent whose phone they ring is busy until they end (issue 8, domain/outside.py);
- ESL reconnect → :meth:`AcdHandlers.resync` → ``Distributor.resync``;
- NATS push ``careline.acd.call.end`` (billing: credit exhausted) → :class:`.call_end.CallEnder`;
- out: ``careline.agent.<id>.screenpop`` ← :meth:`BusNotifier.agent_offered`, before the originate (R-ACD2).
"""

from __future__ import annotations

import asyncio
import logging

from careline import subjects
from careline.acd.call_end import CallEnder
from careline.acd.domain.outside import OutsideCalls
from careline.acd.domain.queue import WaitingCall, parse_skills
from careline.acd.domain.routing import Distributor, EnqueueResult, Offer
from careline.core.bus import Bus, Conflict, new_meta
from careline.core.log import call_context
from careline.v1.acd_pb2 import AgentOffered, EnqueueReply, EnqueueRequest
from careline.v1.consultation_pb2 import CallEndRequest

log = logging.getLogger("careline.acd.handlers")

OWNER_IVR, OWNER_ACD = b"ivr", b"acd"
HANGUP_EVENTS = ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")
RING_EVENTS = ("CHANNEL_CREATE", "CHANNEL_ANSWER")


class CallOwnership:
    """The ``call_owner`` KV bucket (design §3): the ACD takes a call over with a compare-and-set."""

    def __init__(self, kv) -> None:
        self.kv = kv

    async def take_from_ivr(self, call_uuid: str) -> bool:
        """CAS ivr→acd. True when the ACD owns the call now (also when it already did: a retry)."""
        entry = await self.kv.get(call_uuid)
        if entry is not None and entry.value == OWNER_ACD:
            return True
        if entry is None or entry.value != OWNER_IVR:
            return False
        try:
            await self.kv.update(call_uuid, OWNER_ACD, entry.revision)
            return True
        except Conflict:
            again = await self.kv.get(call_uuid)
            return again is not None and again.value == OWNER_ACD

    async def give_back(self, call_uuid: str) -> None:
        """Undo a take-over the queue then refused, so the IVR knows the call is still its own."""
        entry = await self.kv.get(call_uuid)
        if entry is not None and entry.value == OWNER_ACD:
            try:
                await self.kv.update(call_uuid, OWNER_IVR, entry.revision)
            except Conflict:
                log.warning("could not give call back to the IVR", extra={"call_uuid": call_uuid})


class AcdHandlers:
    def __init__(self, distributor: Distributor, bus: Bus, ownership: CallOwnership | None, esl=None) -> None:
        self.distributor = distributor
        self.bus = bus
        self.ownership = ownership
        self.esl = esl
        self.call_ender: CallEnder | None = None  # ACD_CALL_END_REQUEST (call_end.py), set by the app
        self.outside = OutsideCalls(distributor)  # agents rung outside the ACD

    def subscribe_esl(self) -> None:
        """Synchronous, and called before the lifespan's first await: the ESL adapter only replays
        subscriptions made before its links finish opening (or after they are up)."""
        if self.esl is not None:
            self.esl.subscribe([*HANGUP_EVENTS, *RING_EVENTS], self.on_channel_event)
            self.esl.on_reconnect(self.resync)

    async def serve_bus(self) -> None:
        await self.bus.serve(subjects.ACD_ENQUEUE, self.enqueue, request_type=EnqueueRequest)
        if self.call_ender is not None:  # every instance hears it; the one holding the bridge acts
            await self.bus.subscribe(
                subjects.ACD_CALL_END_REQUEST, self.call_ender.on_request, msg_type=CallEndRequest
            )

    async def enqueue(self, request: EnqueueRequest) -> EnqueueReply:
        with call_context(request.call_uuid):
            result = await self._enqueue(request)
            log.info("enqueue: accepted=%s %s", result.accepted, result.reason)
            return EnqueueReply(accepted=result.accepted, reason=result.reason, position=result.position)

    async def _enqueue(self, request: EnqueueRequest) -> EnqueueResult:
        if request.queue not in self.distributor.queues:
            return EnqueueResult(False, "queue_unknown")
        if not await self.ownership.take_from_ivr(request.call_uuid):
            return EnqueueResult(False, "not_owner")
        call = WaitingCall(
            call_uuid=request.call_uuid,
            caller_number=request.caller_number,
            enqueued_at=0.0,
            vip=request.vip,
            priority=request.priority,
            call_data=dict(request.call_data),
            skills=parse_skills(list(request.skills)),
        )
        result = await self.distributor.enqueue(call, request.queue)
        if not result.accepted:
            await self.ownership.give_back(request.call_uuid)
        return result

    async def on_channel_event(self, event) -> None:
        uuid, name = event.get("Unique-ID"), event.get("Event-Name") or getattr(event, "name", "")
        if uuid and name in HANGUP_EVENTS:
            self.distributor.on_hangup(uuid, event.get("Hangup-Cause") or "")
        self.outside.on_event(name, event)

    async def resync(self, *_args) -> None:
        try:
            gone = await self.distributor.resync()
            gone += await self.sync_outside()
            log.info("resync after ESL reconnect: %d calls gone", len(gone))
        except Exception:  # an unknown state is kept; the next hangup event or resync settles it
            log.exception("resync after ESL reconnect failed")

    async def sync_outside(self) -> list[str]:
        """Agents on calls the ACD did not make, from the switch's channel list (on start, on reconnect)."""
        switch = self.distributor.switch
        try:
            return self.outside.sync(await switch.channels())
        except Exception:  # no list: at least drop the legs that are gone
            log.warning("channel list unavailable; checking outside calls one by one", exc_info=True)
            return await self.outside.resync(switch.exists)

    async def sync_outside_once_connected(self, poll_s: float = 0.05) -> None:
        """At start: the link may still be opening (the service starts without the switch), and the
        adapter runs on_reconnect callbacks only from the second connection on."""
        if self.esl is None:
            return
        while not self.esl.connected:  # noqa: ASYNC110 - the adapter has no "connected" event to await
            await asyncio.sleep(poll_s)
        await self.sync_outside()


class BusNotifier:
    """Screen pop before the phone rings (R-ACD2): a core NATS push to the agent's desktop."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def agent_offered(self, offer: Offer) -> None:
        call = offer.call
        message = AgentOffered(
            meta=new_meta(call.call_uuid, producer="acd"),
            agent_id=offer.agent.id,
            call_uuid=call.call_uuid,
            queue=offer.queue.name,
            caller_number=call.caller_number,
            vip=call.vip,
            screen_pop=call.call_data,
        )
        # Flushed: the pop must be at the agent's desktop before the originate rings the phone.
        await self.bus.notify(subjects.agent_screenpop(offer.agent.id), message, flush=True)
