"""api commands as FreeSWITCH 1.11.2 runs them (mod_commands; issue 8, design §7): inline transfers,
uuid_recv_dtmf, uuid_broadcast on a parked leg (it stays parked), uuid_break stopping a broadcast."""

from __future__ import annotations

import asyncio

from careline.switchsim import CallerScript, PhoneBehaviour, Switch, SwitchConfig
from careline.switchsim.api import run_api

from ._recorder import SCALE, Recorder

S = CallerScript
TONE = "tone_stream://%(500,0,440)"  # half a second
PARK = ("9103", [("answer", ""), ("park", "")])
PAGD = "1 4 1 8000 # silence_stream://100 none d \\d+ 3000"
MENU = ("9102", [("answer", ""), ("play_and_get_digits", PAGD), ("park", "")])
BRIDGE = ("6000", [("answer", ""), ("bridge", "user/2001")])


async def _switch(*plan) -> tuple[Switch, Recorder]:
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=list(plan)))
    rec = Recorder()
    sw.core.listeners.add(rec)
    sw.add_phone("2001", PhoneBehaviour(answer_after=0.2))
    return sw, rec


async def _parked(sw: Switch) -> str:
    uuid = await sw.place_call("1001", "9103", S([S.wait(1000)]))
    assert await sw.wait_call_event(uuid, "CHANNEL_PARK", 10)
    return uuid


def _apps(rec: Recorder, uuid: str, name: str = "CHANNEL_EXECUTE") -> list[tuple[str, str | None]]:
    return [(e.get("Application"), e.get("Application-Data")) for e in rec.named(name, uuid)]


async def test_uuid_transfer_inline_runs_the_listed_applications_without_a_dialplan_look_up():
    sw, rec = await _switch(PARK)
    try:
        uuid = await _parked(sw)
        apps = "'set:reason=inline,playback:silence_stream://500,hangup:'"
        assert await run_api(sw.core, f"uuid_transfer {uuid} {apps} inline") == "+OK\n"
        await asyncio.wait_for(sw.calls[uuid].done.wait(), 5)
        assert _apps(rec, uuid)[-3:] == [("set", "reason=inline"), ("playback", "silence_stream://500"),
                                         ("hangup", None)]  # fmt: skip
        assert sw.calls[uuid].hangup_cause == "NORMAL_CLEARING"  # not NO_ROUTE_DESTINATION
        assert rec.named("CHANNEL_UNPARK", uuid)
        # the inline dialplan puts the previous destination back (CDRs keep the number dialled)
        assert rec.named("CHANNEL_HANGUP", uuid)[0].get("Caller-Destination-Number") == "9103"
    finally:
        await sw.stop()


async def test_an_inline_argument_with_commas_needs_another_separator():
    """`tone_stream://%(500,0,440)` holds commas: `m:^:` makes `^` the separator (mod_dptools)."""
    sw, rec = await _switch(PARK)
    try:
        uuid = await _parked(sw)
        assert await run_api(sw.core, f"uuid_transfer {uuid} m:^:playback:{TONE}^hangup:USER_BUSY inline")
        await asyncio.wait_for(sw.calls[uuid].done.wait(), 5)
        assert _apps(rec, uuid)[-2:] == [("playback", TONE), ("hangup", "USER_BUSY")]
        assert sw.calls[uuid].hangup_cause == "USER_BUSY"
    finally:
        await sw.stop()


async def test_uuid_transfer_inline_of_the_b_leg_leaves_the_caller_up():
    """-bleg transfers the caller's partner (the agent leg); the caller is hung up as the bridge ends,
    unless it too is transferred (-both: both legs run the inline applications)."""
    sw, rec = await _switch(BRIDGE)
    try:
        uuid = await sw.place_call("1001", "6000", S([S.wait(1000)]))
        assert await sw.wait_call_event(uuid, "bridged", 10)
        agent = sw.calls[uuid].bridged_uuid
        assert await run_api(sw.core, f"uuid_transfer {uuid} -both park: inline") == "+OK\n"
        for leg in (uuid, agent):
            for _ in range(100):
                if rec.named("CHANNEL_PARK", leg):
                    break
                await sw.core.sleep(0.1)
            assert ("park", None) in _apps(rec, leg), leg
        assert sw.core.get(uuid).alive and sw.core.get(agent).alive
    finally:
        await sw.stop()


