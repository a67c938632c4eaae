"""originate / bridge: outbound legs to loopback, simulated phones (`user/<ext>`), sofia URIs (design §7)."""

from __future__ import annotations

import asyncio
import re

from .channel import Channel


class OriginateError(Exception):
    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


def parse_dialstring(s: str) -> tuple[dict[str, str], str]:
    """`{a=1,b=2}endpoint` → ({a:1,b:2}, endpoint); `[..]` per-leg vars are merged the same way."""
    vars_: dict[str, str] = {}
    s = s.strip()
    while s[:1] in "{[<":
        close = {"{": "}", "[": "]", "<": ">"}[s[0]]
        end = s.index(close)
        for kv in _split_vars(s[1:end]):
            k, _, v = kv.partition("=")
            vars_[k.strip()] = v.strip().strip("'")
        s = s[end + 1 :]
    return vars_, s


def _split_vars(text: str) -> list[str]:
    out, cur, quote = [], "", False
    for c in text:
        if c == "'":
            quote = not quote
        if c == "," and not quote:
            out.append(cur)
            cur = ""
        else:
            cur += c
    if cur:
        out.append(cur)
    return out


def _timeout(vars_: dict[str, str], default: float = 60.0) -> float:
    for k in ("originate_timeout", "call_timeout", "leg_timeout"):
        if k in vars_:
            try:
                return float(vars_[k])
            except ValueError:
                pass
    return default


async def originate_leg(core, dialstring: str, extra_vars: dict[str, str] | None = None,
                        caller: Channel | None = None) -> Channel:  # fmt: skip
    """Create an outbound leg and wait until it answers; raises OriginateError(cause)."""
    vars_, endpoint = parse_dialstring(dialstring)
    vars_ = {**(extra_vars or {}), **vars_}
    timeout = _timeout(vars_)
    uuid = vars_.pop("origination_uuid", None)
    cid = vars_.get("origination_caller_id_number") or (caller.cid_num if caller else "0000000000")
    cid_name = vars_.get("origination_caller_id_name") or (caller.cid_name if caller else cid)
    m = re.fullmatch(r"loopback/([^/]+)(?:/([^/]+))?", endpoint)
    if m:
        return await _loopback(core, m.group(1), m.group(2) or "default", uuid, cid, cid_name, vars_)
    m = re.fullmatch(r"user/([^@]+)(?:@.*)?", endpoint)
    if m:
        ext = m.group(1)
        phone = core.sim.phones.get(ext) if core.sim else None
        if phone is None:
            raise OriginateError("USER_NOT_REGISTERED")
        beh = phone.take_behaviour()
        if beh.mode == "unregistered":
            raise OriginateError("USER_NOT_REGISTERED")
        name = phone.channel_name()
        return await _ring_phone(core, name, ext, uuid, cid, cid_name, vars_, beh, timeout, phone)
    m = re.fullmatch(r"(sofia/[^/]+/|verto\.rtc/)([^@]+)(@.*)?", endpoint)
    if m:
        ext = m.group(2)
        phone = core.sim.phones.get(ext) if core.sim else None
        from .phones import PhoneBehaviour

        beh = phone.behaviour if phone else PhoneBehaviour(answer_after=0.5)
        return await _ring_phone(core, endpoint, ext, uuid, cid, cid_name, vars_, beh, timeout, phone)
    raise OriginateError("CHAN_NOT_IMPLEMENTED" if "/" in endpoint else "NO_ROUTE_DESTINATION")


def _outbound_channel(core, name, dest, uuid, cid, cid_name, vars_, source) -> Channel:
    ch = Channel(core, name, "outbound", cid, cid_name, dest, uuid=uuid, source=source, presence=False)
    ch.vars.update({k: v for k, v in vars_.items()})
    core.add(ch)
    ch.profile = True
    ch.state = "CS_NONE"
    ch.fire("CHANNEL_OUTGOING", full=False)
    ch.set_state("CS_INIT")
    ch.fire("CHANNEL_CREATE")
    ch.fire("CHANNEL_ORIGINATE")
    ch.set_state("CS_ROUTING")
    ch.set_state("CS_CONSUME_MEDIA")
    return ch


