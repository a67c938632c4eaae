"""What ships as audio and where FreeSWITCH finds it (issue 8, R-IVR1; design §10)."""

from __future__ import annotations

import re
from pathlib import Path

from careline.prompts.catalog import (
    Prompt,
    catalog,
    flow_prompt_file,
    flow_prompt_texts,
    rendered_path,
    sound_prefix,
)

SERVICES = Path(__file__).resolve().parents[3] / "services"


def test_every_flow_prompt_has_mandarin_and_english_text():
    for name, texts in flow_prompt_texts().items():
        assert texts.get("zh") and texts.get("en"), name
        assert not re.search(r"[A-Za-z]{3}", re.sub(r"\[\[en:.*?\]\]", "", texts["zh"])), name


def test_the_catalog_holds_each_flow_prompt_in_each_language():
    entries = {(p.language, p.path) for p in catalog(("zh", "en"))}
    for name in flow_prompt_texts():
        assert ("zh", flow_prompt_file(name)) in entries and ("en", flow_prompt_file(name)) in entries
    assert ("zh", "ivr/careline-main-menu.wav") in entries


def test_every_recorded_prompt_the_acd_and_billing_play_is_rendered():
    """A prompt name added in services/acd or services/billing without audio fails here."""
    played = set()
    for folder in ("acd", "billing"):
        for source in (SERVICES / folder).rglob("*.py"):
            played |= set(re.findall(r"\bivr/careline-[a-z0-9-]+\.wav", source.read_text("utf-8")))
    assert played, "the grep found nothing: the ACD's prompt names moved"
    for lang in ("zh", "en"):
        paths = {p.path for p in catalog((lang,))}
        assert played - paths == set(), lang
        # the ACD says positions and minutes as digits/<n>.wav
        assert {f"digits/{n}.wav" for n in range(100)} <= paths


def test_layout_is_freeswitchs_lang_country_voice_dir_rate_name():
    prompt = Prompt("zh", "ivr/careline-welcome.wav", "欢迎")
    assert rendered_path(prompt, 8000) == "zh/cn/careline/ivr/8000/careline-welcome.wav"
    assert rendered_path(Prompt("en", "digits/7.wav", "seven"), 16000) == "en/us/careline/digits/16000/7.wav"
    assert (
        sound_prefix("/usr/share/freeswitch/sounds/", "zh") == "/usr/share/freeswitch/sounds/zh/cn/careline"
    )


def test_a_part_in_another_language_is_its_own_piece():
    prompt = Prompt("zh", "ivr/x.wav", "重听请按星号键。[[en:For English, press 8.]]")
    assert prompt.parts() == [("zh", "重听请按星号键。"), ("en", "For English, press 8.")]
    assert Prompt("en", "ivr/x.wav", "Hello.").parts() == [("en", "Hello.")]
