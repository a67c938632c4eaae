"""Conformance: replay each real FreeSWITCH transcript against the simulator and compare (design §7)."""

from __future__ import annotations

import asyncio
import re

import pytest

from careline.switchsim import TRACE_DIALPLAN, CallerScript, PhoneBehaviour, Switch, SwitchConfig

from .trace_replay import Client, channel_names, event_of, load, per_channel, replies

SCALE = 0.05
S = CallerScript


def _calls(name):
    """(channel name, uuid, first time) of each SIP caller channel in the trace."""
    seen = {}
    for f in load(name):
        if f["dir"] == "recv" and not f.get("eof"):
            ev = event_of(f["data"])
            if (
                ev
                and ev.get("Call-Direction") == "inbound"
                and ev.get("Channel-Name", "").startswith("sofia/")
            ):
                seen.setdefault(ev["Channel-Name"], (ev["Unique-ID"], f["t"]))
    return seen


# Caller actions per trace: destination and script for each sipp caller (by its channel name).
SCENARIOS = {
    "a_inbound_sipp_call": {"sofia/internal/sipp@127.0.0.1:5070": ("9100", [S.hangup_after(6.0)])},
    "c_dtmf_play_and_get_digits": {
        "sofia/internal/sipp@127.0.0.1:5070": ("9102", [S.wait(1.67), S.press("123#", gap=0.7)])
    },
    "d_uuid_record": {"sofia/internal/sipp@127.0.0.1:5070": ("9104", [S.hangup_after(7.0)])},
    "e_uuid_bridge": {
        "sofia/internal/sipp@127.0.0.1:5071": ("9103", [S.hangup_after(9.0)]),
        "sofia/internal/sipp@127.0.0.1:5072": ("9103", []),
    },
    "f_conference": {
        "sofia/internal/sipp@127.0.0.1:5071": ("3000", [S.hangup_after(10.0)]),
        "sofia/internal/sipp@127.0.0.1:5072": ("3000", [S.hangup_after(4.0)]),
    },
}
TRIMMED = {"e_uuid_bridge", "f_conference"}
INBOUND = ["a_inbound_sipp_call", "b_originate_loopback", "b2_originate_sofia_to_sipp_uas",
           "b3_api_originate_sync", "c_dtmf_play_and_get_digits", "c2_dtmf_uuid_send_dtmf_loopback",
           "d_uuid_record", "e_uuid_bridge", "f_conference", "h2_error_replies"]  # fmt: skip

# Captures the simulator cannot match, with the precise gap (strict: an unexpected pass fails the run).
KNOWN_GAPS = {
    ("b3_api_originate_sync", "plain"): (
        "race inside FreeSWITCH: on loopback/9101-a this capture has CALL_UPDATE (switch_channel_flip_cid, "
        "originate thread, Event-Sequence 648, Channel-Call-State DOWN) before CHANNEL_CALLSTATE ACTIVE "
        "(649); "
        "the json capture of the same command, and both b captures, have CALLSTATE first. The deterministic "
        "simulator reproduces the majority order"
    ),
}


async def _switch() -> Switch:
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=list(TRACE_DIALPLAN)))
    sw.add_phone("uas", PhoneBehaviour(answer_after=0.5))
    await sw.start()
    return sw


def _is_subsequence(small, big) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def _norm_reply(reply):
    """`show channels` rows hold timestamps: compare their line count. `conference list` member ids come
    from a server-wide counter (the json run follows the plain one): compare every field but the id."""
    ctype, text, body = reply
    if body.startswith("uuid,"):
        return ctype, text, body.count("\n")
    if re.match(r"\d+;", body):
        return ctype, text, re.sub(r"(?m)^\d+;", "#;", body)
    return reply


def _assert_same(name, trace_frames, sim_frames):
    exp_r, got_r = replies(trace_frames), replies(sim_frames)
    assert [_norm_reply(r) for r in got_r] == [_norm_reply(r) for r in exp_r]
    exp, got = per_channel(trace_frames), per_channel(sim_frames)
    for uuid, seq in exp.items():
        if uuid == "-":
            seq = [e for e in seq if e[0] != "API"]
            gseq = [e for e in got.get("-", []) if e[0] != "API"]
        else:
            gseq = got.get(uuid)
            if gseq is None:  # a leg the simulator created with its own uuid: match it by channel name
                want = channel_names(trace_frames).get(uuid)
                by_name = {v: k for k, v in channel_names(sim_frames).items()}
                gseq = got.get(by_name.get(want), [])
        if name in TRIMMED:
            assert _is_subsequence(seq, gseq), (uuid, seq, gseq)
        else:
            assert gseq == seq, (uuid, seq, gseq)


