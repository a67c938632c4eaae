"""What a prompt resolves to on FreeSWITCH 1.11.2 (switch_ivr_play_file, switch_ivr_speak_text): a stream
that always exists, text for a TTS engine that may not be loaded, or a file that may be missing under
`sound_prefix` (issue 8: a stock build has no TTS module, so every `say:` prompt failed at once).

`check(ch, path)` returns None when the prompt plays, else what the real switch does instead:
- SILENT: `say:` with no `tts_engine` variable — "Invalid Args" logged, nothing played, success;
- TTS_ERROR: `say:`/`speak` naming an engine that is not loaded — "Invalid TTS module", PLAYBACK ERROR;
- NOT_FOUND: a file that cannot be opened — FILE NOT FOUND; `tts://engine|voice|text` is a file too
  (mod_dptools' tts file interface): an engine that is not loaded fails to open it.
PLAYBACK_START is fired only after a file opened, so none of these fires it."""

from __future__ import annotations

import os

SILENT, TTS_ERROR, NOT_FOUND = "silent", "tts_error", "not_found"
# Streams provided by modules every build loads (mod_tone_stream, mod_local_stream) or the core.
ALWAYS_THERE = ("tone_stream://", "silence_stream://", "local_stream://")
# Responses of mod_dptools' playback for each failure (CHANNEL_EXECUTE_COMPLETE Application-Response).
RESPONSE = {SILENT: "FILE PLAYED", TTS_ERROR: "PLAYBACK ERROR", NOT_FOUND: "FILE NOT FOUND"}


def variable(ch, name: str) -> str | None:
    """A channel variable, falling back to the global one (switch_channel_get_variable does)."""
    value = ch.vars.get(name)
    return value if value not in (None, "") else ch.core.config.global_vars.get(name) or None


def tts_loaded(ch, engine: str) -> bool:
    engines = ch.core.config.tts_engines
    return engines is None or engine in engines


def check_tts(ch, engine: str | None) -> str | None:
    if not engine:
        return SILENT
    return None if tts_loaded(ch, engine) else TTS_ERROR


def check(ch, path: str) -> str | None:
    if path.startswith("say:"):
        return check_tts(ch, variable(ch, "tts_engine"))
    if path.startswith("tts://"):
        parts = path.removeprefix("tts://").split("|", 2)
        engine = parts[0].split(":", 1)[0]  # module:(optional)profile|voice|text
        return None if len(parts) == 3 and engine and tts_loaded(ch, engine) else NOT_FOUND
    if path.startswith(ALWAYS_THERE) or ch.core.config.sound_prefix is None:
        return None
    if path.startswith("file_string://"):
        parts = path.removeprefix("file_string://").split("!")
        return NOT_FOUND if all(check(ch, p) == NOT_FOUND for p in parts) else None
    if "://" in path:
        return None  # other modules' URLs (http_cache, shout…) are not modelled: they play
    return None if _exists(ch, path) else NOT_FOUND


def resolve(ch, path: str) -> str:
    """The file FreeSWITCH opens: a relative path goes under `sound_prefix` (channel, global, config)."""
    if os.path.isabs(path):
        return path
    prefix = variable(ch, "sound_prefix") or ch.core.config.sound_prefix or ""
    return os.path.join(prefix, path)


def _exists(ch, path: str) -> bool:
    full = resolve(ch, path)
    if os.path.splitext(full)[1]:
        return os.path.isfile(full)
    # No extension: the codec's native file first (…/x.PCMU), then native_backup_extension (wav).
    backup = variable(ch, "native_backup_extension") or "wav"
    return os.path.isfile(f"{full}.PCMU") or os.path.isfile(f"{full}.{backup}")
