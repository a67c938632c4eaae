"""Recorded units and how numbers, money, dates and codes are said with them (issue 8, R-IVR1; design §10).

Dynamic values that are numbers (queue positions, minutes, amounts in yuan, dates, confirmation codes) are
spoken by concatenating short recorded units, which needs no TTS module on the switch and cannot be
tricked by text: a value that is not a number gives no files at all. The units live where FreeSWITCH's
own say modules look for them (``digits/``, ``time/``, ``currency/`` under the channel's ``sound_prefix``),
so ``say zh number pronounced 23`` (mod_say_zh) and the ACD's ``digits/<n>.wav`` play the same files.

Each language is a table ``{relative path: text}`` (:func:`unit_texts`) plus composition functions that
only ever return paths of that table (a unit test holds them to it).
"""

from __future__ import annotations

import re

ZH_DIGITS = "零一二三四五六七八九"
EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
EN_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
EN_MONTHS = "January February March April May June July August September October November December".split()
ZH_WEEKDAYS = "日一二三四五六"  # time/day-0.wav is Sunday (mod_say_zh: tm_wday)
EN_WEEKDAYS = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split()
MAX_NUMBER = 99_999_999  # larger values are spoken digit by digit


def _zh_under_100(n: int) -> str:
    if n < 10:
        return ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_DIGITS[tens]) + "十" + (ZH_DIGITS[ones] if ones else "")


def _en_under_100(n: int) -> str:
    if n < 20:
        return EN_ONES[n]
    tens, ones = divmod(n, 10)
    return EN_TENS[tens] + (f" {EN_ONES[ones]}" if ones else "")


def _en_ordinal(n: int) -> str:
    if n <= 20:
        return EN_ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return f"{EN_TENS[tens]}ieth" if not ones else f"{EN_TENS[tens]} {EN_ORDINALS[ones - 1]}"


def unit_texts(language: str) -> dict[str, str]:
    """Every unit of ``language`` ("zh" or "en"): relative path -> the text the TTS engine renders."""
    if language == "zh":
        return _ZH_UNITS
    if language == "en":
        return _EN_UNITS
    raise ValueError(f"no units for language {language!r}")


def _zh_units() -> dict[str, str]:
    units = {f"digits/{n}.wav": _zh_under_100(n) for n in range(100)}
    units.update(
        {
            # mod_say_zh's names: 10/100/1000/10000/100000000 are the bare place words
            "digits/100.wav": "百",
            "digits/1000.wav": "千",
            "digits/10000.wav": "万",
            "digits/100000000.wav": "亿",
            "digits/ordinal.wav": "第",
            "digits/dot.wav": "点",
            "digits/liang.wav": "两",
            "currency/yuan.wav": "元",
            "currency/jiao.wav": "角",
            "currency/fen.wav": "分",
            "currency/dollar.wav": "元",
            "currency/cent.wav": "分",
            "currency/negative.wav": "负",
            "time/year.wav": "年",
            "time/month.wav": "月",
            "time/day.wav": "日",
            "time/hao.wav": "号",
            "time/hour.wav": "点",
            "time/hours.wav": "小时",
            "time/minute.wav": "分",
            "time/minutes.wav": "分钟",
            "time/second.wav": "秒",
            "time/seconds.wav": "秒",
            "time/2s.wav": "两",
            "time/morning.wav": "凌晨",
            "time/am.wav": "上午",
            "time/pm.wav": "下午",
            "time/evening.wav": "晚上",
            "units/position.wav": "位",
        }
    )
    units.update({f"time/day-{d}.wav": f"星期{ZH_WEEKDAYS[d]}" for d in range(7)})
    return units


def _en_units() -> dict[str, str]:
    units = {f"digits/{n}.wav": _en_under_100(n) for n in range(100)}
    units.update({f"digits/h-{n}.wav": _en_ordinal(n) for n in range(1, 32)})
    units.update({f"time/mon-{m}.wav": EN_MONTHS[m] for m in range(12)})
    units.update({f"time/day-{d}.wav": EN_WEEKDAYS[d] for d in range(7)})
    units.update(
        {
            "digits/hundred.wav": "hundred",
            "digits/thousand.wav": "thousand",
            "digits/million.wav": "million",
            "digits/dot.wav": "point",
            "digits/oh.wav": "oh",
            "digits/and.wav": "and",
            "currency/yuan.wav": "yuan",
            "currency/jiao.wav": "jiao",
            "currency/fen.wav": "fen",
            "currency/dollar.wav": "yuan",
            "currency/dollars.wav": "yuan",
            "currency/cent.wav": "fen",
            "currency/cents.wav": "fen",
            "currency/and.wav": "and",
            "currency/negative.wav": "minus",
            "time/oclock.wav": "o'clock",
            "time/hours.wav": "hours",
            "time/minute.wav": "minute",
            "time/minutes.wav": "minutes",
            "time/second.wav": "second",
            "time/seconds.wav": "seconds",
            "time/a-m.wav": "A M",
            "time/p-m.wav": "P M",
            "units/position.wav": "",  # Mandarin's measure word; English needs none
        }
    )
    return {path: text for path, text in units.items() if text}


