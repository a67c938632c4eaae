"""Hold as FreeSWITCH 1.11.2 does it (switch_ivr_hold / switch_ivr_unhold, mod_sofia; issue 8).

`uuid_hold <uuid>` holds THAT leg: mod_sofia re-INVITEs its phone and sets CF_LEG_HOLDING, which moves an
answered leg's call state to HELD; then the leg's own hold music (`temp_hold_music`, else `hold_music`,
each falling back to the global variable) is broadcast, looping, to its bridge partner; then
CHANNEL_HOLD fires (the partner's playback starts ~200 ms later, in its own thread). No music set: the
partner hears nothing (dead air). `uuid_hold off` clears CF_LEG_HOLDING (call state UNHELD), stops the
partner's broadcast and waits for it to end, then fires CHANNEL_UNHOLD; the leg's next media frame turns
UNHELD into ACTIVE. Captured on 1.11.2 (tests/data/fs-traces-local/hold_*): with music, ACTIVE comes
before the partner's PLAYBACK_STOP and CHANNEL_UNHOLD (the wait lets a frame through); without, after.
The order of these steps is data (HOLD_STEPS, UNHOLD_STEPS) so a captured transcript can reorder them
without touching the code."""

from __future__ import annotations

import re

from . import broadcast, sounds

# switch_ivr_hold: receive_message(INDICATE_HOLD) -> CALLSTATE HELD; broadcast music; CHANNEL_HOLD.
HOLD_STEPS = ("callstate", "music", "event")
# switch_ivr_unhold: receive_message(INDICATE_UNHOLD) -> CALLSTATE UNHELD; stop the partner's music and
# wait for it; CHANNEL_UNHOLD; the next frame read: UNHELD -> ACTIVE (where it lands: captured).
UNHOLD_STEPS = ("callstate", "music", "event", "active")
UNHOLD_STEPS_WITH_MUSIC = ("callstate", "active", "music", "event")
HELD, UNHELD = "HELD", "UNHELD"


def partner(ch):
    """switch_channel_get_partner_uuid: the leg it is bridged to, if any."""
    other = ch.other
    if other is not None and ch.vars.get("_bridged") == "1" and other.alive:
        return other
    return None


def hold_music(ch) -> str | None:
    """switch_channel_get_hold_music: temp_hold_music, else hold_music (channel, then global), expanded."""
    music = sounds.variable(ch, "temp_hold_music") or sounds.variable(ch, "hold_music")
    if not music:
        return None
    return re.sub(r"\$\{([^}]+)\}", lambda m: sounds.variable(ch, m.group(1)) or "", music)


def hold(ch) -> bool:
    """False when the call is already held (the real switch refuses: "-ERR Operation failed")."""
    if ch.callstate == HELD:
        return False
    for step in HOLD_STEPS:
        if step == "callstate" and ch.answer_state == "answered":
            ch.t_last_hold = ch.core.now()
            ch.vars["last_hold_epoch"] = str(int(ch.t_last_hold))
            ch.set_callstate(HELD)
        elif step == "music":
            music, other = hold_music(ch), partner(ch)
            if music and other is not None:
                broadcast.start(other, music, loops=-1)
        elif step == "event":
            ch.fire("CHANNEL_HOLD")
    ch.vars["_held"] = "1"
    return True


async def unhold(ch) -> bool:
    if ch.callstate != HELD:
        return False
    other = partner(ch)
    music = other is not None and bool(other.broadcasts)
    for step in UNHOLD_STEPS_WITH_MUSIC if music else UNHOLD_STEPS:
        if step == "callstate":
            ch.hold_accum += ch.core.now() - ch.t_last_hold
            ch.set_callstate(UNHELD)
        elif step == "music" and other is not None:
            broadcast.stop_all(other)
            await broadcast.wait_stopped(other)
        elif step == "event":
            ch.fire("CHANNEL_UNHOLD")
        elif step == "active" and ch.alive and ch.callstate == UNHELD:
            ch.set_callstate("ACTIVE")
    ch.vars.pop("_held", None)
    return True


async def toggle(ch) -> bool:
    if ch.callstate in ("ACTIVE", UNHELD):
        return hold(ch)
    if ch.callstate == HELD:
        return await unhold(ch)
    return True
