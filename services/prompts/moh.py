"""Music on hold, synthesised in pure Python (issue 8: hold gave the caller dead air; design §10).

A calm 32-second loop: a I–vi–IV–V progression in C major played as soft, slowly decaying
music-box notes (a sine with a quiet octave partial) over a low sustained pad. It is deterministic
(same bytes every run), needs no sample library and no licence, and mod_local_stream plays it from
``<sounds>/music/<rate>/careline-moh.wav`` as ``local_stream://moh``.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RECIPE = "moh: I-vi-IV-V music box + pad, 32 s; v1"
BPM = 60
BEATS_PER_CHORD = 8
# (root, third, fifth) as MIDI notes; arpeggio goes up the chord and an octave above.
CHORDS = ((60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62))
AMPLITUDE = 0.22  # headroom: several notes ring at once


def _freq(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def samples(rate: int) -> list[int]:
    beat = 60 / BPM / 2  # eighth notes
    total = int(rate * beat * BEATS_PER_CHORD * 2 * len(CHORDS))
    mix = [0.0] * total
    step = int(rate * beat)
    for c, chord in enumerate(CHORDS):
        notes = [*chord, chord[0] + 12, chord[2], chord[1], chord[0] + 12, chord[1] + 12]
        start_chord = c * step * BEATS_PER_CHORD * 2
        _pad(mix, rate, start_chord, step * BEATS_PER_CHORD * 2, chord[0] - 12)
        for i in range(BEATS_PER_CHORD * 2):
            _bell(mix, rate, start_chord + i * step, _freq(notes[i % len(notes)]))
    peak = max(1e-9, max(abs(v) for v in mix))
    scale = AMPLITUDE * 32767 / peak * 2.5
    return [max(-32767, min(32767, int(v * scale))) for v in mix]


def _bell(mix: list[float], rate: int, start: int, freq: float) -> None:
    length = min(len(mix) - start, int(rate * 1.6))
    w1, w2 = 2 * math.pi * freq / rate, 4 * math.pi * freq / rate
    decay = 3.0 / rate
    attack = int(rate * 0.01)
    for n in range(length):
        env = math.exp(-decay * n) * (n / attack if n < attack else 1.0)
        mix[start + n] += 0.3 * env * (math.sin(w1 * n) + 0.25 * math.sin(w2 * n))


def _pad(mix: list[float], rate: int, start: int, length: int, midi: int) -> None:
    w = 2 * math.pi * _freq(midi) / rate
    fade = int(rate * 0.5)
    for n in range(min(length, len(mix) - start)):
        env = min(1.0, n / fade, (length - n) / fade)
        mix[start + n] += 0.08 * env * math.sin(w * n)


def write(path: Path, rate: int) -> None:
    """Write the loop as 16-bit mono PCM at ``rate`` (atomically)."""
    data = samples(rate)
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{len(data)}h", *data))
    tmp.replace(path)
