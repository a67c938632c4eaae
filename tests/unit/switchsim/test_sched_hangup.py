"""sched_hangup as real FreeSWITCH 1.10 has it (mod_commands): tasks accumulate per uuid group and the
earliest fires; ``sched_del <uuid>`` drops the group; ``+0`` hangs up at once. Billing's backstop relies on
dropping the old task before re-arming it later."""

from __future__ import annotations

import asyncio

from careline.switchsim import CallerScript, Switch, SwitchConfig
from careline.switchsim.api import run_api

PARK = [(r"^9103$", [("answer", ""), ("park", "")])]


async def _switch() -> Switch:
    sw = Switch(SwitchConfig(esl_port=0, password="ClueCon", time_scale=0.01, dialplan=PARK))
    await sw.start()
    return sw


async def _parked_call(sw: Switch) -> str:
    uuid = await sw.place_call("13800000001", "9103", CallerScript([CallerScript.wait(1000)]))
    assert await sw.wait_call_event(uuid, "answered", 10)
    return uuid


async def test_a_later_sched_hangup_does_not_replace_an_earlier_one():
    sw = await _switch()
    try:
        uuid = await _parked_call(sw)
        assert await run_api(sw.core, f"sched_hangup +5 {uuid} ALLOTTED_TIMEOUT") == "+OK\n"
        assert await run_api(sw.core, f"sched_hangup +500 {uuid} NORMAL_CLEARING") == "+OK\n"
        await asyncio.wait_for(sw.calls[uuid].done.wait(), 5)
        assert sw.calls[uuid].hangup_cause == "ALLOTTED_TIMEOUT"
    finally:
        await sw.stop()


async def test_sched_del_drops_the_uuid_group_so_a_re_arm_moves_the_backstop_later():
    sw = await _switch()
    try:
        uuid = await _parked_call(sw)
        await run_api(sw.core, f"sched_hangup +5 {uuid} ALLOTTED_TIMEOUT")
        assert await run_api(sw.core, f"sched_del {uuid}") == "+OK Deleted: 1\n"
        await run_api(sw.core, f"sched_hangup +50 {uuid} ALLOTTED_TIMEOUT")
        await asyncio.sleep(0.2)  # 20 simulated seconds: the first task would have fired at 5
        assert not sw.calls[uuid].done.is_set()
        await asyncio.wait_for(sw.calls[uuid].done.wait(), 5)
        assert sw.calls[uuid].hangup_cause == "ALLOTTED_TIMEOUT"
        assert await run_api(sw.core, "sched_del") == "-ERR Invalid syntax\n"
        assert await run_api(sw.core, f"sched_hangup +0 {uuid}") == "-ERR No such channel!\n"
    finally:
        await sw.stop()
