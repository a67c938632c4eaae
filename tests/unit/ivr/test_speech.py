"""Untrusted text never reaches the switch unescaped (design §6, issue 8): FreeSWITCH expands ``${…}`` in
application arguments and splits them on quotes, ``|`` (tts://) and ``!`` (file_string)."""

from __future__ import annotations

import pytest

from careline.ivr.flow import EslVoice, SessionConfig, pagd_file
from careline.ivr.speech import MAX_CHARS, speakable


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("${system(rm -rf /)}", "system(rm -rf /)"),
        ("$${sounds_dir}", "sounds_dir"),
        ('it\'s "quoted"', "its quoted"),
        ("line one\nline two\r\n", "line one line two"),
        ("a|b!c^d`e\\f<g>", "abcdefg"),
        ("李建国，主任医师。", "李建国，主任医师。"),
        ("tab\there\x00nul", "tab here nul"),
    ],
)
def test_speakable_drops_what_freeswitch_would_expand_or_split(text, safe):
    assert speakable(text) == safe
    assert not set(speakable(text)) & set("${}'\"|!\n\r")


def test_a_runaway_text_is_cut():
    assert len(speakable("药" * 5000)) == MAX_CHARS


async def test_say_text_becomes_tts_with_the_voice_of_its_script():
    voice = EslVoice(None, "/rec", SessionConfig())
    voice.language = "en"
    assert voice.playable("say:Hello ${caller}") == "tts://tts_commandline|en-us|Hello caller"
    assert voice.playable("say:李华，您已预约") == "tts://tts_commandline|cmn|李华，您已预约"
    voice.language = "zh"
    assert voice.playable("say:Your code is") == "tts://tts_commandline|cmn|Your code is"
    assert voice.playable("ivr/careline-main-menu.wav") == "ivr/careline-main-menu.wav"


def test_the_collect_prompt_stays_one_argument():
    played = EslVoice(None, "/rec").playable("say:Press 0 for an operator; it's ${x}")
    assert pagd_file(played) == "'tts://tts_commandline|default|Press 0 for an operator; its x'"