async def test_uuid_transfer_to_an_unknown_extension_still_has_no_route():
    sw, rec = await _switch(PARK)
    try:
        uuid = await _parked(sw)
        assert await run_api(sw.core, f"uuid_transfer {uuid} 4242 XML default") == "+OK\n"
        await asyncio.wait_for(sw.calls[uuid].done.wait(), 5)
        assert sw.calls[uuid].hangup_cause == "NO_ROUTE_DESTINATION"
    finally:
        await sw.stop()


async def test_uuid_recv_dtmf_is_heard_by_the_legs_own_application():
    sw, rec = await _switch(MENU)
    try:
        uuid = await sw.place_call("1001", "9102", S([S.wait(1000)]))
        assert await sw.wait_call_event(uuid, "PLAYBACK_STOP", 10)
        assert await run_api(sw.core, f"uuid_recv_dtmf {uuid} 42#") == f"+OK {uuid} received DTMF 42#.\n"
        assert await sw.wait_call_event(uuid, "CHANNEL_PARK", 10)
        (done,) = [e for e in rec.named("CHANNEL_EXECUTE_COMPLETE", uuid)
                   if e.get("Application") == "play_and_get_digits"]  # fmt: skip
        assert done.get("variable_d") == "42"
        assert [(e.get("DTMF-Digit"), e.get("DTMF-Source")) for e in rec.named("DTMF", uuid)] == [
            ("4", "APP"), ("2", "APP"), ("#", "APP")]  # fmt: skip
        assert await run_api(sw.core, "uuid_recv_dtmf nosuch 1") == "-ERR Cannot locate session!\n"
        assert await run_api(sw.core, f"uuid_recv_dtmf {uuid}") == "-USAGE: <uuid> <dtmf_data>\n"
    finally:
        await sw.stop()


async def test_uuid_broadcast_on_a_parked_leg_plays_and_the_leg_stays_parked():
    sw, rec = await _switch(PARK)
    try:
        uuid = await _parked(sw)
        assert await run_api(sw.core, f"uuid_broadcast {uuid} {TONE} aleg") == "+OK Message sent\n"
        assert await sw.wait_call_event(uuid, "PLAYBACK_STOP", 10)
        await sw.core.sleep(2.0)
        ch = sw.core.get(uuid)
        assert ch is not None and ch.alive and ch.hearing is None
        assert rec.named("CHANNEL_UNPARK", uuid) == [] and len(rec.named("CHANNEL_PARK", uuid)) == 1
        assert ch.vars["current_application"] == "playback"  # stale, as on the real switch (captured)
        done = [e for e in rec.named("CHANNEL_EXECUTE_COMPLETE", uuid) if e.get("Application") == "playback"]
        assert [e.get("Application-Response") for e in done] == ["FILE PLAYED"]
    finally:
        await sw.stop()


async def test_uuid_break_stops_an_endless_broadcast_and_not_the_park():
    sw, rec = await _switch(PARK)
    try:
        uuid = await _parked(sw)
        await run_api(sw.core, f"uuid_broadcast {uuid} local_stream://moh aleg")
        assert await sw.wait_call_event(uuid, "PLAYBACK_START", 10)
        assert sw.core.get(uuid).hearing == "local_stream://moh"
        assert await run_api(sw.core, f"uuid_break {uuid}") == "+OK\n"
        assert await sw.wait_call_event(uuid, "PLAYBACK_STOP", 10)
        await sw.core.sleep(1.0)
        assert sw.core.get(uuid).alive and rec.named("CHANNEL_UNPARK", uuid) == []
        assert await run_api(sw.core, f"uuid_broadcast nosuch {TONE}") == "-ERR invalid uuid\n"
    finally:
        await sw.stop()


async def test_uuid_broadcast_bleg_plays_to_the_partner():
    sw, rec = await _switch(BRIDGE)
    try:
        uuid = await sw.place_call("1001", "6000", S([S.wait(1000)]))
        assert await sw.wait_call_event(uuid, "bridged", 10)
        agent = sw.calls[uuid].bridged_uuid
        await run_api(sw.core, f"uuid_broadcast {uuid} local_stream://moh bleg")
        await sw.core.sleep(0.5)
        assert sw.core.get(agent).hearing == "local_stream://moh" and sw.core.get(uuid).hearing is None
    finally:
        await sw.stop()
