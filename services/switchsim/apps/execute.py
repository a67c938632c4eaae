"""Running one dialplan application on a channel: CHANNEL_EXECUTE, the application (looked up in the
core's registry, so endpoints can add theirs, e.g. `socket`), CHANNEL_EXECUTE_COMPLETE (design §7)."""

from __future__ import annotations

import re
import uuid as uuidlib

from ..model.channel import Channel

# Applications whose EXECUTE has no matching EXECUTE_COMPLETE in the traces (uuid_bridge is a state change).
_NO_COMPLETE = {"uuid_bridge"}


async def execute(ch: Channel, app: str, arg: str, app_uuid: str | None = None, lock_gate=None,
                  run=None, nested: bool = False) -> str:  # fmt: skip
    """`run(ch, arg)`: the application's body if not the registered one (a broadcast's playback).
    `nested`: runs inside the channel's current application (a broadcast), whose break flag is left
    alone; current_application then names the nested one, stale, as on the real switch (captured)."""
    app_uuid = app_uuid or str(uuidlib.uuid4())
    if app not in ch.core.apps and run is None:
        # switch_core_session_execute_application: "Invalid Application", no event, and the call ends
        ch.hangup("DESTINATION_OUT_OF_ORDER")
        return "_none_"
    arg = re.sub(r"\$\{([^}]+)\}", lambda m: ch.vars.get(m.group(1), ""), arg or "")
    if not nested:
        ch.broken = False
    ch.vars["current_application_data"] = arg
    ch.vars["current_application"] = app
    ch.vars.pop("current_application_response", None)
    data = [("Application-Data", arg)] if arg else []
    if app == "uuid_bridge":
        # uuid_bridge runs from CS_SOFT_EXECUTE: the state walk precedes its CHANNEL_EXECUTE (trace e).
        for st in ("CS_HIBERNATE", "CS_RESET", "CS_SOFT_EXECUTE"):
            ch.set_state(st)
    ch.fire("CHANNEL_EXECUTE", post=[("Application", app)] + data + [("Application-UUID", app_uuid)])
    fn = run or ch.core.apps.get(app)
    if fn is not None:
        r = await fn(ch, arg)
        if r:  # mod_dptools sets the variable; switch_core_session_exec reports whatever it holds then,
            ch.vars["current_application_response"] = r  # a nested app's too (trace g: socket)
    resp = ch.vars.get("current_application_response") or "_none_"
    ch.vars["last_app"], ch.vars["last_arg"] = app, arg
    if app in _NO_COMPLETE:
        return resp
    post = [("Application", app)] + data + [("Application-Response", resp), ("Application-UUID", app_uuid)]
    ch.fire("CHANNEL_EXECUTE_COMPLETE", post=post)
    return resp
