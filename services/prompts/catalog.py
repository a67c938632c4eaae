"""Every prompt careline plays, per language, as FreeSWITCH finds it (issue 8, R-IVR1; design §10).

Layout (the one FreeSWITCH's sound packs use): a channel's ``sound_prefix`` is
``<sounds>/<lang>/<country>/careline`` and prompts are played by a relative name such as
``ivr/careline-main-menu.wav``. mod_sndfile opens ``<prefix>/ivr/<rate>/careline-main-menu.wav`` for the
call's rate (it inserts the rate folder before the file name, then tries 48000/32000/16000, then the bare
path), so every prompt is rendered at 8000 and 16000 Hz. Choosing a caller's language is choosing their
``sound_prefix``: the ACD's and billing's relative prompts follow it with no change on their side.

Sources:
- the default IVR flow's prompts (``careline/ivr/defaults/hospital.json``, texts per language);
- the ACD's and billing's recorded prompts (:data:`SERVICE_PROMPTS`, names as those services play them);
- the units numbers, money and dates are said with (:mod:`careline.prompts.units`).

A text may hold a part in another language, ``[[en:For English, press 8.]]``, rendered with that
language's voice (the language offer of the main menu).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from careline.prompts.units import unit_texts


@dataclass(frozen=True)
class Language:
    code: str  # careline's language code: the CRM's, the call data's, careline_lang
    country: str  # FreeSWITCH's layout <lang>/<country>/<voice>
    voice: str  # espeak-ng voice, also the tts_commandline voice for dynamic text


LANGUAGES = {
    "zh": Language("zh", "cn", "cmn"),  # Mandarin first (design §10)
    "en": Language("en", "us", "en-us"),
}
DEFAULT_LANGUAGES = ("zh", "en")
RATES = (8000, 16000)
VOICE_NAME = "careline"  # the <voice> folder of FreeSWITCH's layout
MOH_FILE = "careline-moh.wav"  # <sounds>/music/<rate>/, served as local_stream://moh

# Recorded prompts the ACD and billing play (services/acd/switch.py, acd/domain/queue.py, acd/settings.py,
# billing/settings.py). Their names belong to those services; a test greps them for ``careline-*.wav``
# and fails when one is missing here.
SERVICE_PROMPTS: dict[str, dict[str, str]] = {
    "ivr/careline-queue-position.wav": {"zh": "您现在排在第", "en": "You are number"},
    "ivr/careline-queue-wait.wav": {
        "zh": "位，预计等待约",
        "en": "in the queue. Your expected wait is about",
    },
    "ivr/careline-queue-minutes.wav": {"zh": "分钟。", "en": "minutes."},
    "ivr/careline-goodbye.wav": {"zh": "感谢您的来电，再见。", "en": "Thank you for calling. Goodbye."},
    "ivr/careline-callback-ok.wav": {
        "zh": "我们已记下您的回拨请求，稍后会给您回电。再见。",
        "en": "We have your callback request and will call you back. Goodbye.",
    },
    "ivr/careline-call-ended.wav": {
        "zh": "您的通话已结束，感谢您的来电。",
        "en": "Your call has ended. Thank you for calling.",
    },
    "ivr/careline-credit-low.wav": {
        "zh": "您的余额只够通话一分钟，请注意。",
        "en": "Your credit is enough for one more minute.",
    },
}

SEGMENT = re.compile(r"\[\[([a-z]{2}):(.*?)\]\]", re.S)


@dataclass(frozen=True)
class Prompt:
    language: str
    path: str  # relative to the language's sound_prefix: "ivr/careline-main-menu.wav"
    text: str

    def parts(self) -> list[tuple[str, str]]:
        """(language, text) pieces: the prompt's own language, with ``[[xx:...]]`` parts in xx."""
        pieces: list[tuple[str, str]] = []
        at = 0
        for match in SEGMENT.finditer(self.text):
            pieces.append((self.language, self.text[at : match.start()]))
            pieces.append((match.group(1), match.group(2)))
            at = match.end()
        pieces.append((self.language, self.text[at:]))
        return [(lang, text.strip()) for lang, text in pieces if text.strip()]


def flow_prompt_file(name: str) -> str:
    """Where a flow prompt of the store is rendered: ``main_menu`` -> ``ivr/careline-main-menu.wav``."""
    return f"ivr/careline-{name.replace('_', '-').replace('.', '-').lower()}.wav"


def plain_text(text: str) -> str:
    """A prompt's text without its other-language markers (for TTS of the text as a whole)."""
    return SEGMENT.sub(lambda m: m.group(2), text)


def flow_prompt_texts() -> dict[str, dict[str, str]]:
    """The default flow's prompts: name -> language -> text."""
    raw = resources.files("careline.ivr.defaults").joinpath("hospital.json").read_text("utf-8")
    return json.loads(raw)["prompts"]


def catalog(languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> list[Prompt]:
    """Every prompt to render for ``languages``; one entry per (language, path)."""
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language(s) {', '.join(unknown)}; known: {', '.join(LANGUAGES)}")
    entries: dict[tuple[str, str], Prompt] = {}
    flows = flow_prompt_texts()
    for lang in languages:
        for name, texts in flows.items():
            text = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
            path = flow_prompt_file(name)
            entries[(lang, path)] = Prompt(lang, path, text)
        for path, texts in SERVICE_PROMPTS.items():
            entries.setdefault((lang, path), Prompt(lang, path, texts[lang]))
        for path, text in unit_texts(lang).items():
            entries[(lang, path)] = Prompt(lang, path, text)
    return list(entries.values())


def sound_prefix(sounds_dir: str, language: str) -> str:
    """The channel's ``sound_prefix`` for a language: ``<sounds>/zh/cn/careline``."""
    lang = LANGUAGES[language]
    return f"{sounds_dir.rstrip('/')}/{lang.code}/{lang.country}/{VOICE_NAME}"


def rendered_path(prompt: Prompt, rate: int) -> str:
    """The file under the sounds folder: ``zh/cn/careline/ivr/8000/careline-main-menu.wav``."""
    lang = LANGUAGES[prompt.language]
    folder, _, name = prompt.path.rpartition("/")
    return f"{lang.code}/{lang.country}/{VOICE_NAME}/{folder}/{rate}/{name}"
