"""Ending a call at another service's request (design §3): ``ACD_CALL_END_REQUEST`` (CallEndRequest).

Billing never owns a call; when a paid consultation's credit runs out it asks the owner to end it
(R-EXP3). The ACD owns the call while it is bridged to an agent, so the instance holding the bridge:

1. lets go of the bridge (the expert wraps up; nothing more is billed once the expert's leg is gone);
2. moves the caller out of the bridge to the hold extension (``uuid_transfer``), which ends the expert's
   leg at once — talk time stops at the moment billing asked — and hangs that leg up explicitly too;
3. says the end prompt to the caller, then hangs up (``goodbye``: break, broadcast, ``sched_hangup``),
   well inside billing's backstop grace.

Idempotent: a repeated request (two billing replicas, a redelivery) finds the bridge gone and does
nothing; a request for a call this instance does not hold is ignored (another replica, or the IVR, owns
it). A caller still waiting in a queue is not metered, so only bridged calls are ended.
"""

from __future__ import annotations

import logging
from typing import Protocol

from careline.acd.domain.routing import Distributor
from careline.core.log import call_context
from careline.v1.consultation_pb2 import CallEndRequest

log = logging.getLogger("careline.acd.call_end")


class EndSwitch(Protocol):
    async def transfer(self, uuid: str, destination: str) -> bool: ...

    async def hang_up(self, uuid: str, cause: str) -> None: ...

    async def goodbye(self, call_uuid: str, prompt: str) -> None: ...


class CallEnder:
    def __init__(
        self, distributor: Distributor, switch: EndSwitch, *, hold_extension: str, prompt: str
    ) -> None:
        self.distributor, self.switch = distributor, switch
        self.hold_extension, self.prompt = hold_extension, prompt
        self._ending: set[str] = set()  # requests in flight: a duplicate meanwhile is a no-op
        self.ended: list[tuple[str, str]] = []  # (call uuid, reason), for logs and tests

    async def on_request(self, request: CallEndRequest) -> None:
        uuid = request.call_uuid
        bridge = self.distributor.bridged.get(uuid)
        if bridge is None or uuid in self._ending:
            return
        with call_context(uuid):
            self._ending.add(uuid)
            try:
                log.info("ending the call at %s's request (%s)", request.requester or "?", request.reason)
                self.distributor.release(bridge)  # the agent wraps up; the legs are ours to end below
                moved = await self.switch.transfer(uuid, self.hold_extension)
                await self.switch.hang_up(bridge.leg_uuid, "NORMAL_CLEARING")
                if moved:
                    await self.switch.goodbye(uuid, self.prompt)
                else:  # the caller could not hear a prompt: end it now rather than leave it up
                    log.warning("caller not moved out of the bridge; hanging up without the prompt")
                    await self.switch.hang_up(uuid, "NORMAL_CLEARING")
                self.ended.append((uuid, request.reason))
            finally:
                self._ending.discard(uuid)