@pytest.mark.parametrize("fmt", ["plain", "json"])
@pytest.mark.parametrize("name", INBOUND)
async def test_inbound_trace(name, fmt, request):
    if (name, fmt) in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[(name, fmt)]))
    trace = load(f"{name}.{fmt}")
    sw = await _switch()
    try:
        client = await Client.connect(sw.esl_port)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        subscribed = asyncio.Event()
        for chan, (uuid, t) in _calls(f"{name}.{fmt}").items():
            dest, steps = SCENARIOS[name][chan]

            async def start(chan=chan, uuid=uuid, t=t, dest=dest, steps=steps):
                await subscribed.wait()
                await asyncio.sleep(max(0.0, t0 + t * SCALE - loop.time()))
                await sw.place_call("sipp", dest, CallerScript(steps), name=chan, uuid=uuid)

            sw.core.spawn(start())
        sends = [f for f in trace if f["dir"] == "send"]
        for f in sends:
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
        _assert_same(
            name, [f["data"] for f in trace if f["dir"] == "recv" and not f.get("eof")], client.frames()
        )
    finally:
        await sw.stop()


async def test_bad_auth_h1():
    trace = load("h1_bad_auth.plain")
    sw = await _switch()
    try:
        client = await Client.connect(sw.esl_port)
        for f in trace:
            if f["dir"] == "send":
                client.send(f["data"])
        await client.closed()
        assert client.frames() == [f["data"] for f in trace if f["dir"] == "recv" and not f.get("eof")]
    finally:
        await sw.stop()


def _with_port(frame: str, old: str, new: int) -> str:
    """The socket app's argument names the server port (plain events URL-encode the colon)."""
    return frame.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}").replace(
        f"127.0.0.1%3A{old}", f"127.0.0.1%3A{new}"
    )


@pytest.mark.parametrize("fmt", ["plain", "json"])
async def test_outbound_socket_g(fmt):
    trace = load(f"g_outbound_socket.{fmt}")
    sends = [f["data"] for f in trace if f["dir"] == "send"]
    expected = [f["data"] for f in trace if f["dir"] == "recv" and not f.get("eof")]
    traced_port = "8084"  # our server's port in the capture; here the OS picks one (see _with_port)
    (chan, (uuid, _)), *_ = [
        (e.get("Channel-Name"), (e.get("Unique-ID"), 0)) for e in [event_of(x) for x in expected[1:]] if e
    ][:1] or [(None, (None, 0))]
    got: list[bytes] = []
    done = asyncio.Event()

    async def server(reader, writer):
        client = Client(reader, writer)
        for data in sends:
            data = data.replace(uuid, sw_uuid[0])
            before = len(client.frames())
            client.send(data)
            if data.startswith("sendmsg\ncall-command: hangup"):
                await client.wait_for(lambda fr: any("Content-Disposition: linger" in x for x in fr), 10)
            elif not data.startswith("connect"):
                await client.wait_for(lambda fr, b=before: len(fr) > b)
            else:
                await client.wait_for(lambda fr: len(fr) >= 1)
            if "playback" in data:
                await client.wait_for(lambda fr: sum("EXECUTE_COMPLETE" in x for x in fr) >= 3, 10)
        await client.closed()
        got.append(client.data)
        done.set()

    srv = await asyncio.start_server(server, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    plan = [(p, a) for p, a in TRACE_DIALPLAN if p != "9110"] + [
        ("9110", [("socket", f"127.0.0.1:{port} async full")])
    ]
    sw = Switch(SwitchConfig(esl_port=0, time_scale=SCALE, dialplan=plan))
    await sw.start()
    sw_uuid = [""]
    try:
        sw_uuid[0] = await sw.place_call("sipp", "9110", name="sofia/internal/sipp@127.0.0.1:5070", uuid=uuid)
        await asyncio.wait_for(done.wait(), 10)
        from .trace_replay import split_frames

        frames = split_frames(got[0].split(b"\n\n", 1)[1]) if got else []
        connect_reply = got[0].split(b"\n\n", 1)[0].decode()
        assert connect_reply.startswith("Event-Name: CHANNEL_DATA\n")
        assert connect_reply.endswith(
            "Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full"
        )
        _assert_same("g", [_with_port(x, traced_port, port) for x in expected[1:]], frames)
    finally:
        await sw.stop()
        srv.close()
