"""Queued callback (R-ACD1, issue 3 "caller experience"): leave the queue, keep the place, be called back.

- While waiting, the caller presses the queue's ``callback_key`` (e.g. ``*``). The ACD keeps their entry
  in the queue — same arrival time, class and call data, so the same place — under a new key
  (``callback-<uuid>``) with the number to call back, thanks the caller with ``callback_prompt`` and hangs
  up (the goodbye path). The channel's own hangup is then unknown to the queue: not an abandon.
- An overflow whose target is ``callback`` does the same without the key (max wait or no agents).
- When the entry's turn comes and an agent is free, the distributor dials the agent first and, once the
  agent answers, the caller (the outbound-call path of R-ACD5: ``originate user/<ext> &bridge(<number>)``).
  It is then an answered call of the queue (the wait counts from the first arrival), and it ends like any
  other bridged call. A ring the agent misses counts a miss and the entry stays at the head.
- A callback entry is not a channel: no announcements, no time overflow, no resync check.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from typing import TYPE_CHECKING

from careline.acd.domain.call_events import CallEvent
from careline.acd.domain.queue import CallQueue, WaitingCall

if TYPE_CHECKING:
    from careline.acd.domain.ports import Offer
    from careline.acd.domain.routing import Distributor

log = logging.getLogger("careline.acd.callbacks")
PREFIX = "callback-"
CALLBACK = "callback"  # overflow target


def is_callback(call: WaitingCall) -> bool:
    return bool(call.callback_number)


def on_digit(acd: Distributor, call_uuid: str, digit: str) -> bool:
    """A DTMF digit from a channel; True when it turned a waiting caller into a queued callback."""
    queue = acd.queue_of(call_uuid)
    if queue is None or not queue.config.callback_key or digit != queue.config.callback_key:
        return False
    call = queue.get(call_uuid)
    if call is None or call.offering or not call.caller_number:
        return False  # a phone already rings for them: let it
    to_callback(acd, queue, call)
    return True


def to_callback(acd: Distributor, queue: CallQueue, call: WaitingCall) -> None:
    """Keep the caller's place as a callback entry, then thank them and hang up their channel."""
    channel = call.call_uuid
    queue.remove(channel)
    call.callback_number = call.caller_number
    call.call_uuid = PREFIX + channel
    call.call_data = {**call.call_data, "callback_of": channel}
    seq = call.seq
    queue.add(call)
    call.seq = seq  # the same place among callers who arrived at the same moment
    acd.record(CallEvent(CALLBACK, queue.name, channel, wait_s=call.wait_s(acd.clock())))
    acd.on_event(CALLBACK)
    log.info(
        "caller left %s for a callback to %s", queue.name, call.callback_number, extra={"call_uuid": channel}
    )
    acd._spawn(acd.switch.goodbye(channel, queue.config.callback_prompt))
    acd.dispatch()


async def ring_back(acd: Distributor, offer: Offer) -> None:
    """The agent's phone first, then the caller's number; bridged, it is an answered call of the queue."""
    call, agent, leg = offer.call, offer.agent, offer.leg_uuid
    number_leg = str(uuidlib.uuid4())
    try:
        await acd.notifier.agent_offered(offer)
    except Exception:  # a lost screen pop must not lose the callback
        log.exception("screen pop for agent %s failed", agent.id)
    if acd.reserve is not None and not await acd._reserve(offer):  # replicas: the agent is another's
        return
    try:
        answered, cause = await acd.switch.dial_out(
            agent,
            leg,
            call.callback_number,
            number_leg,
            kind="callback",
            careline_callback_of=call.call_data.get("callback_of", ""),  # the caller's first call
        )
    except Exception:
        log.exception("callback originate to agent %s failed", agent.id)
        answered, cause = False, "ORIGINATOR_ERROR"
    if not acd._still_offered(offer):
        if answered:
            await acd.switch.hang_up(leg, "ORIGINATOR_CANCEL")
        return
    if not answered:
        acd._missed(offer, cause)
        return
    acd._answered(offer)
    bridge = acd.bridged.pop(call.call_uuid)
    acd._leg_owner.pop(leg, None)
    bridge.call_uuid, bridge.outbound = number_leg, True  # the caller's new leg ends the call
    acd.add_bridge(bridge)
