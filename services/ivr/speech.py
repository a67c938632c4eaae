"""Text the IVR speaks, made safe for the switch (issue 8, design §6 and §10).

Text from look-ups (an expert's introduction, a drug's information, the CRM's read-back) ends up in an
application argument: ``playback say:<text>``, ``play_and_get_digits … 'say:<text>' …`` or
``tts://tts_commandline|<voice>|<text>``. FreeSWITCH expands ``${…}`` (and ``$${…}``) in application
arguments, splits play_and_get_digits' arguments on blanks outside single quotes, a ``tts://`` argument on
``|`` and a ``file_string://`` list on ``!``; a line break would end the ESL command. :func:`speakable` keeps
letters, digits, CJK text and ordinary punctuation, turns every kind of blank into one space, and drops
what FreeSWITCH or the shell would read: ``$ { } ' " ` \\ | ! ^ < >`` and control characters.
"""

from __future__ import annotations

import re
import unicodedata

UNSAFE = set("${}'\"`\\|!^<>")
MAX_CHARS = 1000  # a runaway look-up value is cut, not spoken for minutes
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def speakable(text: str) -> str:
    """``text`` with nothing FreeSWITCH would expand or split; blanks collapsed; at most MAX_CHARS."""
    kept = []
    for ch in text:
        if ch in UNSAFE:
            continue
        if ch.isspace() or unicodedata.category(ch)[0] == "C":  # tabs, newlines, NUL, bidi marks…
            kept.append(" ")
        else:
            kept.append(ch)
    return re.sub(r" {2,}", " ", "".join(kept)).strip()[:MAX_CHARS]


def is_chinese(text: str) -> bool:
    """Text with Chinese characters is spoken by the Mandarin voice whatever the caller's language."""
    return CJK.search(text) is not None
