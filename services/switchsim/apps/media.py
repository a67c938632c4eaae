"""Media applications (mod_dptools): playback, play_and_get_digits, read, record, endless_playback,
with the events each one fires and how long a prompt lasts in simulated time (design §7)."""

from __future__ import annotations

import re

from ..model.channel import Channel
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


async def play_file(ch: Channel, path: str, dtmf_stops: bool = False) -> str:
    """PLAYBACK_START / wait / PLAYBACK_STOP; returns 'done', 'break', 'dtmf' or 'hangup'."""
    ftype = path.split("://", 1)[0] if "://" in path else "file"
    ch.fire("PLAYBACK_START", post=[("Playback-File-Type", ftype), ("Playback-File-Path", path)])
    if not dtmf_stops:
        ch.announce_dtmf()
    result = await ch.wait(playback_seconds(ch, path), dtmf=dtmf_stops)
    if not dtmf_stops:
        ch.announce_dtmf()  # digits that came in while it played (announced late: no mid-file wake-up)
    status = "done" if result == "timeout" else "break"
    ms = 0
    ch.vars["playback_ms"] = str(ms)
    post = [("Playback-File-Type", ftype), ("Playback-File-Path", path), ("Playback-Status", status)]
    ch.fire("PLAYBACK_STOP", post=post)
    return "done" if result == "timeout" else result


async def app_playback(ch: Channel, arg: str):
    if not ch.alive:
        return "FILE NOT PLAYED"
    r = await play_file(ch, arg)
    return "FILE PLAYED" if r == "done" else "PLAYBACK ERROR" if r == "hangup" else "FILE PLAYED"


async def app_play_and_get_digits(ch: Channel, arg: str):
    """min max tries timeout terminators prompt invalid var regex digit_timeout [transfer_on_fail]."""
    a = split_args(arg)
    a += [""] * (11 - len(a))
    mn, mx, tries, timeout = to_int(a[0], 1), to_int(a[1], 1), to_int(a[2], 1), to_int(a[3], 5000)
    terms, prompt, invalid, var, regex = a[4], a[5], a[6], a[7], a[8]
    digit_timeout = to_int(a[9], timeout)
    on_fail = a[10]
    for attempt in range(max(1, tries)):
        digits, ended = "", False
        if prompt:
            r = await play_file(ch, prompt, dtmf_stops=True)
            if r == "hangup":
                return None
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
        if attempt < tries - 1 and invalid and invalid != "none":
            await play_file(ch, invalid)
    ch.vars["read_result"] = "failure"
    if var:
        ch.vars.pop(var, None)
    if on_fail:
        parts = split_args(on_fail)
        ch.transfer_to = (parts[0], parts[2] if len(parts) > 2 else "default")
        ch.apps.clear()
    return None


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
    "record": app_record, "endless_playback": app_endless_playback,
}  # fmt: skip
