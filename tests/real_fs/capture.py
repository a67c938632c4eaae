"""Capture real FreeSWITCH ESL transcripts as test data (issue 8 part 2; tests/data/fs-traces-local).

A plain-socket ESL client (no ESL library) that records one TCP connection exactly as the shared
traces do (../shared/fs-traces/README.md, "File formats"):

- ``<name>.<fmt>.recv``: every byte FreeSWITCH sent, concatenated as received;
- ``<name>.<fmt>.jsonl``: one JSON object per line, ``{"t", "dir": "send", "data"}`` for the exact bytes
  written and ``{"t", "dir": "recv", "data"}`` per complete ESL frame (``t`` = seconds since connect,
  taken when the read that completed the frame returned), then ``{"dir": "recv", "data": "", "eof": true}``
  when FreeSWITCH closed the socket. Joining the recv ``data`` gives the ``.recv`` file byte for byte.

``--replace OLD=NEW`` rewrites install paths in both files; OLD and NEW must have the same length so
every ``Content-Length`` still holds. The scenarios (one per capture) drive sipp phones bound to
127.0.0.1 with explicit ports (``-ci 127.0.0.1``) and the switch over ESL only.

The ENV file (KEY=VALUE lines) gives ESL_HOST, ESL_PORT, ESL_PASSWORD, SIP_HOST, SIP_PORT, SIP_DOMAIN and
USER_PASSWORD (the directory users' SIP password, for `originate_user`); RUN_DIR defaults to its folder.
The switch needs the extensions of tests/data/fs-traces-local/dialplan.json in its inbound context.

Usage (against a private switch, never a shared one):
    python tests/real_fs/capture.py --env /work/fs-cap/ENV --out tests/data/fs-traces-local \\
        --format plain --replace /work/fs-cap=/srv/fs/live --replace /opt/fs=/srv/fs  hold_music ...
    python tests/real_fs/capture.py --list
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid as uuidlib
from pathlib import Path

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


# --------------------------------------------------------------------------------------------- recorder


class Recorder:
    """Raw bytes and the frame-by-frame conversation of one connection (kept in memory, written once)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.raw = bytearray()
        self.lines: list[dict] = []

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 6)

    def write(self, stem: Path, replace: list[tuple[bytes, bytes]]) -> None:
        def fix(b: bytes) -> bytes:
            for old, new in replace:
                b = b.replace(old, new)
            return b

        raw = fix(bytes(self.raw))
        joined = b"".join(fix(x["data"]) for x in self.lines if x["dir"] == "recv")
        assert joined == raw, "frames do not join to the raw stream"
        stem.with_suffix(stem.suffix + ".recv").write_bytes(raw)
        with stem.with_suffix(stem.suffix + ".jsonl").open("w", encoding="utf-8") as out:
            for x in self.lines:
                row = {"t": x["t"], "dir": x["dir"], "data": fix(x["data"]).decode("utf-8")}
                if x.get("eof"):
                    row["eof"] = True
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def parse_headers(block: str) -> dict[str, str]:
    out = {}
    for line in block.split("\n"):
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k] = v
    return out


def parse_event(content_type: str, body: bytes) -> dict | None:
    text = body.decode("utf-8", "replace")
    if content_type == "text/event-plain":
        head, _, ebody = text.partition("\n\n")
        ev = {k: urllib.parse.unquote(v) for k, v in parse_headers(head).items()}
        ev["_body"] = ebody
        return ev
    if content_type == "text/event-json":
        return json.loads(text)
    return None


