"""Events and headers the real switch sends that the simulator used to miss (issue 8, design §7): CODEC on
SIP legs, media bugs around session recording and eavesdrop, CHANNEL_OUTGOING twice for `user/`, the
phone's contact address in its leg's name, Caller-Source, Channel-State-Number, the common variables.
Sequences compared with the real captures are in tests/integration/switchsim/test_conformance.py."""

from __future__ import annotations

import json
from pathlib import Path

from careline.switchsim import CallerScript, PhoneBehaviour, Switch, SwitchConfig
from careline.switchsim.api import run_api

from ._recorder import SCALE, Recorder

S = CallerScript
PLAN = [("6000", [("answer", ""), ("bridge", "user/2001")]), ("9103", [("answer", ""), ("park", "")])]
TRACES = Path(__file__).resolve().parents[2] / "data" / "fs-traces"
# Not modelled: SDP bodies, SIP dialog details (tags, Call-ID, Via), RTP statistics; the trace's leg played a
# file and slept, ours parked.
UNMODELLED = (
    "variable_switch_r_sdp",
    "variable_rtp_local_sdp_str",
    "variable_rtp_audio_",
    "variable_sip_to_tag",
    "variable_sip_from_tag",
    "variable_sip_cseq",
    "variable_sip_call_id",
    "variable_sip_full_",
    "variable_sip_from_display",
    "variable_sip_term_",
    "variable_sip_hangup_disposition",
    "variable_proto_specific_hangup_cause",
    "variable_playback_",
    "variable_current_application",
)


async def _switch() -> tuple[Switch, Recorder]:
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=PLAN))
    rec = Recorder()
    sw.core.listeners.add(rec)
    sw.add_phone("2001", PhoneBehaviour(answer_after=0.2), contact="192.0.2.10:5062")
    return sw, rec


def _real_variables(event: str) -> set[str]:
    """The variable names of `event` in the real capture a_inbound_sipp_call (json)."""
    for line in (TRACES / "a_inbound_sipp_call.json.jsonl").open():
        frame = json.loads(line)
        if frame["dir"] == "recv" and "text/event-json" in frame["data"][:200]:
            ev = json.loads(frame["data"].split("\n\n", 1)[1])
            if ev["Event-Name"] == event:
                return {k for k in ev if k.startswith("variable_")}
    raise AssertionError(event)


async def test_a_phone_leg_is_named_by_its_contact_and_announced_twice():
    sw, rec = await _switch()
    try:
        uuid = await sw.place_call("1001", "6000", S([S.wait(2), S.hangup_after(0)]))
        assert await sw.wait_call_event(uuid, "bridged", 10)
        agent = sw.calls[uuid].bridged_uuid
        outgoing = rec.named("CHANNEL_OUTGOING", agent)
        assert len(outgoing) == 2  # user/ originates the sofia leg, then its caller announces it again
        assert {e.get("Channel-Name") for e in outgoing} == {"sofia/internal/2001@192.0.2.10:5062"}
        assert outgoing[0].get("Caller-Source") == "src/switch_ivr_originate.c"
        codec = rec.named("CODEC", agent)
        answer = rec.named("CHANNEL_ANSWER", agent)[0]
        assert len(codec) == 2 and rec.events.index(codec[1]) < rec.events.index(answer)  # trace b2
        await sw.calls[uuid].done.wait()
    finally:
        await sw.stop()


async def test_the_state_number_is_the_state_already_requested():
    sw, rec = await _switch()
    try:
        uuid = await sw.place_call("1001", "9103", S([S.wait(1), S.hangup_after(0)]))
        await sw.calls[uuid].done.wait()
        await sw.wait_idle(2)
        pairs = [(e.name, e.get("Channel-State"), e.get("Channel-State-Number")) for e in rec.events
                 if e.get("Unique-ID") == uuid]  # fmt: skip
        for want in [("CHANNEL_CREATE", "CS_INIT", "2"), ("PRESENCE_IN", "CS_ROUTING", "4"),
                     ("CHANNEL_HANGUP", "CS_EXECUTE", "10"), ("PRESENCE_IN", "CS_HANGUP", "11"),
                     ("CHANNEL_HANGUP_COMPLETE", "CS_REPORTING", "11"),
                     ("CHANNEL_DESTROY", "CS_REPORTING", "12")]:  # fmt: skip
            assert want in pairs, want
    finally:
        await sw.stop()


