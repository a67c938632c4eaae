"""Numbers, money, dates and codes said with recorded units (issue 8, R-IVR1; design §10)."""

from __future__ import annotations

import pytest

from careline.prompts.units import (
    say_date,
    say_digits,
    say_number,
    say_time,
    say_yuan,
    unit_texts,
)


def _texts(files: list[str], language: str) -> str:
    units = unit_texts(language)
    return " ".join(units[f] for f in files)


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "零"),
        (7, "七"),
        (10, "十"),
        (23, "二十三"),
        (105, "一 百 零 五"),
        (115, "一 百 一 十 五"),
        (2000, "二 千"),
        (1005, "一 千 零 五"),
        (12345, "一 万 二 千 三 百 四十五"),
        (10050, "一 万 零 五十"),
    ],
)
def test_mandarin_numbers(n, spoken):
    assert _texts(say_number(n, "zh"), "zh") == spoken


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "zero"),
        (21, "twenty one"),
        (100, "one hundred"),
        (1234, "one thousand two hundred thirty four"),
        (2_000_005, "two million five"),
    ],
)
def test_english_numbers(n, spoken):
    assert _texts(say_number(n, "en"), "en") == spoken


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (1205, "十二 元 零 五 分", "twelve yuan and five fen"),
        (1250, "十二 元 五 角", "twelve yuan and fifty fen"),
        (200, "二 元", "two yuan"),
        (5, "五 分", "zero yuan and five fen"),
        (0, "零 元", "zero yuan"),
        (-300, "负 三 元", "minus three yuan"),
    ],
)
def test_yuan_from_integer_fen(fen, zh, en):
    assert _texts(say_yuan(fen, "zh"), "zh") == zh
    assert _texts(say_yuan(str(fen), "en"), "en") == en


def test_dates_and_times():
    assert _texts(say_date("20261205", "zh"), "zh") == "二 零 二 六 年 十二 月 五 号"
    assert _texts(say_date("2026-12-05", "en"), "en") == "December fifth twenty twenty six"
    assert _texts(say_time("0805", "zh"), "zh") == "八 点 零 五 分"
    assert _texts(say_time("14:30", "en"), "en") == "fourteen thirty"
    assert _texts(say_time("0900", "en"), "en") == "nine o'clock"


def test_a_code_is_said_digit_by_digit_and_text_gives_nothing_to_play():
    assert say_digits("4071", "zh") == ["digits/4.wav", "digits/0.wav", "digits/7.wav", "digits/1.wav"]
    assert say_digits("${evil}'; rm -rf", "en") == []
    assert say_yuan("abc", "zh") == []
    assert say_number("1e9", "en") == ["digits/1.wav", "digits/9.wav"]  # not a number: its digits


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_composed_file_is_a_rendered_unit(language):
    """The sayers only name files the catalog renders: a gap would be a silent hole in a number."""
    units = unit_texts(language)
    produced = set()
    for n in list(range(0, 1200)) + [9999, 10000, 10001, 99_999_999, 123_456_789]:
        produced |= set(say_number(n, language))
        produced |= set(say_yuan(n * 7, language))
    for day in ("20260101", "20271231", "20300615"):
        produced |= set(say_date(day, language))
    for hhmm in ("0000", "0805", "1230", "2359"):
        produced |= set(say_time(hhmm, language))
    assert produced - set(units) == set()
