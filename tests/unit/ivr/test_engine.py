"""The flow interpreter (R-IVR1–R-IVR5, R-VIP2; design §3) against a scripted voice: global keys, retries,
collect, look-ups and their failure path, conditions, sub-flows, recording."""

from __future__ import annotations

import datetime as dt

import pytest

from careline.ivr.engine import CallPlan, Hangup, Interpreter, LookupFailed, Transfer
from careline.ivr.flowdef import FlowDefinition


class Voice:
    def __init__(self, keys):
        self.keys = list(keys)
        self.heard: list[str] = []  # what the caller heard, in order ("?" marks a question)

    async def say(self, media):
        self.heard.append(media)

    async def ask(self, media, *, max_digits, timeout_ms, digit_timeout_ms, terminator):
        self.heard.append(f"?{media}")
        return self.keys.pop(0) if self.keys else ""

    async def record(self, name, max_seconds):
        self.heard.append(f"record {name} {max_seconds}")
        return f"/rec/{name}.wav"


class Services:
    def __init__(self, reply=None):
        self.reply, self.asked = reply, []

    async def lookup(self, subject, request_type, fields, reply_type, timeout_s):
        self.asked.append((subject, fields))
        if self.reply is None:
            raise LookupFailed("no responders")
        return self.reply


HUMAN = {"type": "transfer", "queue": "general"}


def _plan(nodes, start="main", subflows=None, **extra):
    definition = FlowDefinition.model_validate({"start": start, "nodes": {"human": HUMAN, **nodes}, **extra})
    subs = {name: FlowDefinition.model_validate(d) for name, d in (subflows or {}).items()}
    return CallPlan("test", 1, definition, subflows=subs, media={"menu": "menu.wav", "bad": "bad.wav"})


MENU = {
    "info": {"type": "play", "prompts": ["say:Open all day."], "next": "main"},
    "main": {"type": "menu", "prompt": "menu", "invalid_prompt": "bad", "keys": {"1": "bye", "2": "info"}},
    "bye": {"type": "hangup", "prompt": "say:Goodbye."},
}


async def _run(plan, keys, services=None, data=None, now=None):
    voice = Voice(keys)
    kw = {"now": now} if now else {}
    outcome = await Interpreter(plan, voice, services or Services(), **kw).run(
        data if data is not None else {}
    )
    return outcome, voice.heard


async def test_star_repeats_the_last_prompt_and_is_not_a_failure():
    outcome, heard = await _run(_plan(MENU, start="info"), ["*", "*", "1"])
    assert heard[:5] == [
        "say:Open all day.",
        "?menu.wav",
        "say:Open all day.",
        "?menu.wav",
        "say:Open all day.",
    ]
    assert isinstance(outcome, Hangup) and heard[-1] == "say:Goodbye."


async def test_zero_reaches_a_human_from_any_menu():
    outcome, _ = await _run(_plan(MENU), ["0"])
    assert outcome == Transfer("general", (), 0, "key_0")


@pytest.mark.parametrize("keys", [["5", "6"], ["", ""], ["7", ""]])
async def test_two_failures_reach_a_human_with_one_invalid_prompt(keys):
    outcome, heard = await _run(_plan(MENU), keys)
    assert outcome.reason == "input_failed" and outcome.queue == "general"
    assert heard == ["?menu.wav", "bad.wav", "?menu.wav"]


async def test_one_failure_then_a_good_key_goes_on():
    outcome, heard = await _run(_plan(MENU), ["5", "1"])
    assert isinstance(outcome, Hangup) and heard == ["?menu.wav", "bad.wav", "?menu.wav", "say:Goodbye."]


async def test_on_fail_and_zero_retries():
    nodes = {
        "main": {"type": "menu", "prompt": "menu", "retries": 0, "keys": {"1": "human"}, "on_fail": "sorry"},
        "sorry": {"type": "transfer", "queue": "desk", "priority": 5},
    }
    outcome, _ = await _run(_plan(nodes), [""])
    assert outcome == Transfer("desk", (), 5, "input_failed", "general")


COLLECT = {
    "main": {
        "type": "collect",
        "prompt": "menu",
        "invalid_prompt": "bad",
        "var": "card",
        "min_digits": 6,
        "max_digits": 8,
        "regex": "[1-9][0-9]+",
        "next": "done",
    },
    "done": {"type": "transfer", "queue": "cards", "skills": ["cards"]},
}