async def test_an_inbound_leg_carries_the_common_variables_of_a_real_one():
    sw, rec = await _switch()
    try:
        uuid = await sw.place_call("1001", "9103", S([S.wait(1), S.hangup_after(0)]))
        await sw.calls[uuid].done.wait()
        await sw.wait_idle(2)
        for event in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"):
            (ev,) = rec.named(event, uuid)
            ours = {k for k, _ in ev.headers if k.startswith("variable_")}
            missing = {v for v in _real_variables(event) - ours if not v.startswith(UNMODELLED)}
            assert missing == set(), (event, sorted(missing))
        (create,) = rec.named("CHANNEL_CREATE", uuid)
        assert (
            create.get("variable_sip_from_user") == "1001" and create.get("variable_sip_req_user") == "9103"
        )
    finally:
        await sw.stop()


async def test_session_recording_opens_and_closes_a_media_bug_also_at_hangup():
    sw, rec = await _switch()
    try:
        uuid = await sw.place_call("1001", "9103", S([S.wait(1000)]))
        assert await sw.wait_call_event(uuid, "CHANNEL_PARK", 10)
        for path in ("/tmp/a.wav", "/tmp/b.wav"):
            assert await run_api(sw.core, f"uuid_record {uuid} start {path}") == "+OK Success\n"
        assert await run_api(sw.core, f"uuid_record {uuid} stop /tmp/a.wav") == "+OK Success\n"
        sw.hangup(uuid)
        await sw.wait_idle(2)
        seq = [
            (e.name, e.get("Record-File-Path") or e.get("Media-Bug-Target"), e.get("Record-Completion-Cause"))
            for e in rec.events
            if e.get("Unique-ID") == uuid and ("RECORD" in e.name or "MEDIA_BUG" in e.name)
        ]
        assert seq == [
            ("RECORD_START", "/tmp/a.wav", None), ("MEDIA_BUG_START", "/tmp/a.wav", None),
            ("RECORD_START", "/tmp/b.wav", None), ("MEDIA_BUG_START", "/tmp/b.wav", None),
            ("RECORD_STOP", "/tmp/a.wav", "success-maxtime"), ("MEDIA_BUG_STOP", "/tmp/a.wav", None),
            ("RECORD_STOP", "/tmp/b.wav", "success-silence"), ("MEDIA_BUG_STOP", "/tmp/b.wav", None),
        ]  # fmt: skip
        assert {e.get("Media-Bug-Function") for e in rec.named("MEDIA_BUG_START")} == {"session_record"}
    finally:
        await sw.stop()


async def test_eavesdrop_puts_a_media_bug_on_the_target():
    """Media-Bug-Target is the target's own uuid; nothing names the listener (record_eavesdrop capture)."""
    sw, rec = await _switch()
    try:
        uuid = await sw.place_call("1001", "9103", S([S.wait(1000)]))
        assert await sw.wait_call_event(uuid, "CHANNEL_PARK", 10)
        sw.add_phone("3001", PhoneBehaviour(answer_after=0.1, talk_time=2.0))
        reply = await run_api(sw.core, f"originate user/3001 &eavesdrop({uuid})")
        listener = reply.split()[1]
        for _ in range(200):
            if rec.named("MEDIA_BUG_STOP", uuid):
                break
            await sw.core.sleep(0.1)
        starts, stops = rec.named("MEDIA_BUG_START", uuid), rec.named("MEDIA_BUG_STOP", uuid)
        assert [(e.get("Media-Bug-Function"), e.get("Media-Bug-Target")) for e in starts + stops] == [
            ("eavesdrop", uuid), ("eavesdrop", uuid)]  # fmt: skip
        assert listener not in {e.get("Other-Leg-Unique-ID") for e in starts}
    finally:
        await sw.stop()