class Link:
    """One ESL connection; every frame is recorded, events are kept for the scenario to wait on."""

    def __init__(self, host: str, port: int, rec: Recorder) -> None:
        self.rec = rec
        self.sock = socket.create_connection((host, port), timeout=10)
        self.rec.t0 = time.monotonic()
        self.buf = b""
        self.events: list[dict] = []
        self.pending: list[tuple[dict, bytes]] = []
        self.eof = False

    # -- wire
    def send(self, text: str) -> None:
        data = text.encode("utf-8")
        self.sock.sendall(data)
        self.rec.lines.append({"t": self.rec.now(), "dir": "send", "data": data})

    def _read(self, timeout: float) -> bool:
        """One recv(); split off complete frames. False on timeout or EOF."""
        if self.eof:
            return False
        self.sock.settimeout(max(timeout, 0.001))
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            return False
        t = self.rec.now()
        if not chunk:
            self.eof = True
            self.rec.lines.append({"t": t, "dir": "recv", "data": b"", "eof": True})
            return False
        self.rec.raw += chunk
        self.buf += chunk
        while True:
            end = self.buf.find(b"\n\n")
            if end < 0:
                break
            head = parse_headers(self.buf[:end].decode("utf-8", "replace"))
            stop = end + 2 + int(head.get("Content-Length", 0))
            if stop > len(self.buf):
                break
            frame, self.buf = self.buf[:stop], self.buf[stop:]
            self.rec.lines.append({"t": t, "dir": "recv", "data": frame})
            body = frame[end + 2 :]
            ev = parse_event(head.get("Content-Type", ""), body)
            if ev is not None:
                ev["_t"] = t
                self.events.append(ev)
            else:
                self.pending.append((head, body))
        return True

    def frame(self, timeout: float = 10.0) -> tuple[dict, bytes]:
        """Next non-event frame (reply, auth request, disconnect notice)."""
        end = time.monotonic() + timeout
        while not self.pending:
            left = end - time.monotonic()
            if left <= 0 or (not self._read(left) and self.eof):
                raise TimeoutError("no reply from FreeSWITCH")
        return self.pending.pop(0)

    def command(self, text: str, timeout: float = 30.0) -> tuple[dict, str]:
        """Send one command (the trailing blank line is added); return its reply headers and body."""
        self.send(text if text.endswith("\n\n") else text + "\n\n")
        head, body = self.frame(timeout)
        reply = head.get("Reply-Text") or body.decode("utf-8", "replace")
        log(f"  {text.splitlines()[0][:90]!r} -> {reply.strip()[:100]!r}")
        return head, body.decode("utf-8", "replace")

    def api(self, cmd: str, timeout: float = 30.0) -> str:
        return self.command(f"api {cmd}", timeout)[1]

    # -- events
    def mark(self) -> int:
        return len(self.events)

    def wait(self, pred, timeout: float = 15.0, since: int = 0, what: str = "event") -> dict:
        end = time.monotonic() + timeout
        i = since
        while True:
            while i < len(self.events):
                if pred(self.events[i]):
                    return self.events[i]
                i += 1
            left = end - time.monotonic()
            if left <= 0 or self.eof:
                raise TimeoutError(f"timed out waiting for {what}")
            self._read(min(left, 0.5))

    def wait_name(self, name: str, uuid: str | None = None, since: int = 0, timeout: float = 15.0, **hdr):
        def pred(ev):
            if ev.get("Event-Name") != name or (uuid and ev.get("Unique-ID") != uuid):
                return False
            return all(ev.get(k.replace("_", "-")) == v for k, v in hdr.items())

        return self.wait(pred, timeout, since, f"{name} {uuid or ''} {hdr}")

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not self.eof:
            self._read(left)

    def close(self) -> None:
        """`exit`, then read until FreeSWITCH closes the socket."""
        self.send("exit\n\n")
        end = time.monotonic() + 10
        while not self.eof and time.monotonic() < end:
            self._read(end - time.monotonic())
        self.sock.close()

    # -- helpers for sendmsg on a parked leg
    def execute(self, uuid: str, app: str, arg: str | None = None, wait: float = 30.0) -> dict:
        """`sendmsg <uuid>` execute with an Event-UUID; wait for that application's EXECUTE_COMPLETE."""
        ev_uuid = str(uuidlib.uuid4())
        text = f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: {app}\n"
        if arg is not None:
            text += f"execute-app-arg: {arg}\n"
        text += f"Event-UUID: {ev_uuid}\n\n"
        since = self.mark()
        self.command(text)
        done = self.wait(
            lambda e: (
                e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application-UUID") == ev_uuid
            ),
            wait,
            since,
            f"EXECUTE_COMPLETE {app}",
        )
        start = self.wait_name("CHANNEL_EXECUTE", uuid, since, 1, Application_UUID=ev_uuid)
        log(
            f"    {app} {arg!r}: response={done.get('Application-Response')!r} "
            f"took {done['_t'] - start['_t']:.3f}s"
        )
        return done


# ------------------------------------------------------------------------------------------------- sipp

UAC_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- UAC (careline capture): INVITE [service] with PCMU/PCMA/telephone-event SDP, ACK the 200, then wait
     up to {duration_ms} ms for FreeSWITCH's BYE (answered 200 OK), else send BYE itself. -->
