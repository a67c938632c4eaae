"""Chinese resident identity numbers (GB 11643-1999), used to find a caller's record (R-CRM1).

18 characters: a 6-digit region code, the birth date ``YYYYMMDD``, a 3-digit sequence and a check
character. The check character is ``sum(digit_i * w_i) mod 11`` mapped through ``10X98765432``, with
weights ``2^(17-i) mod 11``. A typo in any one digit changes it, which is why we refuse such numbers
instead of storing a record nobody will find again.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["IdNumberError", "check_character", "validate_id_number"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"[1-9]\d{16}[\dX]")


class IdNumberError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_character(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def validate_id_number(raw: str, *, today: dt.date | None = None) -> str:
    """The ID number in canonical form (upper-case ``X``), or :class:`IdNumberError` with a reason."""
    value = raw.strip().upper()
    if len(value) != 18:
        raise IdNumberError(f"ID number must have 18 characters, got {len(value)}")
    if not _SHAPE.fullmatch(value):
        raise IdNumberError("ID number must be 17 digits followed by a digit or X")
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(f"ID number holds no valid birth date ({value[6:14]})") from None
    if born > (today or dt.date.today()) or born.year < 1880:
        raise IdNumberError(f"ID number birth date {born.isoformat()} is not plausible")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise IdNumberError(f"ID number check character is {value[17]}, expected {expected}")
    return value
