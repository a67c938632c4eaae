"""Application arguments are split as FreeSWITCH splits them: quoted runs stay whole (design §7)."""

from __future__ import annotations

from careline.switchsim import CallerScript
from careline.switchsim.apps import split_args

from ._recorder import offline_switch

PAGD = "1 1 1 3000 # 'say:Welcome to the hospital' silence_stream://250 choice \\d 3000"


def test_single_quotes_keep_a_prompt_with_blanks_together():
    assert split_args(PAGD) == ["1", "1", "1", "3000", "#", "say:Welcome to the hospital",
                                "silence_stream://250", "choice", "\\d", "3000"]  # fmt: skip


def test_double_quotes_empty_quotes_and_extra_blanks():
    assert split_args("a  \"b c\"  '' d") == ["a", "b c", "", "d"]
    assert split_args("") == []


def test_unquoted_arguments_split_on_every_blank():
    assert split_args("1 4 2 8000 # tone_stream://%(300,0,800) x") == [
        "1", "4", "2", "8000", "#", "tone_stream://%(300,0,800)", "x"]  # fmt: skip


async def test_play_and_get_digits_plays_the_quoted_prompt_and_stores_the_digit():
    # `say:` speaks with the channel's tts_engine (without one FreeSWITCH plays nothing: test_prompts.py)
    plan = [
        ("5000", [("answer", ""), ("set", "tts_engine=flite"), ("play_and_get_digits", PAGD), ("hangup", "")])
    ]
    sw, rec = offline_switch(plan)
    try:
        # speech fires no PLAYBACK_* events (tts_speak capture): the caller presses while it is spoken
        script = CallerScript([CallerScript.wait(0.2), CallerScript.press("7")])
        uuid = await sw.place_call("1001", "5000", script)
        channel = sw.core.get(uuid)
        await sw.calls[uuid].done.wait()
        assert channel.heard == ["say:Welcome to the hospital"] and rec.named("PLAYBACK_START", uuid) == []
        done = [e for e in rec.named("CHANNEL_EXECUTE_COMPLETE", uuid)
                if e.get("Application") == "play_and_get_digits"]  # fmt: skip
        assert done[0].get("variable_choice") == "7"
    finally:
        await sw.stop()


async def test_read_with_a_quoted_prompt():
    read = "1 2 'say:Enter your code' code 3000 #"
    sw, rec = offline_switch([("5001", [("answer", ""), ("set", "tts_engine=flite"), ("read", read)])])
    try:
        script = CallerScript([CallerScript.wait(0.2), CallerScript.press("42")])
        uuid = await sw.place_call("1001", "5001", script)
        channel = sw.core.get(uuid)
        await sw.calls[uuid].done.wait()
        assert channel.heard == ["say:Enter your code"]
        done = [e for e in rec.named("CHANNEL_EXECUTE_COMPLETE", uuid) if e.get("Application") == "read"]
        assert done[0].get("variable_code") == "42"
    finally:
        await sw.stop()
