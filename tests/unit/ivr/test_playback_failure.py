"""A prompt the switch does not play is noticed, repeated once, then a human takes the caller
(issue 8 part 3, design §10, R-IVR5). On FreeSWITCH a failed prompt completes the application at once:
``playback`` answers FILE NOT FOUND or PLAYBACK ERROR, and ``play_and_get_digits`` leaves ``read_result``
unset (switch_ivr_read clears it first and sets it only after its prompt played)."""

from __future__ import annotations

import logging

from careline.ivr.defaults_loader import StaticPlans, hospital_bundle
from careline.ivr.engine import CallPlan, Hangup, Interpreter, PlaybackFailed, Transfer
from careline.ivr.flow import HandOverReply, IvrFlow, SessionConfig, playback_failure
from careline.ivr.flowdef import FlowDefinition
from careline.ivr.settings import IvrSettings
from tests.unit.ivr.test_flow import FAIL, FakeAcd, FakeCall, FakeDirectory, FakeOwnership, NoServices


class Sink:
    def __init__(self) -> None:
        self.reports = []

    async def publish(self, report):
        self.reports.append(report)


def _flow():
    counts: list[tuple[str, str]] = []
    sink = Sink()
    flow = IvrFlow(
        SessionConfig(),
        StaticPlans(hospital_bundle(IvrSettings(env="test"))),
        FakeDirectory(),
        FakeAcd(HandOverReply(True, position=1)),
        FakeOwnership(),
        NoServices(),
        count=lambda m, label: counts.append((m, label)),
        failures=sink,
    )
    return flow, counts, sink


async def test_a_menu_whose_prompt_fails_twice_goes_to_a_human_with_the_reason(caplog):
    """The old IVR walked menu -> invalid -> menu and handed over as "input_failed" without noticing."""
    flow, counts, sink = _flow()
    call = FakeCall([FAIL, FAIL])
    with caplog.at_level(logging.ERROR, logger="careline.ivr"):
        await flow.handle(call)
    assert call.prompts() == ["ivr/careline-main-menu.wav"] * 2  # the prompt once more, no invalid prompt
    assert [app for app, _, _ in call.apps].count("playback") == 0
    assert flow.acd.requests[0].reason == "playback_failed" and call.released
    assert [(r.call_uuid, r.attempt, r.detail, r.node) for r in sink.reports] == [
        ("call-1", 1, "read_result unset", "main"),
        ("call-1", 2, "read_result unset", "main"),
    ]
    assert counts.count(("playback_failures", "read_result unset")) == 2
    assert ("menu_choices", "none") not in counts  # a failure is not silence
    failures = [r for r in caplog.records if "did not play" in r.getMessage()]
    assert len(failures) == 2 and "call-1" in failures[0].getMessage()


async def test_one_failure_is_repeated_and_the_call_goes_on():
    flow, counts, sink = _flow()
    call = FakeCall([FAIL, "0"])
    await flow.handle(call)
    assert flow.acd.requests[0].reason == "key_0" and len(sink.reports) == 1


def _plan(nodes, start="main"):
    definition = FlowDefinition.model_validate(
        {"start": start, "nodes": {"human": {"type": "transfer", "queue": "general"}, **nodes}}
    )
    return CallPlan("t", 1, definition, media={"info": "info.wav", "bye": "bye.wav"})


class Voice:
    def __init__(self, failing: dict[str, int]):
        self.failing, self.heard = dict(failing), []

    async def say(self, media):
        self.heard.append(media)
        if self.failing.get(media, 0) > 0:
            self.failing[media] -= 1
            raise PlaybackFailed(media, "FILE NOT FOUND")

    async def ask(self, media, **kw):
        await self.say(media)
        return ""


async def test_an_information_prompt_that_fails_twice_reaches_a_human_not_the_next_node():
    plan = _plan({"main": {"type": "play", "prompts": ["info"], "next": "bye"}, "bye": {"type": "hangup"}})
    voice, seen = Voice({"info.wav": 2}), []

    async def failed(failure, attempt):
        seen.append((failure.media, failure.detail, attempt))

    outcome = await Interpreter(plan, voice, NoServices(), on_playback_failure=failed).run({})
    assert isinstance(outcome, Transfer) and outcome.reason == "playback_failed"
    assert voice.heard == ["info.wav", "info.wav"]
    assert seen == [("info.wav", "FILE NOT FOUND", 1), ("info.wav", "FILE NOT FOUND", 2)]


async def test_a_goodbye_that_cannot_play_still_ends_the_call():
    plan = _plan({"main": {"type": "hangup", "prompt": "bye"}})
    voice = Voice({"bye.wav": 5})
    assert await Interpreter(plan, voice, NoServices()).run({}) == Hangup()
    assert voice.heard == ["bye.wav", "bye.wav"]


def test_what_the_switch_says_when_a_prompt_did_not_play():
    assert playback_failure({"Application-Response": "FILE NOT FOUND"}, "playback") == "FILE NOT FOUND"
    assert playback_failure({"Application-Response": "PLAYBACK ERROR"}, "playback") == "PLAYBACK ERROR"
    assert playback_failure({"Application-Response": "FILE PLAYED"}, "playback") == ""
    assert playback_failure({"variable_read_result": "timeout"}, "play_and_get_digits") == ""
    assert playback_failure({"Application-Response": "_none_"}, "play_and_get_digits") == "read_result unset"
    # a caller who hangs up also ends the prompt early: that is not the switch failing
    gone = {"Answer-State": "hangup", "Application-Response": "PLAYBACK ERROR"}
    assert playback_failure(gone, "playback") == ""
    assert playback_failure({"Channel-State": "CS_HANGUP"}, "play_and_get_digits") == ""
    assert playback_failure(None, "playback") == ""


async def test_a_missing_file_in_playback_is_noticed_by_the_esl_voice():
    from careline.ivr.flow import EslVoice

    call = FakeCall([], missing=("ivr/careline-goodbye.wav",))
    voice = EslVoice(call, "/rec")
    try:
        await voice.say("ivr/careline-goodbye.wav")
    except PlaybackFailed as failure:
        assert failure.detail == "FILE NOT FOUND"
    else:
        raise AssertionError("a FILE NOT FOUND went unnoticed")