async def _loopback(core, ext, ctx, uuid, cid, cid_name, vars_) -> Channel:
    if core.route(ext, ctx) is None:
        raise OriginateError("NO_ROUTE_DESTINATION")
    a = _outbound_channel(core, f"loopback/{ext}-a", ext, uuid, cid, cid_name, vars_, "mod_loopback")
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


async def _ring_phone(core, name, ext, uuid, cid, cid_name, vars_, beh, timeout, phone) -> Channel:
    ch = _outbound_channel(core, name, ext, uuid, cid, cid_name, vars_, "mod_sofia")
    ch.phone = phone
    try:
        return await _ring(core, ch, beh, timeout, phone)
    except asyncio.CancelledError:
        if ch.hangup("LOSE_RACE"):
            core.spawn(ch.teardown())
        raise


async def _ring(core, ch, beh, timeout, phone) -> Channel:
    if phone is not None:
        phone.ringing(ch)
    if beh.mode == "busy":
        await core.sleep(0.05)
        ch.hangup("USER_BUSY")
        core.spawn(ch.teardown())
        raise OriginateError("USER_BUSY")
    ch.fire("CHANNEL_PROGRESS")
    ch.set_callstate("RINGING")
    if beh.mode == "reject":
        await core.sleep(min(beh.answer_after, timeout))
        ch.hangup("CALL_REJECTED")
        core.spawn(ch.teardown())
        raise OriginateError("CALL_REJECTED")
    wait = None if beh.mode == "ring" else beh.answer_after
    if wait is None or wait >= timeout:
        r = await ch.wait(timeout)
        cause = "NO_ANSWER" if r == "timeout" else (ch.hangup_cause or "ORIGINATOR_CANCEL")
        ch.hangup(cause)
        core.spawn(ch.teardown())
        raise OriginateError(cause)
    r = await ch.wait(wait)
    if r == "hangup":
        core.spawn(ch.teardown())
        raise OriginateError(ch.hangup_cause or "ORIGINATOR_CANCEL")
    ch.codec = True
    ch.talk_time = beh.talk_time
    ch.mark_answered()
    if phone is not None:
        phone.answered(ch)
    return ch


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


def bridge_legs(a: Channel, b: Channel, a_state: str | None = "CS_EXCHANGE_MEDIA") -> None:
    now = a.core.now()
    a.other, b.other = b, a
    a.t_bridged = b.t_bridged = now
    for x, y in ((a, b), (b, a)):
        x.vars.update({"bridge_uuid": y.uuid, "last_bridge_to": y.uuid, "bridge_channel": y.name,
                       "signal_bond": y.uuid, "_bridged": "1"})  # fmt: skip
        x.bridged_to_history.append(y.uuid)
    a.fire("CHANNEL_BRIDGE", pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
    if b.state != "CS_EXCHANGE_MEDIA":
        b.set_state("CS_EXCHANGE_MEDIA")
    pre = [("Direction", "SEND"), ("Sent-Callee-ID-Name", b.cid_name), ("Sent-Callee-ID-Number", b.cid_num),
           ("Bridged-To", b.uuid)]  # fmt: skip
    a.fire("CALL_UPDATE", pre=pre)
    b.fire("CALL_UPDATE", pre=[("Direction", "RECV"), ("Bridged-To", a.uuid)])
    if a.core.sim is not None:
        a.core.sim.on_bridge(a, b)


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
        ch.mark_answered()
        bridge_legs(ch, leg)
        core.spawn(_wait_bridged_leg(leg))
        await ch.hungup.wait()
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
    inherited = {"origination_caller_id_number": ch.cid_num, "origination_caller_id_name": ch.cid_name}
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


async def _wait_bridged_leg(leg: Channel) -> None:
    try:
        await leg.hungup.wait()
    finally:
        if leg.uuid in leg.core.channels:
            await leg.teardown()