async def test_collect_checks_length_and_pattern_and_stores_the_digits():
    data = {}
    outcome, heard = await _run(_plan(COLLECT), ["012345", "123456"], data=data)
    assert data["card"] == "123456" and outcome == Transfer("cards", ("cards",), 0, "flow", "general")
    assert heard.count("bad.wav") == 1


async def test_collect_zero_alone_asks_for_a_human():
    outcome, _ = await _run(_plan(COLLECT), ["0"])
    assert outcome.reason == "key_0"


LOOKUP = {
    "main": {
        "type": "lookup",
        "subject": "careline.crm.caller.lookup",
        "request_type": "careline.v1.CallerLookupRequest",
        "reply_type": "careline.v1.CallerLookupReply",
        "request": {"number": "${caller_number}"},
        "response": {"name": "full_name"},
        "next": "greet",
        "on_error": "human",
    },
    "greet": {"type": "play", "prompts": ["say:Hello ${name}"], "next": "bye"},
    "bye": {"type": "hangup"},
}


async def test_lookup_maps_request_and_reply_through_call_data():
    services = Services({"full_name": "Li Lei"})
    data = {"caller_number": "13800000000"}
    _, heard = await _run(_plan(LOOKUP), [], services=services, data=data)
    assert services.asked == [("careline.crm.caller.lookup", {"number": "13800000000"})]
    assert data["name"] == "Li Lei" and heard == ["say:Hello Li Lei"]


async def test_a_lookup_reply_field_is_spoken_and_picks_a_prompt_by_its_value():
    """R-REG3: the CRM's read-back sentence and its confirmation code digit by digit; a refusal's
    reason chooses the prompt (``refused_${reason}``), so the flow stays data."""
    nodes = {
        "main": {**LOOKUP["main"], "response": {"text": "read_back", "code": "code", "why": "reason"}},
        "greet": {
            "type": "play",
            "prompts": ["say:${text}", "say:Code ${code:digits}.", "refused_${why}"],
            "next": "bye",
        },
        "bye": {"type": "hangup"},
    }
    plan = _plan(nodes)
    plan = CallPlan("t", 1, plan.definition, media={"refused_slot_full": "full.wav"})
    services = Services({"read_back": "Booked for Monday.", "code": "4071", "reason": "slot_full"})
    _, heard = await _run(plan, [], services=services, data={})
    assert heard == ["say:Booked for Monday.", "say:Code 4 0 7 1.", "full.wav"]


async def test_lookup_failure_takes_the_failure_path():
    outcome, _ = await _run(_plan(LOOKUP), [])
    assert outcome.queue == "general"


def _at(text: str):
    return lambda: dt.datetime.fromisoformat(text)


CONDITIONS = {
    "main": {
        "type": "condition",
        "test": {"kind": "holiday", "calendar": "cn"},
        "then": "closed",
        "else": "hours",
    },
    "hours": {
        "type": "condition",
        "test": {"kind": "time_of_day", "start": "08:00", "end": "17:00", "weekdays": [1, 2, 3, 4, 5]},
        "then": "flag",
        "else": "closed",
    },
    "flag": {
        "type": "condition",
        "test": {"kind": "feature", "flag": "desk"},
        "then": "open",
        "else": "closed",
    },
    "open": {"type": "transfer", "queue": "open"},
    "closed": {"type": "transfer", "queue": "closed"},
}


@pytest.mark.parametrize(
    ("when", "features", "queue"),
    [
        ("2025-03-03T09:00:00+08:00", {"desk": True}, "open"),  # Monday in hours
        ("2025-03-03T09:00:00+08:00", {}, "closed"),  # flag off (the flow's default)
        ("2025-03-03T00:30:00+00:00", {"desk": True}, "open"),  # 08:30 in Shanghai
        ("2025-03-03T18:00:00+08:00", {"desk": True}, "closed"),  # after hours
        ("2025-03-08T09:00:00+08:00", {"desk": True}, "closed"),  # Saturday
        ("2025-10-01T09:00:00+08:00", {"desk": True}, "closed"),  # holiday (a Wednesday)
    ],
)
async def test_conditions_time_of_day_holiday_feature(when, features, queue):
    plan = _plan(CONDITIONS, calendars={"cn": ["2025-10-01"]}, features={"desk": False})
    plan = CallPlan(plan.flow, 1, plan.definition, features=features)
    outcome, _ = await _run(plan, [], now=_at(when))
    assert outcome.queue == queue


