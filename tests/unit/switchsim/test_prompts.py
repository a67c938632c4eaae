"""Prompts as FreeSWITCH 1.11.2 plays them (switch_ivr_play_file, mod_dptools playback/speak/pagd; issue 8):
a TTS engine that is not loaded and a sound file that is missing fail at once, with no PLAYBACK_START and
the real Application-Response, and play_and_get_digits then collects nothing (design §7)."""

from __future__ import annotations

from careline.switchsim import CallerScript, Switch, SwitchConfig

from ._recorder import SCALE, Recorder

S = CallerScript
PAGD = "1 1 3 30000 # {prompt} silence_stream://100 choice \\d 3000"


def _switch(plan, **config) -> tuple[Switch, Recorder]:
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=plan, **config))
    rec = Recorder()
    sw.core.listeners.add(rec)
    return sw, rec


def _completed(rec: Recorder, app: str):
    return [e for e in rec.named("CHANNEL_EXECUTE_COMPLETE") if e.get("Application") == app]


async def _call(sw: Switch, dest: str, steps=()) -> str:
    uuid = await sw.place_call("1001", dest, S(list(steps) or [S.hangup_after(2)]))
    await sw.calls[uuid].done.wait()
    await sw.wait_idle(2)
    return uuid


async def _playback(prompt: str, pre=(), **config):
    plan = [("7000", [("answer", ""), *pre, ("playback", prompt), ("hangup", "")])]
    sw, rec = _switch(plan, **config)
    try:
        uuid = await _call(sw, "7000")
        (done,) = _completed(rec, "playback")
        return rec, done, uuid
    finally:
        await sw.stop()


async def test_say_with_an_engine_that_is_not_loaded_fails_at_once_with_playback_error():
    rec, done, _ = await _playback("say:Welcome", pre=[("set", "tts_engine=flite")], tts_engines=())
    assert done.get("Application-Response") == "PLAYBACK ERROR"
    assert done.get("variable_current_application_response") == "PLAYBACK ERROR"
    assert rec.named("PLAYBACK_START") == [] and rec.named("PLAYBACK_STOP") == []


async def test_say_with_no_tts_engine_variable_plays_nothing_and_reports_success():
    """switch_ivr_play_file logs "Invalid Args" and carries on: the menu is silent, not failed."""
    rec, done, _ = await _playback("say:Welcome", tts_engines=("flite",))
    assert done.get("Application-Response") == "FILE PLAYED"
    assert rec.named("PLAYBACK_START") == []


async def test_say_with_a_loaded_engine_is_heard_without_playback_events():
    """switch_ivr_speak_text fires no PLAYBACK_START/STOP (tts_speak capture); the leg heard it."""
    rec, done, _ = await _playback("say:Welcome", pre=[("set", "tts_engine=flite")], tts_engines=("flite",))
    assert done.get("Application-Response") == "FILE PLAYED"
    assert rec.named("PLAYBACK_START") == []
    assert float(done.get("variable_playback_ms") or 0) == 0  # no file was played either


async def test_a_tts_url_is_a_file_that_does_not_open_without_its_engine():
    """tts://engine|voice|text goes through mod_dptools' tts file interface: FILE NOT FOUND, not
    PLAYBACK ERROR, when the engine is not loaded; it plays (PLAYBACK_START) when it is."""
    url = "tts://tts_commandline|zh|您好"
    rec, done, _ = await _playback(url, tts_engines=())
    assert done.get("Application-Response") == "FILE NOT FOUND" and rec.named("PLAYBACK_START") == []
    rec, done, _ = await _playback(url, tts_engines=("tts_commandline",))
    assert done.get("Application-Response") == "FILE PLAYED"
    assert [e.get("Playback-File-Path") for e in rec.named("PLAYBACK_START")] == [url]
    rec, done, _ = await _playback("tts://tts_commandline|no voice or text", tts_engines=None)
    assert done.get("Application-Response") == "FILE NOT FOUND"  # tts_file_open wants three parts


async def test_a_missing_sound_file_fails_with_file_not_found(tmp_path):
    rec, done, _ = await _playback("ivr/nowhere.wav", sound_prefix=str(tmp_path))
    assert done.get("Application-Response") == "FILE NOT FOUND"
    assert rec.named("PLAYBACK_START") == []


