"""Mandarin first, English second, chosen per call (issue 8 part 3, design §10, R-IVR1, R-CRM2)."""

from __future__ import annotations

from careline.ivr.defaults_loader import StaticPlans, hospital_bundle
from careline.ivr.engine import CallPlan, Interpreter
from careline.ivr.flow import Caller, HandOverReply, IvrFlow, SessionConfig
from careline.ivr.flowdef import FlowDefinition
from careline.ivr.settings import IvrSettings
from tests.unit.ivr.test_flow import FakeAcd, FakeCall, FakeDirectory, FakeOwnership, NoServices

PLANS = StaticPlans(hospital_bundle(IvrSettings(env="test")))


class Remembered:
    def __init__(self) -> None:
        self.kept: list[tuple[str, str, str]] = []

    async def remember(self, patient_id, language, call_uuid):
        self.kept.append((patient_id, language, call_uuid))


def _flow(caller=None):
    languages = Remembered()
    flow = IvrFlow(
        SessionConfig(sounds_dir="/snd"),
        PLANS,
        FakeDirectory(caller),
        FakeAcd(HandOverReply(True, position=1)),
        FakeOwnership(),
        NoServices(),
        languages=languages,
    )
    return flow, languages


def _sets(call) -> list[str]:
    return [arg for app, arg, _ in call.apps if app == "set"]


async def test_an_unknown_caller_hears_mandarin_from_the_rendered_prompts():
    flow, _ = _flow()
    call = FakeCall(["0"])
    await flow.handle(call)
    sets = _sets(call)
    assert "careline_lang=zh" in sets and "sound_prefix=/snd/zh/cn/careline" in sets
    assert "tts_engine=tts_commandline" in sets and "tts_voice=cmn" in sets
    assert call.prompts() == ["ivr/careline-main-menu.wav"]  # relative: sound_prefix picks the language
    assert flow.acd.requests[0].call_data["language"] == "zh"  # the agent sees it too


async def test_a_patient_who_chose_english_is_greeted_in_english():
    flow, languages = _flow(Caller(found=True, data={"patient_id": "p1", "language": "en"}))
    call = FakeCall(["0"])
    await flow.handle(call)
    sets = _sets(call)
    assert "careline_lang=en" in sets and "sound_prefix=/snd/en/us/careline" in sets
    assert "tts_voice=en-us" in sets and languages.kept == []


async def test_key_8_switches_to_english_and_the_crm_keeps_it_for_a_known_patient():
    flow, languages = _flow(Caller(found=True, data={"patient_id": "p1"}))
    call = FakeCall(["8", "0"])
    await flow.handle(call)
    sets = _sets(call)
    assert sets.index("careline_lang=zh") < sets.index("careline_lang=en")
    assert "sound_prefix=/snd/en/us/careline" in sets and "tts_voice=en-us" in sets
    assert call.prompts() == ["ivr/careline-main-menu.wav"] * 2  # the menu again, now in English
    assert languages.kept == [("p1", "en", "call-1")]
    assert flow.acd.requests[0].call_data["language"] == "en"


async def test_key_8_twice_is_back_to_mandarin_and_an_unknown_caller_is_not_remembered():
    flow, languages = _flow()
    call = FakeCall(["8", "8", "0"])
    await flow.handle(call)
    assert [s for s in _sets(call) if s.startswith("careline_lang=")] == [
        "careline_lang=zh",
        "careline_lang=en",
        "careline_lang=zh",
    ]
    assert languages.kept == []


async def test_an_unknown_language_from_the_crm_falls_back_to_the_flows():
    flow, _ = _flow(Caller(found=True, data={"patient_id": "p1", "language": "fr"}))
    call = FakeCall(["0"])
    await flow.handle(call)
    assert "careline_lang=zh" in _sets(call)


class Voice:
    def __init__(self, keys):
        self.keys, self.heard, self.languages = list(keys), [], []

    async def say(self, media):
        self.heard.append(media)

    async def ask(self, media, **kw):
        self.heard.append(f"?{media}")
        return self.keys.pop(0) if self.keys else ""

    async def set_language(self, language):
        self.languages.append(language)


async def test_prompts_resolve_per_language_and_a_name_missing_in_one_uses_the_flows():
    definition = FlowDefinition.model_validate(
        {
            "start": "main",
            "language": "zh",
            "nodes": {
                "human": {"type": "transfer", "queue": "general"},
                "main": {"type": "menu", "prompt": "menu", "keys": {"8": "lang", "1": "bye"}},
                "lang": {"type": "language", "next": "main"},
                "bye": {"type": "hangup", "prompt": "bye"},
            },
        }
    )
    media = {"zh": {"menu": "zh-menu.wav", "bye": "zh-bye.wav"}, "en": {"menu": "en-menu.wav"}}
    plan = CallPlan("t", 1, definition, media=media["zh"], media_by_language=media)
    voice = Voice(["8", "1"])
    data: dict[str, str] = {}
    await Interpreter(plan, voice, NoServices()).run(data)
    assert voice.heard == ["?zh-menu.wav", "?en-menu.wav", "zh-bye.wav"]
    assert voice.languages == ["en"] and data["language"] == "en"


async def test_values_are_said_with_units_in_the_callers_language():
    definition = FlowDefinition.model_validate(
        {
            "start": "say",
            "language": "zh",
            "nodes": {
                "human": {"type": "transfer", "queue": "general"},
                "say": {
                    "type": "play",
                    "prompts": ["digits:${code}", "yuan:${fen}", "number:${n}", "date:${day}", "yuan:${bad}"],
                    "next": "bye",
                },
                "bye": {"type": "hangup"},
            },
        }
    )
    voice = Voice([])
    data = {"code": "407", "fen": "1205", "n": "23", "day": "20261205", "bad": "${x}"}
    await Interpreter(CallPlan("t", 1, definition), voice, NoServices(), language="en").run(data)
    assert voice.heard == [
        "file_string://digits/4.wav!digits/0.wav!digits/7.wav",
        "file_string://digits/12.wav!currency/yuan.wav!currency/and.wav!digits/5.wav!currency/fen.wav",
        "file_string://digits/23.wav",
        "file_string://time/mon-11.wav!digits/h-5.wav!digits/20.wav!digits/26.wav",
    ]  # a value that is no amount says nothing rather than something odd
