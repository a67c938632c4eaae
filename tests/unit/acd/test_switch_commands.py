"""The ESL commands the ACD sends for hold / unhold (issue 8 "hold gives the caller dead air", R-ACD3).

Real FreeSWITCH 1.11.2: ``uuid_hold <X>`` re-INVITEs X's phone and plays X's ``hold_music`` to X's partner.
So the agent's leg is the one held, with ``hold_music`` set on it first; the caller's leg is never held.
"""

from __future__ import annotations

from careline.acd.domain.agents import Agent
from careline.acd.domain.queue import QueueConfig, WaitingCall
from careline.acd.domain.routing import Offer
from careline.acd.switch import EslSwitch, originate_command


class RecordingEsl:
    def __init__(self, replies: dict[str, str] | None = None) -> None:
        self.sent: list[str] = []
        self.replies = replies or {}

    async def api(self, command: str) -> str:
        self.sent.append(command)
        verb = command.split()[0]
        return self.replies.get(verb, "+OK Success\n")

    async def bgapi(self, command: str) -> str:
        self.sent.append(command)
        return "+OK 00000000-0000-0000-0000-000000000000\n"


async def test_hold_sets_hold_music_on_the_agent_leg_then_holds_that_leg():
    esl = RecordingEsl()
    switch = EslSwitch(esl, hold_music="local_stream://moh")
    assert await switch.hold_call("agent-leg", True)
    assert esl.sent == ["uuid_setvar agent-leg hold_music local_stream://moh", "uuid_hold agent-leg"]


async def test_unhold_releases_the_agent_leg():
    esl = RecordingEsl()
    assert await EslSwitch(esl).hold_call("agent-leg", False)
    assert esl.sent == ["uuid_hold off agent-leg"]


async def test_hold_music_is_a_setting():
    esl = RecordingEsl()
    await EslSwitch(esl, hold_music="ivr/careline-moh.wav").hold_call("leg", True)
    assert esl.sent[0] == "uuid_setvar leg hold_music ivr/careline-moh.wav"


async def test_hold_refused_when_the_leg_is_gone():
    esl = RecordingEsl({"uuid_setvar": "-ERR No such channel!\n"})
    assert not await EslSwitch(esl).hold_call("gone", True)
    assert esl.sent == ["uuid_setvar gone hold_music local_stream://moh"]  # no uuid_hold on a gone leg


def _offer() -> Offer:
    call = WaitingCall("caller-uuid", "13900000001", 0.0)
    agent = Agent("a1", "Ann", "2001")
    return Offer(call, agent, "leg-uuid", QueueConfig("care"))


def test_agent_legs_are_originated_with_hold_music():
    command = originate_command(_offer(), "user/{extension}", hold_music="local_stream://moh")
    assert "hold_music=local_stream://moh" in command
    assert command.endswith("}user/2001 &park()")
