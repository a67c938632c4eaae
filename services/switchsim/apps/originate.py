"""originate / bridge: outbound legs to loopback in the model and to whatever endpoint drivers are
registered on the core (`core.dialers`: phones today, Verto/WebRTC/fax later), design §7."""

from __future__ import annotations

import asyncio
import re

from ..model.channel import Channel
from ..model.legs import OriginateError, bridge_legs, dial_timeout, outbound_channel, parse_dialstring


async def originate_leg(core, dialstring: str, extra_vars: dict[str, str] | None = None,
                        caller: Channel | None = None) -> Channel:  # fmt: skip
    """Create an outbound leg and wait until it answers; raises OriginateError(cause)."""
    vars_, endpoint = parse_dialstring(dialstring)
    vars_ = {**(extra_vars or {}), **vars_}
    timeout = dial_timeout(vars_)
    uuid = vars_.pop("origination_uuid", None)
    cid = vars_.get("origination_caller_id_number") or (caller.cid_num if caller else "0000000000")
    cid_name = vars_.get("origination_caller_id_name") or (caller.cid_name if caller else cid)
    m = re.fullmatch(r"loopback/([^/]+)(?:/([^/]+))?", endpoint)
    if m:
        return await _loopback(core, m.group(1), m.group(2) or "default", uuid, cid, cid_name, vars_)
    for pattern, dial in core.dialers:
        m = re.fullmatch(pattern, endpoint)
        if m:
            return await dial(core, m, uuid, cid, cid_name, vars_, timeout)
    raise OriginateError("CHAN_NOT_IMPLEMENTED" if "/" in endpoint else "NO_ROUTE_DESTINATION")


async def _loopback(core, ext, ctx, uuid, cid, cid_name, vars_) -> Channel:
    if core.route(ext, ctx) is None:
        raise OriginateError("NO_ROUTE_DESTINATION")
    a = outbound_channel(core, f"loopback/{ext}-a", ext, uuid, cid, cid_name, vars_, "mod_loopback")
    b = Channel(core, f"loopback/{ext}-b", "inbound", cid, cid_name, ext, context=ctx, source="mod_loopback",
                presence=False)  # fmt: skip
    core.add(b)
    a.loop_peer, b.loop_peer = b, a
    b.vars["other_loopback_leg_uuid"] = a.uuid
    a.vars["other_loopback_leg_uuid"] = b.uuid
    answered = asyncio.get_running_loop().create_future()
    b.vars["_loopback_a"] = a.uuid

    def on_b_answer():
        a.mark_answered()
        if not answered.done():
            answered.set_result(True)

    b.on_answer_hook = on_b_answer
    task = core.start_routing(b)
    a.session_hint = task
    core.spawn(_loop_hangup_follow(a, b))
    hung = asyncio.ensure_future(b.hungup.wait())
    await asyncio.wait([answered, hung], return_when=asyncio.FIRST_COMPLETED)
    hung.cancel()
    if not answered.done():
        a.hangup(b.hangup_cause or "NORMAL_CLEARING")
        core.spawn(a.teardown())
        raise OriginateError(b.hangup_cause or "NORMAL_CLEARING")
    return a


async def _loop_hangup_follow(a: Channel, b: Channel) -> None:
    """Loopback legs hang up together."""
    w1 = asyncio.ensure_future(a.hungup.wait())
    w2 = asyncio.ensure_future(b.hungup.wait())
    await asyncio.wait([w1, w2], return_when=asyncio.FIRST_COMPLETED)
    await asyncio.sleep(0)
    for ch, other in ((a, b), (b, a)):
        if not ch.alive and other.alive:
            other.hangup(ch.hangup_cause or "NORMAL_CLEARING")
    w1.cancel()
    w2.cancel()


async def run_originated(core, leg: Channel, target: str) -> None:
    """After originate succeeded: `&app(args)` or `ext [XML] [context]`."""
    m = re.fullmatch(r"&([\w_]+)(?:\((.*)\))?", target.strip())
    if m:
        leg.fire("CALL_UPDATE", pre=[("Direction", "RECV")])
        leg.set_state("CS_EXECUTE")
        core.spawn(core.run_session(leg, [(m.group(1), m.group(2) or "")]))
        return
    parts = target.split()
    ext = parts[0] if parts else ""
    ctx = parts[2] if len(parts) > 2 else "default"
    leg.set_state("CS_ROUTING")
    leg.fire("CALL_UPDATE", pre=[("Direction", "RECV")])
    leg.dest, leg.context = ext, ctx
    route = core.route(ext, ctx)
    leg.set_state("CS_EXECUTE")
    actions = route.actions if route else [("hangup", "NO_ROUTE_DESTINATION")]
    core.spawn(core.run_session(leg, actions))


