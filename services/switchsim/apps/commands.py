"""api / bgapi commands (mod_commands subset) with the reply texts of FreeSWITCH 1.11.2 (design §7)."""

from __future__ import annotations

import asyncio
import json
import re
import time

from ..model import scheduler
from ..model.legs import OriginateError
from ..model.media_bugs import start_session_record, stop_session_record
from . import broadcast, hold
from .args import split_args
from .conference import conference_api
from .originate import originate_leg, run_originated

VERSION = "FreeSWITCH Version 1.11.2-release~64bit ( 64bit)\n"
NO_CHANNEL = "-ERR No such channel!\n"

SHOW_COLS = ("uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,"
             "application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,"
             "write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,"
             "callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,"
             "initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context"
             ).split(",")  # fmt: skip


async def run_api(core, line: str, link=None) -> str:
    word, _, args = line.strip().partition(" ")
    fn = COMMANDS.get(word)
    if fn is None:
        return f"-ERR {word} Command not found!\n"
    try:
        return await fn(core, args.strip())
    except Exception as e:  # a broken command must not kill the link
        return f"-ERR {type(e).__name__}: {e}\n"


async def api_version(core, a):
    return VERSION


async def api_status(core, a):
    up = int(time.monotonic() - core._t0_mono)
    n = len(core.channels)
    return (f"UP 0 years, 0 days, 0 hours, {up // 60} minutes, {up % 60} seconds, 0 milliseconds, "
            f"0 microseconds\nFreeSWITCH (Version 1.11.2-release~64bit  64bit) is ready\n"
            f"{core.session_count} session(s) since startup\n{n} session(s) - peak {n}, last 5min {n}\n"
            f"0 session(s) per Sec out of max 30, peak 0, last 5min 0\n1000 session(s) max\n"
            f"min idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n")  # fmt: skip


def _row(ch) -> dict[str, str]:
    return {
        "uuid": ch.uuid, "direction": ch.direction,
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ch.t_created)),
        "created_epoch": str(int(ch.t_created)), "name": ch.name, "state": ch.state,
        "cid_name": ch.cid_name, "cid_num": ch.cid_num, "ip_addr": "127.0.0.1", "dest": ch.dest,
        "application": ch.vars.get("current_application", ""),
        "application_data": ch.vars.get("current_application_data", ""), "dialplan": "XML",
        "context": ch.context, "read_codec": "PCMU" if ch.codec else "",
        "read_rate": "8000" if ch.codec else "", "read_bit_rate": "64000" if ch.codec else "",
        "write_codec": "PCMU" if ch.codec else "", "write_rate": "8000" if ch.codec else "",
        "write_bit_rate": "64000" if ch.codec else "", "secure": "", "hostname": "vm",
        "presence_id": ch.vars.get("presence_id", ""), "presence_data": "", "accountcode": "",
        "callstate": ch.callstate, "callee_name": "", "callee_num": "", "callee_direction": "",
        "call_uuid": ch.uuid, "sent_callee_name": "", "sent_callee_num": "", "initial_cid_name": ch.cid_name,
        "initial_cid_num": ch.cid_num, "initial_ip_addr": "127.0.0.1", "initial_dest": ch.dest,
        "initial_dialplan": "XML", "initial_context": ch.context,
    }  # fmt: skip