async def test_vip_and_set_and_record_and_subflow_return():
    nodes = {
        "main": {"type": "condition", "test": {"kind": "vip"}, "then": "vipq", "else": "note"},
        "vipq": {"type": "transfer", "queue": "vip", "priority": 100, "reason": "vip"},
        "note": {"type": "set", "values": {"intent": "complaint", "who": "${caller_number}"}, "next": "sub"},
        "sub": {"type": "subflow", "flow": "voicemail", "next": "end"},
        "end": {"type": "transfer", "queue": "complaints"},
    }
    voicemail = {"start": "rec", "nodes": {"rec": {"type": "record", "max_seconds": 30, "next": "back"},
                                            "back": {"type": "return"}, "human": HUMAN}}  # fmt: skip
    plan = _plan(nodes, subflows={"voicemail": voicemail})
    vip, _ = await _run(plan, [], data={"vip": "true"})
    assert vip == Transfer("vip", (), 100, "vip", "general")
    data = {"vip": "false", "caller_number": "139"}
    outcome, heard = await _run(plan, [], data=data)
    assert outcome.queue == "complaints" and heard == ["record rec 30"]
    assert (data["intent"], data["who"], data["voice_message"]) == ("complaint", "139", "/rec/rec.wav")


async def test_return_in_a_main_flow_says_goodbye_and_hangs_up():
    plan = _plan({"main": {"type": "return"}}, goodbye_prompt="say:Bye.")
    outcome, heard = await _run(plan, [])
    assert outcome == Hangup() and heard == ["say:Bye."]


PIN = {
    "main": {"type": "collect", "prompt": "menu", "var": "card", "min_digits": 4, "max_digits": 8,
             "next": "pin"},
    "pin": {"type": "collect", "prompt": "menu", "var": "pin", "secret": True, "min_digits": 4,
            "max_digits": 6, "next": "auth"},
    "auth": {**LOOKUP["main"], "request": {"card": "${card}", "pin": "${pin}"},
             "response": {"balance": "balance_fen"}, "next": "said"},
    "said": {"type": "play", "prompts": ["say:PIN ${pin}, balance ${balance:yuan} yuan"], "next": "keep"},
    "keep": {"type": "set", "values": {"copied": "${pin}"}, "next": "bye"},
    "bye": {"type": "hangup"},
}  # fmt: skip


class ForgetfulVoice(Voice):
    forgotten = 0

    async def forget_input(self):
        self.forgotten += 1


async def test_a_secret_collect_reaches_lookups_only_never_the_call_data():
    """R-REG4, R-EXP1: a PIN is sent to billing but never kept in call data, spoken, or copied by a set
    node; the channel variable that held the keys is wiped; money is spoken in yuan from fen."""
    services, data = Services({"balance_fen": "1205"}), {}
    voice = ForgetfulVoice(["12345678", "4321"])
    await Interpreter(_plan(PIN), voice, services).run(data)
    assert services.asked[0][1] == {"card": "12345678", "pin": "4321"}
    assert "4321" not in "".join(data.values()) and "pin" not in data and data["copied"] == ""
    assert voice.heard[-1] == "say:PIN , balance 12.05 yuan" and voice.forgotten == 1


async def test_a_failed_lookup_does_not_log_the_secret(caplog):
    class Failing(Services):
        async def lookup(self, subject, request_type, fields, reply_type, timeout_s):
            raise LookupFailed(f"ParseError: bad pin {fields['pin']!r}")

    caplog.set_level("INFO", logger="careline.ivr.engine")
    outcome, _ = await _run(_plan(PIN), ["12345678", "4321"], services=Failing())
    assert outcome.queue == "general"
    assert "look-up" in caplog.text and "4321" not in caplog.text and "***" in caplog.text


@pytest.mark.parametrize(("fen", "spoken"), [("0", "0.00"), ("5", "0.05"), ("-250", "-2.50"), ("x", "x")])
async def test_yuan_from_fen(fen, spoken):
    nodes = {"main": {"type": "play", "prompts": ["say:${v:yuan}"], "next": "bye"}, "bye": {"type": "hangup"}}
    _, heard = await _run(_plan(nodes), [], data={"v": fen})
    assert heard == [f"say:{spoken}"]