_ZH_UNITS = _zh_units()
_EN_UNITS = _en_units()


# -- composition ---------------------------------------------------------------------------------------
def _d(n: int) -> str:
    return f"digits/{n}.wav"


def say_digits(text: str, language: str) -> list[str]:
    """A code digit by digit ("4071" -> 4, 0, 7, 1); anything but digits is left out."""
    return [_d(int(c)) for c in text if c.isdigit()]


def say_number(value: int | str, language: str) -> list[str]:
    """A whole number (0–99,999,999) as words; larger or non-numeric values digit by digit."""
    text = str(value).strip()
    if not re.fullmatch(r"-?\d{1,12}", text):
        return say_digits(text, language)
    n = int(text)
    prefix = ["currency/negative.wav"] if n < 0 else []
    n = abs(n)
    if n > MAX_NUMBER:
        return prefix + say_digits(str(n), language)
    return prefix + (_zh_number(n) if language == "zh" else _en_number(n))


def _zh_number(n: int) -> list[str]:
    if n < 100:
        return [_d(n)]
    high, low = divmod(n, 10_000)
    files = _zh_below_10000(high) + ["digits/10000.wav"] if high else []
    if low:
        if high and low < 1000:
            files.append(_d(0))  # 一万零五十
        files += _zh_below_10000(low)
    return files


def _zh_below_10000(n: int) -> list[str]:
    files: list[str] = []
    thousands, rest = divmod(n, 1000)
    hundreds, tens = divmod(rest, 100)
    if thousands:
        files += [_d(thousands), "digits/1000.wav"]
    if hundreds:
        files += [_d(hundreds), "digits/100.wav"]
    elif thousands and tens:
        files.append(_d(0))  # 一千零五十
    if hundreds and 0 < tens < 10:
        files.append(_d(0))  # 一百零五
    if tens:
        if (thousands or hundreds) and 10 <= tens < 20:
            files += [_d(1), _d(10)] + ([_d(tens - 10)] if tens > 10 else [])  # 一百一十五
        else:
            files.append(_d(tens))
    return files


def _en_number(n: int) -> list[str]:
    if n < 100:
        return [_d(n)]
    files: list[str] = []
    for size, word in ((1_000_000, "million"), (1000, "thousand")):
        if n >= size:
            files += _en_number(n // size) + [f"digits/{word}.wav"]
            n %= size
    if n >= 100:
        files += [_d(n // 100), "digits/hundred.wav"]
        n %= 100
    if n:
        files.append(_d(n))
    return files


def say_yuan(fen: int | str, language: str) -> list[str]:
    """Integer fen as money: 1205 -> 十二元零五分 / twelve yuan and five fen."""
    try:
        amount = int(str(fen).strip())
    except ValueError:
        return []
    files = ["currency/negative.wav"] if amount < 0 else []
    yuan, rest = divmod(abs(amount), 100)
    jiao, cents = divmod(rest, 10)
    if language == "zh":
        if yuan or not rest:
            files += _zh_number(yuan) + ["currency/yuan.wav"]
        if jiao:
            files += [_d(jiao), "currency/jiao.wav"]
        elif yuan and cents:
            files.append(_d(0))
        if cents:
            files += [_d(cents), "currency/fen.wav"]
        return files
    files += _en_number(yuan) + ["currency/yuan.wav"]
    if rest:
        files += ["currency/and.wav", _d(rest), "currency/fen.wav"]
    return files


def say_date(value: str, language: str) -> list[str]:
    """``YYYYMMDD`` or ``YYYY-MM-DD``: 2026年12月5日 / December fifth twenty twenty six."""
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) != 8:
        return say_digits(digits, language)
    year, month, day = digits[:4], int(digits[4:6]), int(digits[6:])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return say_digits(digits, language)
    if language == "zh":
        return say_digits(year, language) + [
            "time/year.wav",
            _d(month),
            "time/month.wav",
            _d(day),
            "time/hao.wav",
        ]
    century, rest = divmod(int(year), 100)
    year_files = [_d(century), _d(rest)] if rest >= 10 else _en_number(int(year))
    return [f"time/mon-{month - 1}.wav", f"digits/h-{day}.wav"] + year_files


def say_time(value: str, language: str) -> list[str]:
    """``HHMM`` or ``HH:MM`` (24 hours): 8点零5分 / eight oh five."""
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) != 4 or int(digits[:2]) > 23 or int(digits[2:]) > 59:
        return say_digits(digits, language)
    hour, minute = int(digits[:2]), int(digits[2:])
    if language == "zh":
        files = [_d(hour), "time/hour.wav"]
        if minute:
            files += ([_d(0)] if minute < 10 else []) + [_d(minute), "time/minute.wav"]
        return files
    if not minute:
        return [_d(hour), "time/oclock.wav"]
    return [_d(hour)] + (["digits/oh.wav"] if minute < 10 else []) + [_d(minute)]


SAYERS = {
    "digits": say_digits,
    "number": say_number,
    "yuan": say_yuan,
    "date": say_date,
    "time": say_time,
}