async def bridge_to_endpoint(ch: Channel, arg: str) -> str:
    """The `bridge` application: ring the endpoint(s) (`,` = simultaneous, `|` = sequential)."""
    core = ch.core
    cause = "NO_ROUTE_DESTINATION"
    for group in arg.split("|"):
        try:
            leg = await _first_answer(core, ch, group)
        except OriginateError as e:
            cause = e.cause
            continue
        if not ch.alive:
            leg.hangup("ORIGINATOR_CANCEL")
            core.spawn(leg.teardown())
            return None
        if ch.answer_state == "answered":
            # already answered (originate … &bridge): ring-back, then the bridge (hold_* captures)
            ch.set_callstate("RING_WAIT")
            ch.other = leg
            ch.set_callstate("ACTIVE")
        ch.mark_answered()
        bridge_legs(ch, leg)
        core.spawn(_wait_bridged_leg(leg))
        await _stay_bridged(ch)
        ch.unbridge()  # at hangup: UNBRIDGE before the bridge application completes (hold_* captures)
        return None
    ch.vars["originate_disposition"] = cause
    ch.vars["bridge_hangup_cause"] = cause
    ch.vars["DIALSTATUS"] = cause
    if ch.vars.get("continue_on_fail", "false") == "false" and ch.vars.get("hangup_after_bridge") != "false":
        if ch.vars.get("continue_on_fail") is None:
            ch.hangup(cause)
    return None


async def _first_answer(core, ch: Channel, group: str) -> Channel:
    gvars, rest = parse_dialstring(group)
    dials = [d for d in rest.split(",") if d.strip()]
    inherited = {"origination_caller_id_number": ch.cid_num, "origination_caller_id_name": ch.cid_name,
                 "_originator": ch.uuid}  # fmt: skip
    tasks = [asyncio.ensure_future(originate_leg(core, d, {**inherited, **gvars}, ch)) for d in dials]
    cause = "NO_ROUTE_DESTINATION"
    hang = asyncio.ensure_future(ch.hungup.wait())
    pending = set(tasks)
    try:
        while pending:
            done, pending = await asyncio.wait(pending | {hang}, return_when=asyncio.FIRST_COMPLETED)
            if hang in done:
                break
            pending.discard(hang)
            for t in done:
                if t.exception() is None:
                    winner = t.result()
                    for p in pending:
                        p.cancel()
                    return winner
                cause = getattr(t.exception(), "cause", cause)
        for p in pending:
            p.cancel()
        raise OriginateError("ORIGINATOR_CANCEL" if not ch.alive else cause)
    finally:
        hang.cancel()


async def _stay_bridged(ch: Channel) -> bool:
    """Wait while bridged; True when a transfer (uuid_transfer) takes the leg out of the bridge; False at
    hangup or when the other side left the bridge."""
    while ch.alive and ch.vars.get("_bridged") == "1":
        if await ch.wait(None) == "break" and ch.transfer_to is not None:
            return True
        ch.broken = False  # other interruptions wait until the bridge ends
    return ch.transfer_to is not None


async def _wait_bridged_leg(leg: Channel) -> None:
    """The B leg of a `bridge` has no session of its own until a transfer gives it one."""
    try:
        if await _stay_bridged(leg):
            await leg.core.run_session(leg, [])
    finally:
        if leg.uuid in leg.core.channels:
            await leg.teardown()


async def app_bridge(ch: Channel, arg: str):
    return await bridge_to_endpoint(ch, arg)


async def app_uuid_bridge(ch: Channel, arg: str):
    """Second half of api uuid_bridge, run by each leg after its parked app returned.

    Both legs walk to CS_SOFT_EXECUTE and announce uuid_bridge first; only then does the A leg
    bridge (CHANNEL_BRIDGE on A, CS_EXCHANGE_MEDIA on B, CALL_UPDATE on both), as in trace e.
    """
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


APPS = {"bridge": app_bridge, "uuid_bridge": app_uuid_bridge}