async def api_show(core, a):
    words = a.split()
    if words[:1] == ["tasks"]:
        return core.scheduler.show()
    if not words or words[0] not in ("channels", "calls"):
        return "-USAGE: show channels|calls [as json]\n"
    chans = [c for c in core.channels.values() if c.state not in ("CS_REPORTING", "CS_DESTROY")]
    rows = [_row(c) for c in chans]
    if "json" in words:
        if not rows:
            return '{"row_count": 0}'
        return json.dumps({"row_count": len(rows), "rows": rows}, indent=1)
    lines = [",".join(SHOW_COLS)] + [",".join(r[c] for c in SHOW_COLS) for r in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def _chan(core, a):
    return core.get(a.split()[0]) if a.split() else None


async def api_uuid_exists(core, a):
    return "true" if _chan(core, a) else "false"


async def api_uuid_kill(core, a):
    ch = _chan(core, a)
    if ch is None:
        return NO_CHANNEL
    parts = a.split()
    ch.hangup(parts[1] if len(parts) > 1 else "NORMAL_CLEARING")
    return "+OK\n"


async def api_uuid_getvar(core, a):
    parts = a.split()
    ch = _chan(core, a)
    if ch is None or len(parts) < 2:
        return NO_CHANNEL
    return ch.vars.get(parts[1], "_undef_")


async def api_uuid_setvar(core, a):
    parts = a.split(None, 2)
    ch = _chan(core, a)
    if ch is None or len(parts) < 2:
        return NO_CHANNEL
    if len(parts) == 3:
        ch.vars[parts[1]] = parts[2]
    else:
        ch.vars.pop(parts[1], None)
    return "+OK\n"


async def api_uuid_send_dtmf(core, a):
    parts = a.split()
    ch = _chan(core, a)
    if ch is None or len(parts) < 2:
        return NO_CHANNEL
    digits = parts[1].split("@")[0]
    ch.send_dtmf(digits)
    return f"+OK {ch.uuid} sent DTMF {digits}.\n"


async def api_uuid_bridge(core, a):
    parts = a.split()
    if len(parts) < 2:
        return "-USAGE: <uuid> <other_uuid>\n"
    x, y = core.get(parts[0]), core.get(parts[1])
    if x is None or y is None:
        return "-ERR Invalid uuid\n" if x is None else f"-ERR no such channel {parts[1]}\n"
    x.vars["_uuid_bridge_role"] = "a"
    # The real switch swaps caller profiles at once: UNPARK already carries Other-Leg-* (trace e).
    x.other, y.other = y, x
    for leg in (x, y):
        if leg.vars.get("_socket_parked") != "1":
            leg.next_state = "CS_HIBERNATE"  # its park ends towards CS_HIBERNATE (trace e: UNPARK reads 8)
    core.interrupt_with(x, "uuid_bridge", y.uuid)
    core.interrupt_with(y, "uuid_bridge", x.uuid)
    return f"+OK {y.uuid}\n"


async def api_uuid_transfer(core, a):
    """``uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan>] [<context>]``; the dialplan `inline` runs
    `app:arg,app:arg` instead of a look-up. Arguments split as switch_separate_string does (quotes)."""
    parts = split_args(a)
    ch = core.get(parts[0]) if parts else None
    if ch is None or len(parts) < 2:
        return NO_CHANNEL
    rest = parts[1:]
    leg = "-aleg"
    if rest[0] in ("-bleg", "-both", "-aleg"):
        leg = rest.pop(0)
    dest = rest[0] if rest else ""
    dialplan = rest[1] if len(rest) > 1 else "XML"
    ctx = rest[2] if len(rest) > 2 else "default"
    targets = {"-aleg": [ch], "-bleg": [ch.other], "-both": [ch, ch.other]}[leg]
    if leg == "-both" and ch.other is not None and ch.vars.get("_bridged") == "1":
        # Both legs leave the bridge together and both run the destination: neither is hung up.
        ch.unbridge(hang_up_peer=False)
    for t in [t for t in targets if t is not None]:
        _transfer(core, t, dest, ctx, dialplan)
    return "+OK\n"


def _transfer(core, ch, dest, ctx, dialplan="XML"):
    peer = ch.other if ch.vars.get("_bridged") == "1" else None
    if peer is not None:
        if peer.vars.get("current_application") == "bridge":
            # The bridge's owner leaves it (UNBRIDGE, its bridge completes) and its dialplan goes on: an
            # `&bridge(...)` with nothing after it hangs up (transfer_inline_bleg capture).
            peer.unbridge(hang_up_peer=False)
            peer.broken = True
            peer.wake.set()
        else:
            ch.unbridge(hang_up_peer=False)
            peer.hangup("NORMAL_CLEARING")
    ch.next_state = "CS_ROUTING"  # what the current application ends towards (transfer captures)
    ch.apps.clear()
    ch.transfer_to = (dest, ctx, dialplan)
    ch.broken = True
    ch.wake.set()
    if ch.socket_link is not None:
        ch.socket_link.release_for_transfer()


async def api_uuid_broadcast(core, a):
    """``uuid_broadcast <uuid> <path|app::arg> [aleg|bleg|both]``: played inside what the leg is doing
    (see broadcast.py); no leg word means aleg (with holdb, not modelled)."""
    parts = a.split()
    if len(parts) < 2:
        return "-USAGE: <uuid> <path> [aleg|bleg|both]\n"
    ch = core.get(parts[0])
    if ch is None:
        return "-ERR invalid uuid\n"
    legs = parts[2].lower() if len(parts) > 2 else "aleg"
    targets = []
    if "aleg" in legs or "both" in legs:
        targets.append(ch)
    if ("bleg" in legs or "both" in legs) and hold.partner(ch) is not None:
        targets.append(hold.partner(ch))
    for target in targets:
        broadcast.start(target, parts[1])
    return "+OK Message sent\n"


async def api_uuid_break(core, a):
    """``uuid_break <uuid> [all|both]``: stops a running broadcast if there is one, else breaks the
    current media application (mod_commands break_function)."""
    ch = _chan(core, a)
    if ch is None:
        return NO_CHANNEL
    if broadcast.stop_all(ch):
        return "+OK\n"
    if ch.state in ("CS_EXECUTE", "CS_SOFT_EXECUTE") and ch.vars.get("current_application") in BREAKABLE:
        ch.broken = True
        ch.wake.set()
    return "+OK\n"


BREAKABLE = {"playback", "sleep", "endless_playback", "play_and_get_digits", "record", "read", "speak"}


async def api_uuid_recv_dtmf(core, a):
    """``uuid_recv_dtmf <uuid> <digits>``: digits as if the leg's own far end sent them."""
    parts = a.split()
    if len(parts) < 2:
        return "-USAGE: <uuid> <dtmf_data>\n"
    ch = core.get(parts[0])
    if ch is None:
        return "-ERR Cannot locate session!\n"
    ch.recv_dtmf(parts[1].split("@")[0])
    return f"+OK {ch.uuid} received DTMF {parts[1]}.\n"


async def api_uuid_park(core, a):
    ch = _chan(core, a)
    if ch is None:
        return NO_CHANNEL
    core.interrupt_with(ch, "park", "")
    return "+OK\n"


async def api_uuid_record(core, a):
    parts = a.split()
    ch = _chan(core, a)
    if ch is None or len(parts) < 3:
        return "-ERR Cannot locate session!\n" if ch is None else "-USAGE: <uuid> [start|stop] <path>\n"
    action, path = parts[1], parts[2]
    if action == "start":
        start_session_record(ch, path)
        return "+OK Success\n"
    if action == "stop":
        paths = list(ch.recordings) if path == "all" else [path] if path in ch.recordings else []
        for p in paths:
            stop_session_record(ch, p)
        return "+OK Success\n" if paths else "-ERR Cannot locate recording!\n"
    return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n"


async def api_uuid_hold(core, a):
    """``uuid_hold [off|toggle] <uuid> [<display>]`` (mod_commands): see hold.py."""
    parts = a.split()
    if not parts:
        return "-USAGE: [off|toggle] <uuid> [<display>]\n"
    mode = parts[0].lower() if parts[0].lower() in ("off", "toggle") else "on"
    ch = core.get(parts[1] if mode != "on" and len(parts) > 1 else parts[0])
    if ch is None:
        return "+OK Success\n"  # switch_ivr_hold_uuid: no such session leaves its status at SUCCESS
    if mode == "on":
        done = hold.hold(ch)
    else:
        done = await (hold.unhold(ch) if mode == "off" else hold.toggle(ch))
    return "+OK Success\n" if done else "-ERR Operation failed\n"


async def api_originate(core, a):
    parts = a.split(None, 1)
    if len(parts) < 2:
        return "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>]\n"
    try:
        leg = await originate_leg(core, parts[0])
    except OriginateError as e:
        return f"-ERR {e.cause}\n"
    await run_originated(core, leg, parts[1])
    return f"+OK {leg.uuid}\n"


async def api_sched_hangup(core, a):
    """``sched_hangup [+]<time> <uuid> [<cause>]`` as FreeSWITCH 1.10 does it: each call ADDS a task to the
    scheduler in the group named by the uuid (an earlier one is not replaced, so the earliest fires);
    ``+0`` hangs up at once; ``sched_del <uuid>`` removes the group."""
    parts = a.split()
    if len(parts) < 2:
        return "-USAGE: [+]<time> <uuid> [<cause>]\n"
    when, uuid = parts[0], parts[1]
    cause = parts[2] if len(parts) > 2 else "ALLOTTED_TIMEOUT"
    secs = float(when.lstrip("+") or 0)
    if not when.startswith("+"):
        secs = max(0.0, secs - time.time())
    ch = core.get(uuid)
    if ch is None:
        return NO_CHANNEL
    if when.startswith("+") and secs == 0:
        ch.hangup(cause)
        return "+OK\n"

    scheduler.add_task(core, uuid, secs, lambda: _hangup_if_there(core, uuid, cause))
    return "+OK\n"


def _hangup_if_there(core, uuid: str, cause: str) -> None:
    target = core.get(uuid)
    if target is not None:
        target.hangup(cause)


async def api_sched_del(core, a):
    """``sched_del <task id|group>``: a number is a task id, anything else a group."""
    group = a.strip()
    if not group:
        return "-ERR Invalid syntax\n"
    return f"+OK Deleted: {scheduler.delete_group(core, group)}\n"


async def api_conference(core, a):
    return await conference_api(core, a)


async def api_hupall(core, a):
    parts = a.split()
    cause = parts[0] if parts else "MANAGER_REQUEST"
    for ch in list(core.channels.values()):
        if len(parts) >= 3 and ch.vars.get(parts[1]) != parts[2]:
            continue
        ch.hangup(cause)
    return "+OK\n"


async def api_msleep(core, a):
    try:
        ms = int(a or 0)
    except ValueError:
        ms = 0
    await asyncio.sleep(ms / 1000.0)  # real time: it exists to hold the link (design §2)
    return "+OK\n"


async def api_eval(core, a):
    def sub(m):
        key = m.group(1)
        return core.config.global_vars.get(key, "")

    return re.sub(r"\$\$?\{([^}]+)\}", sub, a)


async def api_global_getvar(core, a):
    if not a:
        return "".join(f"{k}={v}\n" for k, v in core.config.global_vars.items())
    return core.config.global_vars.get(a, "")


async def api_hostname(core, a):
    return "vm"


COMMANDS = {
    "version": api_version, "status": api_status, "show": api_show, "uuid_exists": api_uuid_exists,
    "uuid_kill": api_uuid_kill, "uuid_getvar": api_uuid_getvar, "uuid_setvar": api_uuid_setvar,
    "uuid_send_dtmf": api_uuid_send_dtmf, "uuid_bridge": api_uuid_bridge,
    "uuid_transfer": api_uuid_transfer, "uuid_broadcast": api_uuid_broadcast, "uuid_break": api_uuid_break,
    "uuid_recv_dtmf": api_uuid_recv_dtmf,
    "uuid_park": api_uuid_park, "uuid_record": api_uuid_record, "uuid_hold": api_uuid_hold,
    "originate": api_originate, "sched_hangup": api_sched_hangup, "sched_del": api_sched_del,
    "conference": api_conference, "hupall": api_hupall, "msleep": api_msleep,
    "eval": api_eval, "global_getvar": api_global_getvar, "hostname": api_hostname,
}  # fmt: skip
