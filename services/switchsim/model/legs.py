"""Legs: dial strings, outbound channels as originate creates them, and joining two legs in a bridge
(design §7). Endpoints (phones, later Verto/WebRTC/fax) build their legs with these."""

from __future__ import annotations

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


def dial_timeout(vars_: dict[str, str], default: float = 60.0) -> float:
    for k in ("originate_timeout", "call_timeout", "leg_timeout"):
        if k in vars_:
            try:
                return float(vars_[k])
            except ValueError:
                pass
    return default


def outbound_channel(core, name, dest, uuid, cid, cid_name, vars_, source) -> Channel:
    # a directory user's leg has a presence id (user/…, originate_user capture); a bare URI has none
    presence = "presence_id" in vars_
    ch = Channel(core, name, "outbound", cid, cid_name, dest, uuid=uuid, source=source, presence=presence)
    originator = vars_.pop("_originator", None)  # the leg whose bridge dials this one (Other-Leg-* at once)
    ch.other = core.get(originator) if originator else None
    ch.vars.update({k: v for k, v in vars_.items()})
    core.add(ch)
    ch.profile = True
    ch.state, ch.next_state = "CS_NONE", "CS_INIT"
    ch.fire("CHANNEL_OUTGOING", full=False)
    ch.set_state("CS_INIT")
    ch.next_state = "CS_ROUTING"
    ch.fire("CHANNEL_CREATE")
    ch.fire("CHANNEL_ORIGINATE")
    ch.set_state("CS_ROUTING")
    ch.next_state = "CS_CONSUME_MEDIA"
    ch.presence_in()
    ch.set_state("CS_CONSUME_MEDIA")
    return ch


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
