"""Dialplan applications (mod_dptools subset) with the events each one fires (design §7)."""

from __future__ import annotations

import re
import uuid as uuidlib

from .channel import Channel

# Applications whose EXECUTE has no matching EXECUTE_COMPLETE in the traces (uuid_bridge is a state change).
_NO_COMPLETE = {"uuid_bridge"}


async def execute(ch: Channel, app: str, arg: str, app_uuid: str | None = None, lock_gate=None) -> str:
    app_uuid = app_uuid or str(uuidlib.uuid4())
    arg = re.sub(r"\$\{([^}]+)\}", lambda m: ch.vars.get(m.group(1), ""), arg or "")
    ch.broken = False
    ch.vars["current_application_data"] = arg
    ch.vars["current_application"] = app
    data = [("Application-Data", arg)] if arg else []
    if app == "uuid_bridge":
        # uuid_bridge runs from CS_SOFT_EXECUTE: the state walk precedes its CHANNEL_EXECUTE (trace e).
        for st in ("CS_HIBERNATE", "CS_RESET", "CS_SOFT_EXECUTE"):
            ch.set_state(st)
    ch.fire("CHANNEL_EXECUTE", post=[("Application", app)] + data + [("Application-UUID", app_uuid)])
    fn = APPS.get(app)
    resp = "_none_"
    if fn is not None:
        r = await fn(ch, arg)
        resp = r if r else "_none_"
    ch.vars["last_app"], ch.vars["last_arg"] = app, arg
    if app in _NO_COMPLETE:
        return resp
    post = [("Application", app)] + data + [("Application-Response", resp), ("Application-UUID", app_uuid)]
    ch.fire("CHANNEL_EXECUTE_COMPLETE", post=post)
    return resp


async def app_answer(ch: Channel, arg: str):
    ch.mark_answered()


async def app_pre_answer(ch: Channel, arg: str):
    ch.pre_answer()


async def app_ring_ready(ch: Channel, arg: str):
    if ch.callstate == "DOWN":
        ch.set_callstate("RINGING")


async def app_park(ch: Channel, arg: str):
    ch.fire("CHANNEL_PARK")
    await ch.wait(None)
    ch.fire("CHANNEL_UNPARK")


async def app_sleep(ch: Channel, arg: str):
    await ch.wait(_int(arg, 0) / 1000.0)


def playback_seconds(ch: Channel, path: str) -> float | None:
    """Duration of a prompt in simulated seconds; None means endless (local_stream, L=-1)."""
    if path.startswith("local_stream://"):
        return None
    if path.startswith("silence_stream://"):
        n = _int(path.split("://", 1)[1].split(",")[0], 0)
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
            parts = [_int(x, 0) for x in seg.split(",")]
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


async def app_set(ch: Channel, arg: str):
    k, _, v = arg.partition("=")
    if v == "":
        ch.vars.pop(k, None)
    else:
        ch.vars[k] = v


async def app_export(ch: Channel, arg: str):
    await app_set(ch, arg)
    k, _, v = arg.partition("=")
    for peer in (ch.other, ch.loop_peer):
        if peer is not None:
            peer.vars[k] = v


async def app_hangup(ch: Channel, arg: str):
    ch.hangup(arg or "NORMAL_CLEARING")


async def app_log(ch: Channel, arg: str):
    return None


async def app_transfer(ch: Channel, arg: str):
    parts = split_args(arg)
    ch.transfer_to = (parts[0] if parts else "", parts[2] if len(parts) > 2 else "default")
    ch.apps.clear()


async def app_sched_hangup(ch: Channel, arg: str):
    parts = split_args(arg)
    if parts:
        secs = _int(parts[0].lstrip("+"), 0)
        cause = parts[1] if len(parts) > 1 else "ALLOTTED_TIMEOUT"
        ch.core.spawn(_later_hangup(ch, secs, cause))


async def _later_hangup(ch: Channel, secs: float, cause: str):
    await ch.core.sleep(secs)
    ch.hangup(cause)


async def app_play_and_get_digits(ch: Channel, arg: str):
    """min max tries timeout terminators prompt invalid var regex digit_timeout [transfer_on_fail]."""
    a = split_args(arg)
    a += [""] * (11 - len(a))
    mn, mx, tries, timeout = _int(a[0], 1), _int(a[1], 1), _int(a[2], 1), _int(a[3], 5000)
    terms, prompt, invalid, var, regex = a[4], a[5], a[6], a[7], a[8]
    digit_timeout = _int(a[9], timeout)
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
    limit = _int(a[1], 0) if len(a) > 1 else 0
    ch.fire("RECORD_START", post=[("Record-File-Path", path)])
    await ch.wait(limit or None, dtmf=True)
    ch.fire("RECORD_STOP", post=[("Record-File-Path", path), ("Record-Completion-Cause", "success-silence")])


