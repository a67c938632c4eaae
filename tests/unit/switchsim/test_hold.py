"""uuid_hold as FreeSWITCH 1.11.2 does it (switch_ivr_hold/unhold, mod_sofia; issue 8, design §7): the held
leg goes HELD and ITS hold_music plays, looping, to its bridge PARTNER; no hold_music is dead air.

The expected event orders below are those of the real captures tests/data/fs-traces-local/hold_music and
hold_no_music (replayed whole by tests/integration/switchsim/test_local_traces.py); the simulator's order
lives in careline.switchsim.apps.hold.HOLD_STEPS / UNHOLD_STEPS(_WITH_MUSIC)."""

from __future__ import annotations

from careline.switchsim import CallerScript, PhoneBehaviour, Switch, SwitchConfig
from careline.switchsim.api import run_api

from ._recorder import SCALE, Recorder

MOH = "local_stream://moh"
PLAN = [("6000", [("answer", ""), ("bridge", "user/2001")])]
# On the held leg: (event, Channel-Call-State, Original-Channel-Call-State).
HELD_LEG_ON_HOLD = [("CHANNEL_CALLSTATE", "HELD", "ACTIVE"), ("CHANNEL_HOLD", "HELD", None)]
# with music playing to the partner, the unhold waits for it to stop: a frame turns UNHELD into ACTIVE first
HELD_LEG_ON_UNHOLD_MUSIC = [("CHANNEL_CALLSTATE", "UNHELD", "HELD"),
                            ("CHANNEL_CALLSTATE", "ACTIVE", "UNHELD"),
                            ("CHANNEL_UNHOLD", "ACTIVE", None)]  # fmt: skip
HELD_LEG_ON_UNHOLD_SILENT = [("CHANNEL_CALLSTATE", "UNHELD", "HELD"), ("CHANNEL_UNHOLD", "UNHELD", None),
                             ("CHANNEL_CALLSTATE", "ACTIVE", "UNHELD")]  # fmt: skip
HOLD_EVENTS = {"CHANNEL_CALLSTATE", "CHANNEL_HOLD", "CHANNEL_UNHOLD"}


class Call:
    def __init__(self, sw: Switch, rec: Recorder, caller: str):
        self.sw, self.rec = sw, rec
        self.caller = sw.core.get(caller)
        self.agent = sw.core.get(sw.calls[caller].bridged_uuid)

    async def api(self, cmd: str) -> str:
        return await run_api(self.sw.core, cmd)

    def mark(self) -> int:
        return len(self.rec.events)

    def since(self, mark: int, uuid: str, names=None) -> list:
        mine = [e for e in self.rec.events[mark:] if e.get("Unique-ID") == uuid]
        return [e for e in mine if not names or e.name in names]

    def hold_events(self, mark: int, uuid: str) -> list[tuple]:
        return [(e.name, e.get("Channel-Call-State"), e.get("Original-Channel-Call-State"))
                for e in self.since(mark, uuid, HOLD_EVENTS)]  # fmt: skip


async def _bridged(**config) -> Call:
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=PLAN, **config))
    rec = Recorder()
    sw.core.listeners.add(rec)
    sw.add_phone("2001", PhoneBehaviour(answer_after=0.2))
    uuid = await sw.place_call("1001", "6000", CallerScript([CallerScript.wait(1000)]))
    assert await sw.wait_call_event(uuid, "bridged", 10)
    return Call(sw, rec, uuid)


