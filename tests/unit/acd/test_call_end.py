"""ACD_CALL_END_REQUEST (design §3, R-EXP3): the ACD ends a bridged call it owns politely — the expert's leg
at once, the caller after the end prompt — once, and ignores calls it does not hold."""

from __future__ import annotations

import asyncio

from careline.acd.call_end import CallEnder
from careline.acd.domain.agents import AgentState
from careline.acd.domain.queue import QueueConfig, WaitingCall
from careline.acd.domain.routing import Distributor
from careline.v1.consultation_pb2 import CallEndRequest

from .fakes import FakeClock, FakeNotifier, FakeSwitch


class EndingSwitch(FakeSwitch):
    def __init__(self) -> None:
        super().__init__()
        self.steps: list[tuple[str, str]] = []
        self.transfer_ok = True

    async def transfer(self, uuid: str, destination: str) -> bool:
        self.steps.append(("transfer", uuid))
        await asyncio.sleep(0)  # a duplicate request may arrive while the switch works
        return self.transfer_ok

    async def hang_up(self, uuid: str, cause: str) -> None:
        self.steps.append(("hang_up", uuid))
        await super().hang_up(uuid, cause)

    async def goodbye(self, call_uuid: str, prompt: str) -> None:
        self.steps.append(("goodbye", call_uuid))


async def _bridged():
    switch = EndingSwitch()
    acd = Distributor(switch, FakeNotifier(), clock=FakeClock())
    acd.configure_queue(QueueConfig("experts", expert=True, wrap_up_s=30))
    acd.put_agent("e1", "Expert", "2001", expert=True)
    acd.log_in("e1")
    switch.live.add("caller")
    call = WaitingCall("caller", "139", 0.0, call_data={"consultation_authorised": "true"})
    await acd.enqueue(call, "experts")
    await acd.drain()
    assert "caller" in acd.bridged
    ender = CallEnder(acd, switch, hold_extension="hold", prompt="ivr/ended.wav")
    return acd, switch, ender


def _request(uuid="caller"):
    return CallEndRequest(call_uuid=uuid, reason="credit_exhausted", requester="billing")


async def test_the_expert_leg_ends_first_then_the_caller_hears_the_prompt():
    acd, switch, ender = await _bridged()
    leg = acd.bridged["caller"].leg_uuid
    await ender.on_request(_request())
    assert switch.steps == [("transfer", "caller"), ("hang_up", leg), ("goodbye", "caller")]
    assert "caller" not in acd.bridged and acd.agent("e1").state is AgentState.WRAP_UP
    acd.on_hangup("caller")  # the caller's hang-up after the prompt is no abandon, no second wrap-up
    acd.on_hangup(leg)
    assert acd.agent("e1").state is AgentState.WRAP_UP and ender.ended == [("caller", "credit_exhausted")]


async def test_a_duplicate_request_meanwhile_or_after_does_nothing_more():
    acd, switch, ender = await _bridged()
    await asyncio.gather(ender.on_request(_request()), ender.on_request(_request()))
    await ender.on_request(_request())
    assert [s for s, _ in switch.steps] == ["transfer", "hang_up", "goodbye"]


async def test_a_call_this_instance_does_not_hold_is_left_alone():
    acd, switch, ender = await _bridged()
    await ender.on_request(_request("someone-else"))
    assert switch.steps == [] and "caller" in acd.bridged


async def test_when_the_caller_cannot_be_moved_both_legs_are_hung_up():
    acd, switch, ender = await _bridged()
    switch.transfer_ok = False
    leg = acd.bridged["caller"].leg_uuid
    await ender.on_request(_request())
    assert switch.steps == [("transfer", "caller"), ("hang_up", leg), ("hang_up", "caller")]