async def app_bridge(ch: Channel, arg: str):
    from .originate import bridge_to_endpoint

    return await bridge_to_endpoint(ch, arg)


async def app_uuid_bridge(ch: Channel, arg: str):
    """Second half of api uuid_bridge, run by each leg after its parked app returned.

    Both legs walk to CS_SOFT_EXECUTE and announce uuid_bridge first; only then does the A leg
    bridge (CHANNEL_BRIDGE on A, CS_EXCHANGE_MEDIA on B, CALL_UPDATE on both), as in trace e.
    """
    import asyncio

    from .originate import bridge_legs

    ch.uuid_bridge_ready.set()
    peer = ch.core.get(arg)
    if peer is None:
        return None
    if ch.vars.pop("_uuid_bridge_role", None) == "a":
        ready = asyncio.ensure_future(peer.uuid_bridge_ready.wait())
        gone = asyncio.ensure_future(ch.hungup.wait())
        await asyncio.wait([ready, gone], return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        gone.cancel()
        if ch.alive and peer.alive:
            bridge_legs(ch, peer, a_state=None)
    # Held until hangup, unless uuid_transfer takes this leg out of the bridge (its peer is hung up).
    while ch.alive:
        if await ch.wait(None) == "break" and ch.transfer_to is not None:
            return None
        ch.broken = False  # other interruptions wait, as before, until the bridge ends


async def app_conference(ch: Channel, arg: str):
    from .conference import join_conference

    await join_conference(ch, arg)


async def app_socket(ch: Channel, arg: str):
    from .outbound import run_socket_app

    return await run_socket_app(ch, arg)


async def app_endless_playback(ch: Channel, arg: str):
    while ch.alive and not ch.broken:
        if await play_file(ch, arg) != "done":
            break


def split_args(arg: str) -> list[str]:
    """Split application arguments on blanks as FreeSWITCH does (switch_separate_string): a '…' or "…"
    run stays one argument and loses its quotes, so `'say:Welcome to the hospital'` is a single prompt."""
    out: list[str] = []
    cur, quote, started = "", "", False
    for c in arg or "":
        if quote:
            if c == quote:
                quote = ""
            else:
                cur += c
        elif c in "'\"":
            quote, started = c, True
        elif c in " \t":
            if started:
                out.append(cur)
            cur, started = "", False
        else:
            cur += c
            started = True
    if started:
        out.append(cur)
    return out


async def app_eavesdrop(ch: Channel, arg: str):
    """``eavesdrop <uuid>`` (mod_dptools): hear the target's call until either side hangs up. The mode is
    what the real app reads: ``eavesdrop_whisper_aleg`` speaks to the target, ``eavesdrop_whisper_bleg``
    to its peer; DTMF 2 / 1 / 3 / 0 switch to whisper / the other half / three-way / listen when
    ``eavesdrop_enable_dtmf`` is true. The simulator keeps the mode in ``eavesdrop_mode`` for tests."""
    import asyncio

    target = ch.core.get(arg.strip())
    if target is None or not target.alive:
        return None
    aleg = ch.vars.get("eavesdrop_whisper_aleg") == "true"
    bleg = ch.vars.get("eavesdrop_whisper_bleg") == "true"
    ch.vars["eavesdrop_target"] = target.uuid
    ch.vars["eavesdrop_mode"] = "barge" if aleg and bleg else "whisper" if aleg or bleg else "listen"
    modes = {"2": "whisper", "1": "whisper_other", "3": "barge", "0": "listen"}
    gone = asyncio.ensure_future(target.hungup.wait())
    try:
        while ch.alive and target.alive:
            waiting = asyncio.ensure_future(ch.wait(None, dtmf=True))
            await asyncio.wait([waiting, gone], return_when=asyncio.FIRST_COMPLETED)
            if waiting.done() and waiting.result() == "dtmf":
                digit = ch.dtmf.get_nowait()
                if ch.vars.get("eavesdrop_enable_dtmf") == "true":
                    ch.vars["eavesdrop_mode"] = modes.get(digit, ch.vars["eavesdrop_mode"])
            elif not waiting.done():
                waiting.cancel()
            ch.broken = False
    finally:
        gone.cancel()
    return None


def _int(v, default):
    try:
        return int(str(v).strip())
    except ValueError:
        return default


APPS = {
    "answer": app_answer, "pre_answer": app_pre_answer, "ring_ready": app_ring_ready, "park": app_park,
    "sleep": app_sleep, "playback": app_playback, "set": app_set, "export": app_export, "hangup": app_hangup,
    "log": app_log, "transfer": app_transfer, "sched_hangup": app_sched_hangup,
    "play_and_get_digits": app_play_and_get_digits, "read": app_read, "record": app_record,
    "bridge": app_bridge, "uuid_bridge": app_uuid_bridge, "conference": app_conference, "socket": app_socket,
    "endless_playback": app_endless_playback, "eavesdrop": app_eavesdrop,
}  # fmt: skip
