"""Conformance with captures from the real switch built here (issue 8 part 3; design §7, §12).

Captures land in tests/data/fs-traces-local/ in the format of ../shared/fs-traces/ (`<name>.<fmt>.jsonl`,
one TCP connection each). Each one is replayed against the simulator with no hand-written scenario:
- callers: every inbound SIP leg of the capture dials the number it dialled there (Caller-Destination-Number)
  under its own uuid and channel name, presses the digits it pressed (DTMF-Source RTP) and hangs up when it
  hung up (variable_sip_hangup_disposition recv_bye);
- phones: every `user/<ext>` the client dialled is a phone that answers;
- the dialplan: TRACE_DIALPLAN, plus `dialplan.json` in that folder if present
  (`{"<regex>": [["app", "arg"], …], …}`), the capture machine's extensions;
- the client's commands are sent at their capture times.
Then the replies must be the same, in order, and each leg's events (names and KEYS headers) must appear in
the simulator's stream in the capture's order. Known differences go in KNOWN_GAPS with the reason.

test_the_replay_itself_matches_the_shared_captures runs the same machinery on three of the shared
captures, so a broken replay cannot pass silently while no local capture exists."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from careline.switchsim import TRACE_DIALPLAN, CallerScript, PhoneBehaviour, Switch, SwitchConfig

from .trace_replay import TRACES, Client, channel_names, event_of, norm_reply, per_channel, replies

LOCAL = TRACES.parent / "fs-traces-local"
SCALE = 0.05
S = CallerScript
# (capture name, fmt) -> why the simulator differs; strict: an unexpected pass fails the run.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


def captures(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        name, _, fmt = path.name.removesuffix(".jsonl").rpartition(".")
        if name and fmt in ("plain", "json"):
            out.append((name, fmt))
    return out


def load(folder: Path, name: str, fmt: str) -> list[dict]:
    return [json.loads(line) for line in (folder / f"{name}.{fmt}.jsonl").open()]


def received(trace: list[dict]) -> list[str]:
    return [f["data"] for f in trace if f["dir"] == "recv" and not f.get("eof")]


def callers(trace: list[dict]) -> dict[str, dict]:
    """Inbound SIP legs: uuid -> name, number, destination, start time, steps (presses, hang-up)."""
    legs: dict[str, dict] = {}
    for f in trace:
        if f["dir"] != "recv" or f.get("eof"):
            continue
        ev = event_of(f["data"])
        if (
            not ev
            or ev.get("Call-Direction") != "inbound"
            or not ev.get("Channel-Name", "").startswith("sofia/")
        ):
            continue
        leg = legs.setdefault(ev["Unique-ID"], {"name": ev["Channel-Name"], "t": f["t"], "events": []})
        leg.setdefault("number", ev.get("Caller-Caller-ID-Number"))
        if ev.get("Caller-Destination-Number"):
            leg.setdefault("dest", ev["Caller-Destination-Number"])
        leg["events"].append((f["t"], ev))
    for leg in legs.values():
        steps, last = [], leg["t"]
        hangup_at = None
        for t, ev in leg["events"]:
            if ev["Event-Name"] == "DTMF" and ev.get("DTMF-Source") == "RTP":
                steps += [S.wait(max(0.0, t - last)), S.press(ev["DTMF-Digit"], gap=0.0)]
                last = t
            elif ev["Event-Name"] == "CHANNEL_HANGUP":
                hangup_at = t
            elif ev["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and hangup_at is not None:
                if ev.get("variable_sip_hangup_disposition") == "recv_bye":
                    steps.append(S.hangup_after(max(0.0, hangup_at - last)))
        leg["steps"] = steps
    return legs


def phones(trace: list[dict]) -> set[str]:
    sent = "".join(f["data"] for f in trace if f["dir"] == "send")
    return set(re.findall(r"user/([\w.-]+)", sent))


def dialplan(folder: Path) -> list:
    extra = folder / "dialplan.json"
    plan = list(TRACE_DIALPLAN)
    if extra.exists():
        plan = [
            (p, [tuple(a) for a in actions]) for p, actions in json.loads(extra.read_text()).items()
        ] + plan
    return plan


def _is_subsequence(small, big) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def assert_conforms(trace_frames: list[str], sim_frames: list[str]) -> None:
    assert [norm_reply(r) for r in replies(sim_frames)] == [norm_reply(r) for r in replies(trace_frames)]
    exp, got = per_channel(trace_frames), per_channel(sim_frames)
    by_name = {v: k for k, v in channel_names(sim_frames).items()}
    names = channel_names(trace_frames)
    for uuid, seq in exp.items():
        if uuid == "-":
            seq = [e for e in seq if e[0] != "API"]
            gseq = [e for e in got.get("-", []) if e[0] != "API"]
        else:
            gseq = got.get(uuid) or got.get(by_name.get(names.get(uuid)), [])
        assert _is_subsequence(seq, gseq), (uuid, seq, gseq)


async def replay(folder: Path, name: str, fmt: str) -> None:
    trace = load(folder, name, fmt)
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=dialplan(folder)))
    for ext in phones(trace):
        sw.add_phone(ext, PhoneBehaviour(answer_after=0.5))
    await sw.start()
    try:
        client = await Client.connect(sw.esl_port)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        subscribed = asyncio.Event()
        for uuid, leg in callers(trace).items():

            async def start(uuid=uuid, leg=leg):
                await subscribed.wait()
                await asyncio.sleep(max(0.0, t0 + leg["t"] * SCALE - loop.time()))
                script = CallerScript(leg["steps"])
                await sw.place_call(
                    leg["number"] or "sipp", leg.get("dest", ""), script, name=leg["name"], uuid=uuid
                )

            sw.core.spawn(start())
        for f in [f for f in trace if f["dir"] == "send"]:
            await asyncio.sleep(max(0.0, t0 + f["t"] * SCALE - loop.time()))
            if f["data"].startswith("exit"):
                await asyncio.sleep(0.1)
            before = len(replies(client.frames()))
            client.send(f["data"])
            await client.wait_for(lambda fr, b=before: len(replies(fr)) > b)
            if f["data"].startswith("event"):
                t0 = loop.time() - f["t"] * SCALE
                subscribed.set()
        await client.closed()
        assert_conforms(received(trace), client.frames())
    finally:
        await sw.stop()


LOCAL_CAPTURES = captures(LOCAL) if LOCAL.is_dir() else []


@pytest.mark.skipif(not LOCAL_CAPTURES, reason=f"no captures yet in {LOCAL} (issue 8: the real-switch build)")
@pytest.mark.parametrize(("name", "fmt"), LOCAL_CAPTURES or [("none", "plain")])
async def test_local_capture(name, fmt, request):
    if (name, fmt) in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(name, fmt)]))
    await replay(LOCAL, name, fmt)


@pytest.mark.parametrize("name", ["a_inbound_sipp_call", "c_dtmf_play_and_get_digits", "d_uuid_record"])
async def test_the_replay_itself_matches_the_shared_captures(name):
    """The scenario (callers, digits, hang-ups) is derived from the capture alone, as for local ones."""
    await replay(TRACES, name, "json")


def test_callers_are_derived_from_the_capture():
    legs = callers(load(TRACES, "c_dtmf_play_and_get_digits", "json"))
    (leg,) = legs.values()
    assert leg["dest"] == "9102" and leg["name"] == "sofia/internal/sipp@127.0.0.1:5070"
    assert "".join(s.digits for s in leg["steps"] if s.kind == "dtmf") == "123#"
    assert not [s for s in leg["steps"] if s.kind == "hangup"]  # the switch hung up (send_bye)
    (leg,) = callers(load(TRACES, "a_inbound_sipp_call", "json")).values()
    assert [s.kind for s in leg["steps"]] == ["hangup"]  # the caller hung up (recv_bye)