<scenario name="uac bye or timeout">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Subject: careline capture
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv request="BYE" timeout="{duration_ms}" ontimeout="1"/>
  <send next="9"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <label id="1"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
  <label id="9"/>
  <timewait milliseconds="500"/>
</scenario>
"""

REGISTER_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- REGISTER [field0]@[field1] with Contact 127.0.0.1:[field3] (a sipp UAS listens there), answering the
     401 digest challenge for {user} (password filled in when the file is written); one registration. -->
<scenario name="register">
  <send retrans="500"><![CDATA[
REGISTER sip:[field1] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[field0]@[field1]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[field0]@127.0.0.1:[field3];transport=udp>
Expires: 300
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="401" auth="true" optional="true" next="1"/>
  <recv response="200" next="9"/>
  <label id="1"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[field1] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[field0]@[field1]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[field0]@127.0.0.1:[field3];transport=udp>
[authentication username={user} password={password}]
Expires: 300
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <label id="9"/>
</scenario>
"""

HERE = Path(__file__).resolve().parent
UAS_XML = HERE.parent / "data" / "fs-traces-local" / "sipp" / "uas_reinvite.xml"


class Sipp:
    """One sipp process on 127.0.0.1 with explicit SIP, media and control ports."""

    def __init__(self, ctx: Ctx, args: list[str], name: str) -> None:
        self.name = name
        logf = open(ctx.workdir / f"sipp-{name}.log", "w")
        cmd = ["sipp", *args, "-nostdin", "-ci", "127.0.0.1"]
        log(f"  sipp {name}: {' '.join(cmd)}")
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, cwd=ctx.workdir
        )

    def finish(self, timeout: float = 20.0) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()  # our own child, by its pid
            return self.proc.wait(5)


