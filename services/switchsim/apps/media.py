"""Media applications (mod_dptools): playback, play_and_get_digits, read, record, endless_playback,
with the events each one fires and how long a prompt lasts in simulated time (design §7)."""

from __future__ import annotations

import asyncio
import re

from ..model.channel import Channel
from . import sounds
from .args import split_args, to_int


def playback_seconds(ch: Channel, path: str) -> float | None:
    """Duration of a prompt in simulated seconds; None means endless (local_stream, L=-1)."""
    if path.startswith("local_stream://"):
        return None
    if path.startswith("silence_stream://"):
        n = to_int(path.split("://", 1)[1].split(",")[0], 0)
        return n / 1000.0 if n > 0 else None
    if path.startswith("tone_stream://"):
        spec = path.split("://", 1)[1]
        loops = 1
        m = re.search(r"L=(-?\d+)", spec)
        if m:
            loops = int(m.group(1))
            if loops < 0:
                return None
        total = 0
        for seg in re.findall(r"%\(([^)]*)\)", spec):
            parts = [to_int(x, 0) for x in seg.split(",")]
            total += sum(parts[:2])
        return loops * total / 1000.0
    if path.startswith(("say:", "speak:", "flite|", "tts://")) or " " in path and "/" not in path:
        text = path.split(":", 1)[-1]
        return max(0.5, len(text) * 0.07)
    durations = ch.core.config.file_durations
    return durations.get(path, ch.core.config.default_file_seconds)


