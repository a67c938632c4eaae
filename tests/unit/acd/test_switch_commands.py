"""The ESL commands the ACD sends for hold / unhold (issue 8 "hold gives the caller dead air", R-ACD3).

Measured on FreeSWITCH 1.11.2 with real phones: ``uuid_hold`` on either leg gave the caller no sound (the
caller's own hold re-INVITE sends its hold_music to the agent; the agent's phone answering recvonly stops
the media to the caller). A broadcast on the caller's leg gives the caller music and the agent silence.
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


async def test_hold_plays_the_hold_music_to_the_caller_leg_and_never_re_invites():
    esl = RecordingEsl()
    switch = EslSwitch(esl, hold_music="local_stream://moh")
    assert await switch.hold_call("caller-leg", True)
    assert esl.sent == ["uuid_broadcast caller-leg local_stream://moh aleg"]
    assert not any(cmd.startswith("uuid_hold") for cmd in esl.sent)


async def test_unhold_breaks_the_music_on_the_caller_leg():
    esl = RecordingEsl()
    assert await EslSwitch(esl).hold_call("caller-leg", False)
    assert esl.sent == ["uuid_break caller-leg all"]


async def test_hold_music_is_a_setting_and_cannot_carry_a_second_command():
    esl = RecordingEsl()
    await EslSwitch(esl, hold_music="ivr/careline-moh.wav").hold_call("leg", True)
    assert esl.sent[0] == "uuid_broadcast leg ivr/careline-moh.wav aleg"
    await EslSwitch(esl, hold_music="m.wav both\nuuid_kill x ${system(id)}").hold_call("leg", True)
    assert esl.sent[1] == "uuid_broadcast leg m.wavbothuuid_killx$system(id) aleg"  # one token, no ${


async def test_hold_refused_when_the_caller_is_gone():
    esl = RecordingEsl({"uuid_broadcast": "-ERR invalid uuid\n"})
    assert not await EslSwitch(esl).hold_call("gone", True)


def _offer() -> Offer:
    call = WaitingCall("caller-uuid", "13900000001", 0.0)
    agent = Agent("a1", "Ann", "2001")
    return Offer(call, agent, "leg-uuid", QueueConfig("care"))


def test_agent_legs_are_originated_with_hold_music():
    command = originate_command(_offer(), "user/{extension}", hold_music="local_stream://moh")
    assert "hold_music=local_stream://moh" in command
    assert command.endswith("}user/2001 &park()")


# --- every leg carries the call's id and a readable caller ID (issue 8 part 5) ---------------------------
def _vars_of(command: str) -> dict[str, str]:
    inside = command.split("{", 1)[1].split("}", 1)[0]
    return dict(pair.split("=", 1) for pair in inside.split(","))


def test_an_offer_carries_the_call_and_the_callers_number():
    variables = _vars_of(originate_command(_offer(), "user/{extension}"))
    assert variables["careline_call_id"] == "caller-uuid" and variables["careline_leg"] == "offer"
    assert variables["origination_caller_id_number"] == "13900000001"
    assert variables["origination_caller_id_name"] == "careline-care"


async def test_the_eavesdrop_leg_is_the_calls_and_named_after_the_supervisor():
    esl = RecordingEsl()
    await EslSwitch(esl).eavesdrop("4001", "sup-leg", "agent-leg", "whisper", "caller-uuid")
    (command,) = esl.sent
    variables = _vars_of(command)
    assert variables["careline_call_id"] == "caller-uuid" and variables["careline_leg"] == "eavesdrop"
    assert variables["origination_caller_id_number"] == "4001"
    assert variables["origination_caller_id_name"] == "Supervisor-4001"
    assert "careline_agent" not in variables  # the leg is not the agent's call
    assert command.endswith("}user/4001 &eavesdrop(agent-leg)")


async def test_both_legs_of_a_callback_carry_the_number_legs_id():
    esl = RecordingEsl()
    switch = EslSwitch(esl, outbound_dial="sofia/gateway/pstn/{number}", outbound_caller_id_number="95169")
    agent = Agent("a1", "Ann", "2001")
    await switch.dial_out(
        agent, "agent-leg", "13900000001", "number-leg", kind="callback", careline_callback_of="c0"
    )
    (command,) = esl.sent
    agent_vars = _vars_of(command)
    number_vars = _vars_of(command.split("&bridge(", 1)[1])
    for variables in (agent_vars, number_vars):
        assert variables["careline_call_id"] == "number-leg" and variables["careline_leg"] == "callback"
        assert variables["careline_callback_of"] == "c0" and variables["careline_agent"] == "a1"
    assert agent_vars["origination_caller_id_number"] == "13900000001"
    assert number_vars["origination_caller_id_number"] == "95169"


def test_values_are_escaped():
    from careline.acd.legs import dial_vars, value

    assert value("Dr. Li Wei") == "Dr.-Li-Wei"
    assert value("王 医生") == "王-医生"
    assert value("${system(rm -rf /)}") == "systemrm--rf-/"  # nothing left to expand
    assert value("a,b}c{d'e[f]") == "abcdef"  # nothing ends the variable list
    assert value("x\r\nevent: injected") == "x-event:-injected"
    assert dial_vars({"a": "1", "b": "", "c": "  "}) == "{a=1}"


async def test_the_channel_list_is_read_from_show_channels_as_json():
    rows = '{"row_count": 1, "rows": [{"uuid": "u1", "direction": "outbound", "dest": "2001"}]}'
    esl = RecordingEsl({"show": rows})
    assert await EslSwitch(esl).channels() == [{"uuid": "u1", "direction": "outbound", "dest": "2001"}]
    assert esl.sent == ["show channels as json"]
    assert await EslSwitch(RecordingEsl({"show": '{"row_count": 0}'})).channels() == []