async def test_a_relative_file_is_found_under_sound_prefix_with_or_without_its_extension(tmp_path):
    (tmp_path / "ivr").mkdir()
    (tmp_path / "ivr" / "hello.wav").write_bytes(b"RIFF")
    for prompt in ("ivr/hello.wav", "ivr/hello", str(tmp_path / "ivr" / "hello.wav")):
        rec, done, _ = await _playback(prompt, sound_prefix=str(tmp_path))
        assert done.get("Application-Response") == "FILE PLAYED", prompt
        assert [e.get("Playback-File-Path") for e in rec.named("PLAYBACK_START")] == [prompt]


async def test_streams_always_exist_whatever_the_sound_prefix(tmp_path):
    for prompt in ("tone_stream://%(100,0,440)", "silence_stream://100"):
        rec, done, _ = await _playback(prompt, sound_prefix=str(tmp_path))
        assert done.get("Application-Response") == "FILE PLAYED", prompt


async def test_say_is_heard_for_as_long_as_it_speaks():
    plan = [
        ("7004", [("answer", ""), ("set", "tts_engine=flite"), ("playback", "say:Welcome"), ("hangup", "")])
    ]
    sw, _ = _switch(plan, tts_engines=("flite",))
    try:
        uuid = await sw.place_call("1001", "7004", S([S.hangup_after(5)]))
        channel = sw.core.get(uuid)
        await sw.calls[uuid].done.wait()
        assert channel.heard == ["say:Welcome"]
    finally:
        await sw.stop()


async def _pagd(prompt: str, **config):
    """The caller presses 1 a second after the menu starts; the dialplan parks after the menu."""
    plan = [("7001", [("answer", ""), ("set", "tts_engine=flite"),
                      ("play_and_get_digits", PAGD.format(prompt=prompt)), ("park", "")])]  # fmt: skip
    sw, rec = _switch(plan, **config)
    try:
        await _call(sw, "7001", [S.wait(1.0), S.press("1"), S.wait(1.0), S.hangup_after(0)])
        (done,) = _completed(rec, "play_and_get_digits")
        return rec, done
    finally:
        await sw.stop()


async def test_play_and_get_digits_with_a_failing_prompt_returns_at_once_without_digits():
    rec, done = await _pagd("'say:Press 1'", tts_engines=())
    assert done.get("variable_choice") is None  # the 1 came after the menu had given up
    assert done.get("variable_read_result") is None  # switch_ivr_read ended before setting it
    # only the invalid-entry sound between the three tries played, never the menu
    assert {e.get("Playback-File-Path") for e in rec.named("PLAYBACK_START")} == {"silence_stream://100"}
    assert rec.named("CHANNEL_PARK")  # the dialplan went on at once


async def test_play_and_get_digits_with_a_missing_file_returns_at_once(tmp_path):
    rec, done = await _pagd("ivr/menu.wav", sound_prefix=str(tmp_path))
    assert done.get("variable_choice") is None and rec.named("CHANNEL_PARK")


async def test_play_and_get_digits_with_a_prompt_that_plays_collects_the_key():
    """The control: the same menu with the engine loaded waits for and keeps the caller's 1."""
    rec, done = await _pagd("'say:Press 1'", tts_engines=("flite",))
    assert done.get("variable_choice") == "1"
    assert done.get("variable_read_result") == "success"


async def _spoken(engines) -> list[str]:
    plan = [("7002", [("answer", ""), ("speak", "flite|kal|Hello"), ("speak", "Again"), ("hangup", "")])]
    sw, rec = _switch(plan, tts_engines=engines)
    try:
        uuid = await sw.place_call("1001", "7002", S([S.hangup_after(5)]))
        channel = sw.core.get(uuid)  # kept: what it heard outlives the call
        await sw.calls[uuid].done.wait()
        assert len(_completed(rec, "speak")) == 2
        assert rec.named("PLAYBACK_START") == []  # real speech fires no PLAYBACK_* events
        return channel.heard
    finally:
        await sw.stop()


async def test_speak_says_nothing_without_a_loaded_engine():
    assert await _spoken(()) == []
    # `speak Again` has no engine of its own and the channel sets no tts_engine: nothing either
    assert await _spoken(("flite",)) == ["say:Hello"]