class Ctx:
    """What a scenario needs: the ESL link, the switch's SIP address, sipp launchers and paths."""

    def __init__(self, link: Link, env: dict, workdir: Path) -> None:
        self.link, self.env, self.workdir = link, env, workdir
        self.sip = f"{env['SIP_HOST']}:{env['SIP_PORT']}"
        self.procs: list[Sipp] = []

    def uac(self, service: str, port: int, duration_ms: int = 60000) -> Sipp:
        path = self.workdir / f"uac_{duration_ms}.xml"
        path.write_text(UAC_XML.replace("{duration_ms}", str(duration_ms)))
        args = [self.sip, "-sf", str(path), "-s", service, "-i", "127.0.0.1", "-p", str(port)]
        args += ["-mi", "127.0.0.1", "-mp", str(port + 16000), "-cp", str(port + 200), "-m", "1", "-t", "u1"]
        p = Sipp(self, args, f"uac{port}")
        self.procs.append(p)
        return p

    def uas(self, port: int, calls: int) -> Sipp:
        args = ["-sf", str(UAS_XML), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1"]
        args += ["-mp", str(port + 16000), "-cp", str(port + 200), "-m", str(calls), "-t", "u1"]
        p = Sipp(self, args, f"uas{port}")
        self.procs.append(p)
        time.sleep(0.5)  # let it bind before FreeSWITCH sends the INVITE
        return p

    def register(self, user: str, contact_port: int, port: int) -> None:
        """Register `user` (directory password USER_PASSWORD) with its Contact on 127.0.0.1:contact_port."""
        path, inf = self.workdir / "register.xml", self.workdir / "register.csv"
        path.write_text(REGISTER_XML.replace("{user}", user).replace("{password}", self.env["USER_PASSWORD"]))
        inf.write_text(
            f"SEQUENTIAL\n{user};{self.env['SIP_DOMAIN']};{self.env['USER_PASSWORD']};{contact_port}\n"
        )
        args = [self.sip, "-sf", str(path), "-inf", str(inf), "-i", "127.0.0.1", "-p", str(port)]
        args += ["-cp", str(port + 200), "-m", "1", "-t", "u1"]
        rc = Sipp(self, args, f"register{port}").finish(15)
        assert rc == 0, f"REGISTER of {user} failed (sipp exit {rc})"

    def inbound_parked(self, service: str = "9103", port: int = 5171, duration_ms: int = 60000) -> str:
        """A sipp caller to an `answer; park` extension; returns its channel's uuid once parked."""
        since = self.link.mark()
        self.uac(service, port, duration_ms)
        ev = self.link.wait(
            lambda e: e.get("Event-Name") == "CHANNEL_PARK" and f":{port}" in e.get("Channel-Name", ""),
            20,
            since,
            "CHANNEL_PARK of the sipp caller",
        )
        return ev["Unique-ID"]

    def kill_and_wait(self, *uuids: str) -> None:
        since = self.link.mark()
        self.link.api(f"uuid_kill {uuids[0]}")
        for u in uuids:
            self.link.wait_name("CHANNEL_DESTROY", u, since, 20)

    def finish(self) -> None:
        for p in self.procs:
            rc = p.finish()
            log(f"  sipp {p.name} exit {rc}")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def new_uuid() -> str:
    return str(uuidlib.uuid4())


# -------------------------------------------------------------------------------------------- scenarios


def _bridged_uas_pair(ctx: Ctx, a_vars: str = "") -> tuple[str, str]:
    """A (sofia → sipp UAS hold-a) bridged to B (sofia → sipp UAS hold-b); both phones accept re-INVITEs."""
    a, b = new_uuid(), new_uuid()
    ctx.uas(5180, 2)
    since = ctx.link.mark()
    extra = f",{a_vars}" if a_vars else ""
    ctx.link.api(
        f"originate {{origination_uuid={a},origination_caller_id_number=2101{extra}}}"
        "sofia/internal/hold-a@127.0.0.1:5180"
        f" &bridge({{origination_uuid={b},origination_caller_id_number=2102}}"
        "sofia/internal/hold-b@127.0.0.1:5180)"
    )
    ctx.link.wait_name("CHANNEL_BRIDGE", None, since, 20)
    return a, b


def _hold_cycle(ctx: Ctx, a_vars: str) -> None:
    a, b = _bridged_uas_pair(ctx, a_vars)
    ctx.link.drain(1.5)
    ctx.link.api(f"uuid_hold {a}")
    ctx.link.drain(3)
    ctx.link.api(f"uuid_hold {a}")  # already held
    ctx.link.drain(1)
    ctx.link.api(f"uuid_hold off {a}")
    ctx.link.drain(2)
    ctx.link.api(f"uuid_hold off {a}")  # already unheld
    ctx.link.drain(1)
    ctx.kill_and_wait(a, b)


@scenario
def hold_music(ctx: Ctx) -> None:
    """uuid_hold / again / off / off again on leg A of a bridged pair, hold_music set on A."""
    _hold_cycle(ctx, "hold_music=local_stream://moh")


@scenario
def hold_no_music(ctx: Ctx) -> None:
    """The same with no hold_music variable anywhere (channel or global)."""
    _hold_cycle(ctx, "")


@scenario
def sched_hangup(ctx: Ctx) -> None:
    """Two sched_hangup on one parked call, sched_del <uuid>, then a sched_hangup that fires."""
    u = ctx.inbound_parked("9103", 5171)
    ctx.link.api(f"sched_hangup +60 {u}")
    ctx.link.api(f"sched_hangup +90 {u} NORMAL_CLEARING")
    ctx.link.drain(3)  # the tasks table is written by the SQL thread, seconds later
    ctx.link.api("show tasks")
    ctx.link.api(f"sched_del {u}")
    ctx.link.api(f"sched_del {u}")  # nothing left
    ctx.link.drain(3)
    ctx.link.api("show tasks")
    since = ctx.link.mark()
    ctx.link.api(f"sched_hangup +60 {u}")
    task = ctx.link.wait_name("ADD_SCHEDULE", None, since, 5)["Task-ID"]
    ctx.link.api(f"sched_del {task}")  # by task id
    since = ctx.link.mark()
    ctx.link.api(f"sched_hangup +2 {u}")
    ctx.link.wait_name("CHANNEL_DESTROY", u, since, 20)
    ctx.link.drain(0.5)


@scenario
def playback_failures(ctx: Ctx) -> None:
    """say: without an engine, say: with an unloaded engine, missing absolute / relative files, and
    play_and_get_digits whose prompt fails, all by sendmsg execute on a parked sipp caller."""
    link = ctx.link
    u = ctx.inbound_parked("9103", 5171)
    link.api(f"uuid_getvar {u} tts_engine")
    link.execute(u, "playback", "say:hello")
    link.api(f"uuid_setvar {u} tts_engine flite")
    link.api(f"uuid_setvar {u} tts_voice kal")
    link.execute(u, "playback", "say:hello")
    link.execute(u, "playback", "/nonexistent.wav")
    link.api(f"uuid_setvar {u} sound_prefix {ctx.env['RUN_DIR']}/sounds/zh/cn/careline")
    link.execute(u, "playback", "ivr/careline-welcome.wav")
    link.execute(
        u, "play_and_get_digits", "1 1 1 3000 # say:press_one silence_stream://250 pagd_digits \\d 1000"
    )
    link.api(f"uuid_getvar {u} pagd_digits")
    link.execute(
        u, "play_and_get_digits", "1 1 1 3000 # /nonexistent.wav silence_stream://250 pagd_digits2 \\d 1000"
    )
    link.api(f"uuid_getvar {u} pagd_digits2")
    link.api(f"uuid_setvar {u} tts_engine")  # unset again: say: with no engine, as in the issue
    link.execute(
        u, "play_and_get_digits", "1 1 1 3000 # say:press_one silence_stream://250 pagd_digits3 \\d 1000"
    )
    link.api(f"uuid_getvar {u} pagd_digits3")
    link.drain(1)
    ctx.kill_and_wait(u)


def _transfer_inline(ctx: Ctx, dest: str) -> None:
    u = ctx.inbound_parked("9103", 5171)
    since = ctx.link.mark()
    ctx.link.api(f"uuid_transfer {u} {dest} inline")
    try:  # still up 3 s later: hang it up
        ctx.link.wait_name("CHANNEL_DESTROY", u, since, 3)
    except TimeoutError:
        ctx.kill_and_wait(u)


@scenario
def transfer_inline(ctx: Ctx) -> None:
    """uuid_transfer <uuid> 'playback:tone_stream://%(200,0,500),park' inline on a parked caller
    (the inline dialplan splits at every comma, the tone's too)."""
    _transfer_inline(ctx, "'playback:tone_stream://%(200,0,500),park'")


@scenario
def transfer_inline_mdelim(ctx: Ctx) -> None:
    """The same with the inline dialplan's own delimiter prefix m:^: so the tone keeps its commas."""
    _transfer_inline(ctx, "'m:^:playback:tone_stream://%(200,0,500)^park'")


@scenario
def transfer_inline_bleg(ctx: Ctx) -> None:
    """uuid_transfer -bleg <A> '...' inline on a bridged pair (A → B)."""
    a, b = _bridged_uas_pair(ctx)
    ctx.link.drain(1)
    ctx.link.api(f"uuid_transfer {a} -bleg 'm:^:playback:tone_stream://%(200,0,500)^park' inline")
    ctx.link.drain(4)
    since = ctx.link.mark()
    for u in (a, b):
        ctx.link.api(f"uuid_kill {u}")
    for u in (a, b):
        try:
            ctx.link.wait_name("CHANNEL_DESTROY", u, 0, 10)
        except TimeoutError:
            log(f"  no DESTROY for {u}")
    del since


@scenario
def recv_dtmf(ctx: Ctx) -> None:
    """uuid_recv_dtmf <uuid> 123 while the caller's play_and_get_digits waits (ext 9105, then park)."""
    link = ctx.link
    since = link.mark()
    ctx.uac("9105", 5171)
    ev = link.wait(
        lambda e: e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Application") == "play_and_get_digits",
        20,
        since,
        "play_and_get_digits",
    )
    u = ev["Unique-ID"]
    link.drain(1.0)
    link.api(f"uuid_recv_dtmf {u} 123")
    link.wait_name("CHANNEL_PARK", u, since, 20)
    link.drain(1)
    ctx.kill_and_wait(u)


@scenario
def broadcast_parked(ctx: Ctx) -> None:
    """uuid_broadcast <uuid> tone_stream://%(500,0,600) aleg on a parked caller; still parked after."""
    u = ctx.inbound_parked("9103", 5171)
    since = ctx.link.mark()
    ctx.link.api(f"uuid_broadcast {u} tone_stream://%(500,0,600) aleg")
    ctx.link.wait_name("PLAYBACK_STOP", u, since, 10)
    ctx.link.drain(4)
    ctx.link.api("show channels")
    ctx.link.api(f"uuid_getvar {u} current_application")
    ctx.kill_and_wait(u)


@scenario
def record_eavesdrop(ctx: Ctx) -> None:
    """Plain inbound call (park), uuid_record start/stop, then a supervisor leg (sofia → sipp UAS) that
    runs &eavesdrop(<caller>) and is hung up after 3 s."""
    link = ctx.link
    u = ctx.inbound_parked("9103", 5171)
    path = f"{ctx.env['RUN_DIR']}/recordings/cap_{u}.wav"
    link.drain(0.5)
    link.api(f"uuid_record {u} start {path}")
    link.drain(2.5)
    link.api(f"uuid_record {u} stop {path}")
    link.drain(1)
    ctx.uas(5180, 1)
    e = new_uuid()
    link.api(
        f"originate {{origination_uuid={e},origination_caller_id_number=3001}}"
        f"sofia/internal/sup@127.0.0.1:5180 &eavesdrop({u})"
    )
    link.drain(3)
    since = link.mark()
    link.api(f"uuid_kill {e}")
    link.wait_name("CHANNEL_DESTROY", e, since, 15)
    link.drain(0.5)
    ctx.kill_and_wait(u)


@scenario
def record_hangup(ctx: Ctx) -> None:
    """uuid_record start on a parked caller that is then hung up (uuid_kill) while recording."""
    link = ctx.link
    u = ctx.inbound_parked("9103", 5171)
    link.drain(0.5)
    link.api(f"uuid_record {u} start {ctx.env['RUN_DIR']}/recordings/cap_{u}.wav")
    link.drain(2)
    ctx.kill_and_wait(u)


@scenario
def originate_sofia_park(ctx: Ctx) -> None:
    """api originate to a sipp UAS with &park(), hung up by uuid_kill after 2 s."""
    ctx.uas(5180, 1)
    o = new_uuid()
    ctx.link.api(
        f"originate {{origination_uuid={o},origination_caller_id_number=2103}}"
        "sofia/internal/uas@127.0.0.1:5180 &park()"
    )
    ctx.link.drain(2)
    ctx.kill_and_wait(o)


@scenario
def originate_user(ctx: Ctx) -> None:
    """api originate to user/1001@careline.local (registered sipp; the directory's dial-string rings the SIP
    contact and the Verto contact in parallel) with &park(), hung up after 2 s."""
    ctx.uas(5181, 1)
    ctx.register("1001", 5181, 5182)
    o = new_uuid()
    ctx.link.api(f"originate {{origination_uuid={o}}}user/1001@{ctx.env['SIP_DOMAIN']} &park()")
    ctx.link.drain(2)
    ctx.kill_and_wait(o)


@scenario
def sched_hangup_bridged(ctx: Ctx) -> None:
    """sched_hangup +2 on leg A of a bridged pair (the billing backstop firing during a consultation)."""
    a, b = _bridged_uas_pair(ctx)
    since = ctx.link.mark()
    ctx.link.api(f"sched_hangup +2 {a}")
    for u in (a, b):
        ctx.link.wait_name("CHANNEL_DESTROY", u, since, 15)
    ctx.link.drain(0.5)


@scenario
def broadcast_bridged(ctx: Ctx) -> None:
    """uuid_broadcast <A> <tone> aleg on a bridged leg (a prompt to one party mid-call), then `both`."""
    a, b = _bridged_uas_pair(ctx)
    ctx.link.drain(1)
    since = ctx.link.mark()
    ctx.link.api(f"uuid_broadcast {a} tone_stream://%(500,0,600) aleg")
    ctx.link.wait_name("PLAYBACK_STOP", a, since, 10)
    ctx.link.drain(1.5)
    since = ctx.link.mark()
    ctx.link.api(f"uuid_broadcast {a} tone_stream://%(400,0,700) both")
    ctx.link.wait_name("PLAYBACK_STOP", a, since, 10)
    ctx.link.drain(1.5)
    ctx.kill_and_wait(a, b)


@scenario
def tts_uri(ctx: Ctx) -> None:
    """playback tts://<engine>|<voice>|<text> with the loaded engine and with an unloaded one."""
    link = ctx.link
    u = ctx.inbound_parked("9103", 5171)
    link.execute(u, "playback", "tts://tts_commandline|en-us|hello")
    link.execute(u, "playback", "tts://flite|kal|hello")
    link.drain(0.5)
    ctx.kill_and_wait(u)


@scenario
def tts_speak(ctx: Ctx) -> None:
    """speak and playback say: with mod_tts_commandline (espeak-ng) working, on a parked caller."""
    link = ctx.link
    u = ctx.inbound_parked("9103", 5171)
    link.execute(u, "speak", "tts_commandline|en-us|Hello from careline")
    link.api(f"uuid_setvar {u} tts_engine tts_commandline")
    link.api(f"uuid_setvar {u} tts_voice en-us")
    link.execute(u, "playback", "say:hello")
    link.execute(u, "speak", "tts_commandline|cmn|您好")
    link.drain(0.5)
    ctx.kill_and_wait(u)


# ----------------------------------------------------------------------------------------------- runner


def load_env(path: str) -> dict:
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    env.setdefault("RUN_DIR", str(Path(path).resolve().parent))
    return env


def capture(
    name: str, fmt: str, env: dict, out: Path, replace: list[tuple[bytes, bytes]], workdir: Path
) -> None:
    rec = Recorder()
    link = Link(env["ESL_HOST"], int(env["ESL_PORT"]), rec)
    head, _ = link.frame()
    assert head.get("Content-Type") == "auth/request", head
    head, _ = link.command(f"auth {env['ESL_PASSWORD']}")
    assert head.get("Reply-Text", "").startswith("+OK"), head
    link.command(f"event {fmt} ALL")
    ctx = Ctx(link, env, workdir)
    try:
        SCENARIOS[name](ctx)
    finally:
        link.close()
        ctx.finish()
        rec.write(out / f"{name}.{fmt}", replace)
    log(f"wrote {out / name}.{fmt}.{{recv,jsonl}}: {len(rec.raw)} bytes, {len(rec.lines)} lines")


SUMMARY_KEYS = ["Unique-ID", "Channel-Name", "Channel-State", "Channel-Call-State", "Answer-State",
                "Application", "Application-Data", "Application-Response", "Hangup-Cause", "Task-ID",
                "Task-Desc", "Task-Group", "Task-Runtime", "Media-Bug-Function", "Media-Bug-Target",
                "Playback-File-Path", "DTMF-Digit", "DTMF-Source", "Other-Leg-Unique-ID", "API-Command",
                "API-Command-Argument", "Record-File-Path", "Record-Completion-Cause",
                "Event-Subclass"]  # fmt: skip


def summary(path: Path, skip=("HEARTBEAT", "RE_SCHEDULE")) -> None:
    """One line per frame of a .jsonl capture: events with their telling headers, replies in full."""
    ids: dict[str, str] = {}
    for row in map(json.loads, path.open(encoding="utf-8")):
        head, _, body = row["data"].partition("\n\n")
        h = parse_headers(head)
        if row["dir"] == "send":
            print(f"{row['t']:8.3f} >> {row['data']!r}")
            continue
        ev = parse_event(h.get("Content-Type", ""), body.encode())
        if ev is None:
            print(f"{row['t']:8.3f} << {h.get('Content-Type')} {h.get('Reply-Text', '')!r} {body[:300]!r}")
            continue
        if ev.get("Event-Name") in skip:
            continue
        parts = []
        for k in SUMMARY_KEYS:
            v = ev.get(k)
            if v is None:
                continue
            if k in ("Unique-ID", "Other-Leg-Unique-ID"):
                v = ids.setdefault(v, f"U{len(ids) + 1}")
            parts.append(f"{k}={v}")
        print(f"{row['t']:8.3f} EV {ev.get('Event-Name')} " + " ".join(parts))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="scenarios to capture (default: all)")
    ap.add_argument("--env", default=os.environ.get("FS_CAP_ENV", "/work/fs-cap/ENV"))
    ap.add_argument("--out", default=str(HERE.parent / "data" / "fs-traces-local"))
    ap.add_argument("--format", choices=["plain", "json"], action="append")
    ap.add_argument("--replace", action="append", default=[], help="OLD=NEW, same length")
    ap.add_argument("--workdir", default="/tmp/fs-cap-sipp")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--summary", metavar="JSONL", help="print a one-line-per-frame summary of a capture")
    a = ap.parse_args(argv)
    if a.summary:
        summary(Path(a.summary))
        return 0
    if a.list:
        for n, fn in SCENARIOS.items():
            print(f"{n}: {fn.__doc__}")
        return 0
    replace = []
    for r in a.replace:
        old, new = r.split("=", 1)
        if len(old) != len(new):
            ap.error(f"--replace {r}: lengths differ")
        replace.append((old.encode(), new.encode()))
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    env = load_env(a.env)
    for name in a.names or list(SCENARIOS):
        for fmt in a.format or ["plain"]:
            log(f"== {name} ({fmt})")
            capture(name, fmt, env, Path(a.out), replace, workdir)
            time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