async def test_holding_the_agent_leg_plays_its_hold_music_to_the_caller_until_unhold():
    call = await _bridged()
    try:
        assert await call.api(f"uuid_setvar {call.agent.uuid} hold_music {MOH}") == "+OK\n"
        mark = call.mark()
        assert await call.api(f"uuid_hold {call.agent.uuid}") == "+OK Success\n"
        assert call.hold_events(mark, call.agent.uuid) == HELD_LEG_ON_HOLD
        assert call.agent.callstate == "HELD" and call.caller.callstate == "ACTIVE"
        await call.sw.core.sleep(0.5)
        assert call.caller.hearing == MOH and call.agent.hearing is None
        assert call.sw.hearing(call.caller.uuid) == MOH and call.sw.hearing("gone") is None
        played = call.since(mark, call.caller.uuid, {"CHANNEL_EXECUTE", "PLAYBACK_START"})
        assert [(e.name, e.get("Application-Data") or e.get("Playback-File-Path")) for e in played] == [
            ("CHANNEL_EXECUTE", MOH), ("PLAYBACK_START", MOH)]  # fmt: skip
        mark = call.mark()
        assert await call.api(f"uuid_hold off {call.agent.uuid}") == "+OK Success\n"
        assert call.hold_events(mark, call.agent.uuid) == HELD_LEG_ON_UNHOLD_MUSIC
        await call.sw.core.sleep(0.5)
        assert call.caller.hearing is None
        stops = call.since(mark, call.caller.uuid, {"PLAYBACK_STOP"})
        assert [e.get("Playback-File-Path") for e in stops] == [MOH]
        assert call.caller.alive and call.agent.alive  # the bridge goes on
    finally:
        await call.sw.stop()


async def test_holding_a_leg_with_no_hold_music_gives_its_partner_dead_air():
    """Issue 8: holding the caller's leg (nobody set hold_music on it) played nothing to anyone."""
    call = await _bridged()
    try:
        mark = call.mark()
        assert await call.api(f"uuid_hold {call.caller.uuid}") == "+OK Success\n"
        assert call.hold_events(mark, call.caller.uuid) == HELD_LEG_ON_HOLD
        await call.sw.core.sleep(0.5)
        assert call.agent.hearing is None and call.caller.hearing is None
        assert call.since(mark, call.agent.uuid, {"PLAYBACK_START"}) == []
        mark = call.mark()
        assert await call.api(f"uuid_hold off {call.caller.uuid}") == "+OK Success\n"
        assert call.hold_events(mark, call.caller.uuid) == HELD_LEG_ON_UNHOLD_SILENT
    finally:
        await call.sw.stop()


async def test_the_global_hold_music_is_the_fallback_and_temp_hold_music_wins():
    call = await _bridged(global_vars={"domain": "127.0.0.1", "hold_music": "local_stream://global"})
    try:
        await call.api(f"uuid_hold {call.agent.uuid}")
        await call.sw.core.sleep(0.2)
        assert call.caller.hearing == "local_stream://global"
        await call.api(f"uuid_hold off {call.agent.uuid}")
        await call.api(f"uuid_setvar {call.agent.uuid} temp_hold_music local_stream://temp")
        await call.api(f"uuid_setvar {call.agent.uuid} hold_music local_stream://mine")
        await call.api(f"uuid_hold toggle {call.agent.uuid}")
        await call.sw.core.sleep(0.2)
        assert call.caller.hearing == "local_stream://temp" and call.agent.callstate == "HELD"
        await call.api(f"uuid_hold toggle {call.agent.uuid}")
        assert call.agent.callstate == "ACTIVE"
    finally:
        await call.sw.stop()


async def test_hold_twice_and_unhold_of_an_active_call_are_refused():
    call = await _bridged()
    try:
        assert await call.api(f"uuid_hold off {call.agent.uuid}") == "-ERR Operation failed\n"
        assert await call.api(f"uuid_hold {call.agent.uuid}") == "+OK Success\n"
        assert await call.api(f"uuid_hold {call.agent.uuid}") == "-ERR Operation failed\n"
        # switch_ivr_hold_uuid with no such session leaves its status at SUCCESS
        assert await call.api("uuid_hold 00000000-0000-0000-0000-000000000000") == "+OK Success\n"
        assert await call.api("uuid_hold") == "-USAGE: [off|toggle] <uuid> [<display>]\n"
    finally:
        await call.sw.stop()


async def test_hold_time_is_reported_in_the_leg_headers():
    call = await _bridged()
    try:
        await call.api(f"uuid_hold {call.agent.uuid}")
        await call.sw.core.sleep(2.0)
        mark = call.mark()
        await call.api(f"uuid_hold off {call.agent.uuid}")
        (unhold,) = call.since(mark, call.agent.uuid, {"CHANNEL_UNHOLD"})
        assert int(unhold.get("Caller-Channel-Last-Hold")) > 0
        assert int(unhold.get("Caller-Channel-Hold-Accum")) >= 2_000_000  # microseconds, simulated
    finally:
        await call.sw.stop()
