"""Phone-number normalisation for caller-ID recognition (R-CRM2, R-VIP2).

Caller IDs reach us in every shape FreeSWITCH and the carriers produce (``+8613912345678``,
``008613912345678``, ``010-12345678``, ``(021) 6123 4567``), and patients type their numbers in the
same variety. One canonical form makes a look-up an exact index match:

- the country code (``+86``, ``0086``, or a bare ``86`` in front of a full national number) is dropped;
- a mobile is its 11 digits (``1[3-9]x``);
- a landline keeps its area code with the trunk ``0``: ``010`` and ``02x`` take an 8-digit local
  number, the other (4-digit) area codes a 7- or 8-digit one;
- a local number without area code is completed with ``default_area_code`` when one is configured,
  otherwise refused: without it two cities' numbers would collide.

Anything else (letters, ``anonymous``, short service codes, foreign numbers) is refused with a reason
the caller of the function can show.
"""

from __future__ import annotations

import re

__all__ = ["PhoneError", "normalise_phone", "is_mobile"]

_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_BIG_CITY_LANDLINE = re.compile(r"0(10|2\d)\d{8}")  # Beijing 010, 02x: 8-digit local numbers
_LANDLINE = re.compile(r"0[3-9]\d{2}\d{7,8}")
_LOCAL = re.compile(r"[2-9]\d{6,7}")
_AREA_CODE = re.compile(r"0(10|2\d|[3-9]\d{2})")


class PhoneError(ValueError):
    """The input is not a usable Chinese phone number; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_mobile(number: str) -> bool:
    return bool(_MOBILE.fullmatch(number))


def normalise_phone(raw: str | None, *, default_area_code: str | None = None) -> str:
    """The canonical digits of ``raw``, or :class:`PhoneError` with a reason."""
    if raw is None or not raw.strip():
        raise PhoneError("phone number is empty")
    text = _SEPARATORS.sub("", raw.strip())
    national = _strip_country_code(text)
    if not national.isdigit():
        raise PhoneError(f"phone number {raw!r} contains characters other than digits")
    if _MOBILE.fullmatch(national):
        return national
    if not national.startswith("0") and len(national) >= 9:
        # +86 10 1234 5678: the trunk 0 is dropped after the country code; put it back.
        national = "0" + national
    if _BIG_CITY_LANDLINE.fullmatch(national) or _LANDLINE.fullmatch(national):
        return national
    if _LOCAL.fullmatch(national):
        if default_area_code is None:
            raise PhoneError(f"landline {raw!r} has no area code")
        if not _AREA_CODE.fullmatch(default_area_code):
            raise PhoneError(f"default area code {default_area_code!r} is not a Chinese area code")
        return normalise_phone(default_area_code + national)
    raise PhoneError(f"{raw!r} is neither an 11-digit mobile nor a landline with area code")


def _strip_country_code(text: str) -> str:
    if text.startswith("+"):
        if not text.startswith("+86"):
            raise PhoneError(f"phone number {text!r} is not a Chinese (+86) number")
        return text[3:]
    if text.startswith("00"):
        if not text.startswith("0086"):
            raise PhoneError(f"phone number {text!r} is not a Chinese (0086) number")
        return text[4:]
    if text.startswith("86") and len(text) in (12, 13):
        # 86 + mobile (13 digits) or 86 + area code without trunk 0 + local number.
        rest = text[2:]
        if _MOBILE.fullmatch(rest) or _BIG_CITY_LANDLINE.fullmatch("0" + rest):
            return rest
    return text
