"""Dialplan applications (mod_dptools subset): call control, variables, transfer, eavesdrop (design §7).
Media applications are in media.py, bridge/originate in originate.py, conference in conference.py."""

from __future__ import annotations

import asyncio

from ..model import media_bugs, scheduler
from ..model.channel import Channel
from .args import split_args, to_int


async def app_answer(ch: Channel, arg: str):
    ch.mark_answered()


async def app_pre_answer(ch: Channel, arg: str):
    ch.pre_answer()


async def app_ring_ready(ch: Channel, arg: str):
    if ch.callstate == "DOWN":
        ch.set_callstate("RINGING")


async def app_park(ch: Channel, arg: str):
    """Parked until hangup, a transfer or an application put in front of it (uuid_bridge, uuid_park);
    uuid_break and broadcasts run inside it and do not end it (broadcast_parked capture)."""
    ch.fire("CHANNEL_PARK")
    while ch.alive:
        await ch.wait(None)
        if ch.apps or ch.transfer_to is not None:
            break
        ch.broken = False
    ch.fire("CHANNEL_UNPARK")


async def app_sleep(ch: Channel, arg: str):
    await ch.wait(to_int(arg, 0) / 1000.0)


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


async def app_unset(ch: Channel, arg: str):
    ch.vars.pop(arg.strip(), None)


async def app_multiset(ch: Channel, arg: str):
    for item in split_args(arg):
        await app_set(ch, item)


async def app_info(ch: Channel, arg: str):
    return None  # logs the channel's data on the real switch


async def app_hangup(ch: Channel, arg: str):
    ch.hangup(arg or "NORMAL_CLEARING")


async def app_log(ch: Channel, arg: str):
    return None


async def app_transfer(ch: Channel, arg: str):
    """``transfer <dest> [<dialplan> [<context>]]``; dialplan `inline` runs `app:arg,…` directly."""
    parts = split_args(arg)
    dialplan = parts[1] if len(parts) > 1 else "XML"
    ch.transfer_to = (parts[0] if parts else "", parts[2] if len(parts) > 2 else "default", dialplan)
    ch.apps.clear()


async def app_sched_hangup(ch: Channel, arg: str):
    parts = split_args(arg)
    if parts:
        secs = to_int(parts[0].lstrip("+"), 0)
        cause = parts[1] if len(parts) > 1 else "ALLOTTED_TIMEOUT"
        # The application adds a task to the uuid's group like the api does (sched_del drops it).
        scheduler.add_task(ch.core, ch.uuid, secs, lambda: ch.hangup(cause))


async def app_eavesdrop(ch: Channel, arg: str):
    """``eavesdrop <uuid>`` (mod_dptools): hear the target's call until either side hangs up. The mode is
    what the real app reads: ``eavesdrop_whisper_aleg`` speaks to the target, ``eavesdrop_whisper_bleg``
    to its peer; DTMF 2 / 1 / 3 / 0 switch to whisper / the other half / three-way / listen when
    ``eavesdrop_enable_dtmf`` is true. The simulator keeps the mode in ``eavesdrop_mode`` for tests."""
    target = ch.core.get(arg.strip())
    if target is None or not target.alive:
        return None
    aleg = ch.vars.get("eavesdrop_whisper_aleg") == "true"
    bleg = ch.vars.get("eavesdrop_whisper_bleg") == "true"
    ch.vars["eavesdrop_target"] = target.uuid
    ch.vars["eavesdrop_mode"] = "barge" if aleg and bleg else "whisper" if aleg or bleg else "listen"
    modes = {"2": "whisper", "1": "whisper_other", "3": "barge", "0": "listen"}
    gone = asyncio.ensure_future(target.hungup.wait())
    media_bugs.eavesdrop_started(target)
    ch.fire("CALL_UPDATE", pre=[("Direction", "RECV")])  # the listener's display update (record_eavesdrop)
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
        if not target.destroyed.is_set():  # the bug closes as the eavesdrop (or the target) ends
            media_bugs.eavesdrop_stopped(target)
    return None


APPS = {
    "answer": app_answer, "pre_answer": app_pre_answer, "ring_ready": app_ring_ready, "park": app_park,
    "sleep": app_sleep, "set": app_set, "export": app_export, "hangup": app_hangup, "log": app_log,
    "transfer": app_transfer, "sched_hangup": app_sched_hangup, "eavesdrop": app_eavesdrop,
    "unset": app_unset, "multiset": app_multiset, "info": app_info,
}  # fmt: skip
