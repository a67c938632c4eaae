"""Secrets that production refuses, and redaction that never shows any part of one (issue 9 §8, design §6).

``weak_secret_reason(value)`` says why a secret is too weak for ``prod`` (None when it is acceptable);
``check_secret(name, value)`` raises :class:`WeakSecretError` naming the *setting*, never the value.
``redact(value)`` is what a log line or an error message may show of a secret: a fixed marker, with no
prefix, tail or length (issue 9: the old refusal printed the secret's tail).

The rule (R-ADM1, issue 9 "Secrets"):

- at least 16 characters;
- not a known default or placeholder (ClueCon, change-me, CHANGE_ME, password, secret, 1234…), nor one
  with such a stem inside it (``CHANGE_ME_IN_PROD_2026``, ``ClueCon1234567890``);
- not a common word padded with digits or symbols (``hospital20262026``), nor a word of the system
  dictionary when one is installed;
- under 32 characters, not all one character class (all digits, all lower-case letters, ...);
- at least 8 different characters (``aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`` is not a secret).

Generated keys (``secrets.token_urlsafe(32)``, 64 hex digits) pass.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 16
# Below this length a secret must mix character classes; a 32+ character one-class secret (a long
# random lower-case string, say) has enough entropy on its own.
MIXED_CLASSES_BELOW = 32
MIN_DISTINCT_CHARACTERS = 8
REDACTED = "[redacted]"

# Whole values shipped as defaults somewhere in careline or FreeSWITCH (compared case-insensitively).
KNOWN_DEFAULTS = frozenset(
    {
        "",
        "cluecon",
        "change-me",
        "change_me",
        "changeme",
        "careline-dev-signing-key-not-for-production",
    }
)
# Stems no real secret contains (compared on lower-case letters and digits only, so CHANGE_ME,
# change-me and Change.Me all match "changeme").
PLACEHOLDER_STEMS = (
    "changeme",
    "cluecon",
    "replaceme",
    "placeholder",
    "password",
    "passw0rd",
    "secret",
    "default",
    "example",
    "notforproduction",
    "letmein",
    "qwerty",
    "123456",
    "abcdef",
    "111111",
    "000000",
)
# Common words people pad with digits; the system dictionary, when installed, adds to these.
COMMON_WORDS = frozenset(
    {
        "admin",
        "administrator",
        "careline",
        "hospital",
        "freeswitch",
        "welcome",
        "monkey",
        "dragon",
        "master",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "iloveyou",
        "trustno",
        "superman",
        "starwars",
        "whatever",
        "shadow",
        "michael",
        "jennifer",
        "computer",
        "internet",
        "service",
        "contactcenter",
        "callcenter",
        "doctor",
        "nurse",
        "patient",
        "token",
        "jwt",
        "key",
        "test",
        "testing",
        "dev",
        "demo",
        "prod",
        "production",
    }
)
SYSTEM_DICTIONARY = Path("/usr/share/dict/words")


class WeakSecretError(ValueError):
    """A secret refused in prod; the message names the setting and the rule, never the value."""


def redact(_value: object) -> str:
    """What may be shown of a secret: a fixed marker (no prefix, tail or length)."""
    return REDACTED


def weak_secret_reason(value: str | None, *, min_length: int = MIN_LENGTH) -> str | None:
    """Why ``value`` is too weak for production, or None when it passes. The reason never quotes it."""
    value = value or ""
    if value.lower() in KNOWN_DEFAULTS:
        return "is a known default or placeholder"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    folded = re.sub(r"[^a-z0-9]", "", value.lower())
    if any(stem in folded for stem in PLACEHOLDER_STEMS):
        return "contains a known default, placeholder or sequence"
    core = re.sub(r"^[^a-z]+|[^a-z]+$", "", value.lower())
    if core in COMMON_WORDS or _in_system_dictionary(core):
        return "is a dictionary word padded with digits or symbols"
    if len(value) < MIXED_CLASSES_BELOW and len(_classes(value)) < 2:
        return f"uses one kind of character only (mix kinds below {MIXED_CLASSES_BELOW} characters)"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_DISTINCT_CHARACTERS} different characters"
    return None


def check_secret(name: str, value: str | None, *, min_length: int = MIN_LENGTH) -> None:
    """Raise WeakSecretError naming ``name`` (an env variable, say) when ``value`` is weak."""
    reason = weak_secret_reason(value, min_length=min_length)
    if reason is not None:
        raise WeakSecretError(f"{name} {reason}; set a strong secret outside dev")


def _classes(value: str) -> set[str]:
    kinds = set()
    for ch in value:
        if ch.isdigit():
            kinds.add("digit")
        elif ch.islower():
            kinds.add("lower")
        elif ch.isupper():
            kinds.add("upper")
        else:
            kinds.add("other")
    return kinds


def _in_system_dictionary(word: str) -> bool:
    return len(word) >= 4 and word in _system_words()


@lru_cache(maxsize=1)
def _system_words() -> frozenset[str]:
    try:
        text = SYSTEM_DICTIONARY.read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return frozenset()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())