async def play_file(ch: Channel, path: str, dtmf_stops: bool = False, stop=None) -> str:
    """PLAYBACK_START / wait / PLAYBACK_STOP; returns 'done', 'break', 'dtmf' or 'hangup', or a failure
    of sounds.check (nothing fired, at once). `stop`: an asyncio.Event that ends a broadcast's playback
    without touching the channel's own application (see broadcast.py)."""
    failure = sounds.check(ch, path)
    if failure is not None:
        return failure
    if path.startswith("say:"):
        return await _speak(ch, path, dtmf_stops, stop)
    ftype = path.split("://", 1)[0] if "://" in path else "file"
    ch.fire("PLAYBACK_START", post=[("Playback-File-Type", ftype), ("Playback-File-Path", path)])
    if not dtmf_stops:
        ch.announce_dtmf()
    ch.hearing = path
    ch.heard.append(path)
    started = ch.core.now()
    try:
        if stop is None:
            result = await ch.wait(playback_seconds(ch, path), dtmf=dtmf_stops)
        else:
            result = await _wait_or_stop(ch, playback_seconds(ch, path), stop)
    finally:
        if ch.hearing == path:
            ch.hearing = None
    if not dtmf_stops:
        ch.announce_dtmf()  # digits that came in while it played (announced late: no mid-file wake-up)
    status = "done" if result == "timeout" else "break"
    ms = int((ch.core.now() - started) * 1000)
    ch.vars.update({"playback_last_offset_pos": str(ms * 8), "playback_seconds": str(ms // 1000),
                    "playback_ms": str(ms), "playback_samples": str(ms * 8)})  # fmt: skip
    post = [("Playback-File-Type", ftype), ("Playback-File-Path", path), ("Playback-Status", status)]
    ch.fire("PLAYBACK_STOP", post=post)
    return "done" if result == "timeout" else result


async def _speak(ch: Channel, path: str, dtmf_stops: bool, stop) -> str:
    """`say:` through a loaded engine (switch_ivr_speak_text): heard, but no PLAYBACK_* events
    (tts_speak capture)."""
    ch.hearing = path
    ch.heard.append(path)
    try:
        if stop is None:
            result = await ch.wait(playback_seconds(ch, path), dtmf=dtmf_stops)
        else:
            result = await _wait_or_stop(ch, playback_seconds(ch, path), stop)
    finally:
        if ch.hearing == path:
            ch.hearing = None
    return "done" if result == "timeout" else result


async def _wait_or_stop(ch: Channel, seconds: float | None, stop) -> str:
    waits = [asyncio.ensure_future(ch.hungup.wait()), asyncio.ensure_future(stop.wait())]
    timeout = None if seconds is None else max(0.0, seconds) * ch.core.time_scale
    done, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for p in pending:
        p.cancel()
    if not ch.alive:
        return "hangup"
    return "break" if done else "timeout"


async def app_playback(ch: Channel, arg: str):
    if not ch.alive:
        return "FILE NOT PLAYED"
    r = await play_file(ch, arg)
    if r in sounds.RESPONSE:
        return sounds.RESPONSE[r]
    return "PLAYBACK ERROR" if r == "hangup" else "FILE PLAYED"


async def app_speak(ch: Channel, arg: str):
    """``speak [engine|voice|]text`` (mod_dptools): the engine defaults to the `tts_engine` variable; with
    none loaded it fails at once ("Invalid TTS module"). Real speech fires no PLAYBACK_* events; what
    was spoken is kept in `heard` as `say:<text>`."""
    parts = arg.split("|", 2)
    engine = parts[0] if len(parts) == 3 else sounds.variable(ch, "tts_engine")
    text = parts[-1]
    if not text or sounds.check_tts(ch, engine) is not None:
        return None
    ch.hearing = f"say:{text}"
    ch.heard.append(ch.hearing)
    await ch.wait(playback_seconds(ch, ch.hearing), dtmf=False)
    ch.hearing = None
    return None


async def app_play_and_get_digits(ch: Channel, arg: str):
    """min max tries timeout terminators prompt invalid var regex digit_timeout [transfer_on_fail].

    A prompt that fails (TTS module not loaded, file not found) ends that try at once, before any digit
    is collected (switch_ivr_read: `goto end`, read_result left unset); the tries run out in no time and
    the variable stays empty (issue 8: the IVR heard nothing and walked menu -> invalid -> agent)."""
    a = split_args(arg)
    a += [""] * (11 - len(a))
    mn, mx, tries, timeout = to_int(a[0], 1), to_int(a[1], 1), to_int(a[2], 1), to_int(a[3], 5000)
    terms, prompt, invalid, var, regex = a[4], a[5], a[6], a[7], a[8]
    digit_timeout = to_int(a[9], timeout)
    on_fail = a[10]
    prompt_failed = False
    for attempt in range(max(1, tries)):
        digits, ended = "", False
        ch.vars.pop("read_result", None)
        if var:
            ch.vars.pop(var, None)
        if prompt:
            r = await play_file(ch, prompt, dtmf_stops=True)
            if r == "hangup":
                return None
            prompt_failed = r in (sounds.TTS_ERROR, sounds.NOT_FOUND)
            if prompt_failed:
                if invalid and invalid != "none":  # after every failed try, the last too (captured)
                    await play_file(ch, invalid)
                continue
        wait_for = timeout
        while ch.alive and len(digits) < mx:
            while not ch.dtmf.empty() and len(digits) < mx:
                d = ch.take_dtmf()
                if d in terms:
                    ended = True
                    break
                digits += d
            if ended or len(digits) >= mx:
                break
            r = await ch.wait(wait_for / 1000.0, dtmf=True)
            if r in ("hangup", "break"):
                return None
            if r == "timeout":
                break
            wait_for = digit_timeout
        if not ch.alive:
            return None
        if len(digits) >= mn and (not regex or re.fullmatch(regex, digits)):
            if var:
                ch.vars[var] = digits
            ch.vars["read_result"] = "success"
            return None
        if invalid and invalid != "none" and (attempt < tries - 1 or not collected_any(digits, ended)):
            await play_file(ch, invalid)
    if not prompt_failed:
        ch.vars["read_result"] = "failure"
    if var:
        ch.vars.pop(var, None)
    if on_fail:
        parts = split_args(on_fail)
        dialplan = parts[1] if len(parts) > 1 else "XML"
        ch.transfer_to = (parts[0], parts[2] if len(parts) > 2 else "default", dialplan)
        ch.apps.clear()
    return None


def collected_any(digits: str, ended: bool) -> bool:
    """Whether a try ended with input (digits or a terminator). FreeSWITCH plays the invalid file after
    every failed try; the simulator keeps it off the last try when the caller did press keys, which the
    suite's menus were written against (no capture of that case yet)."""
    return bool(digits) or ended


async def app_read(ch: Channel, arg: str):
    a = split_args(arg)
    a += [""] * (6 - len(a))
    # read min max prompt var timeout terminators (re-quoted: the prompt may hold blanks)
    joined = f"{a[0]} {a[1]} 1 {a[4] or 5000} '{a[5] or '#'}' '{a[2]}' none {a[3]} .* {a[4] or 5000}"
    return await app_play_and_get_digits(ch, joined)


async def app_record(ch: Channel, arg: str):
    a = split_args(arg)
    path = a[0] if a else ""
    limit = to_int(a[1], 0) if len(a) > 1 else 0
    ch.fire("RECORD_START", post=[("Record-File-Path", path)])
    await ch.wait(limit or None, dtmf=True)
    ch.fire("RECORD_STOP", post=[("Record-File-Path", path), ("Record-Completion-Cause", "success-silence")])


async def app_endless_playback(ch: Channel, arg: str):
    while ch.alive and not ch.broken:
        if await play_file(ch, arg) != "done":
            break


APPS = {
    "playback": app_playback, "play_and_get_digits": app_play_and_get_digits, "read": app_read,
    "record": app_record, "endless_playback": app_endless_playback, "speak": app_speak,
}  # fmt: skip
