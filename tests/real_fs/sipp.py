"""sipp phones for the real switch (issue 8): callers (UAC) and agents/experts (REGISTER, then UAS).

Every sipp runs with ``-ci 127.0.0.1`` and explicit local SIP, media and control ports (the OS picks them
free just before), so nothing opens on 0.0.0.0 and runs never collide. The SDP of every scenario points to
an :class:`~tests.real_fs.media.RtpPeer` of the test, which hears and keys; sipp only signals.

- caller: INVITE <service>@switch (no auth: the profile's inbound ACL lets loopback in, context public),
  ACK, then re-INVITEs answered (a hold recvonly) until FreeSWITCH's BYE, or a BYE of its own
  after ``max_s``. The test ends a call with ``uuid_kill``, so the caller's BYE is only a safety net.
- agent: one sipp REGISTERs user@domain with digest auth, its Contact the port of a second sipp (UAS)
  that rings, answers after ``answer_after_s``, accepts re-INVITEs (hold) and answers BYE.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from pathlib import Path

SDP = """v=0
o=careline 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio {media_port} RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a={direction}
"""

_REPLY_HEADERS = """[last_Via:]
[last_From:]
[last_To:]{to_tag}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>"""


def _reply(status: str, *, sdp: str = "", to_tag: str = "") -> str:
    head = f"SIP/2.0 {status}\n" + _REPLY_HEADERS.format(to_tag=to_tag)
    if sdp:
        return f"{head}\nContent-Type: application/sdp\nContent-Length: [len]\n\n{sdp}"
    return f"{head}\nContent-Length: 0\n\n"


def _send(text: str, **attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"<send{extra}><![CDATA[\n{text}\n]]></send>\n"


def _reinvites_then_bye(media_port: int, loop_label: int, max_s: float | None) -> str:
    """Re-INVITEs answered as a desk phone does (RFC 3264 §8.4: a sendonly offer, a hold, answered
    recvonly; any other sendrecv), then the BYE answered; or after ``max_s`` a BYE of our own.

    The direction is read afresh from each offer, whose group must always match: sipp keeps what an
    earlier match set when a group does not take part. FreeSWITCH's unhold offer has no direction line
    (sendrecv): its ``a=ptime``, after the direction, is what matches then.
    """
    sdp = SDP.format(media_port=media_port, direction="sendrecv")
    held = SDP.format(media_port=media_port, direction="recvonly")
    bye_wait = f' timeout="{int(max_s * 1000)}" ontimeout="80"' if max_s else ""
    xml = f'<label id="{loop_label}"/>\n'
    xml += '<recv request="INVITE" optional="true" next="20">\n  <action>'
    xml += '<ereg regexp="a=(sendonly|sendrecv|recvonly|inactive|ptime)" search_in="body" check_it="false" '
    xml += 'assign_to="offer,sendonly"/>'
    xml += '<strcmp assign_to="cmp" variable="sendonly" value="sendonly"/>'
    xml += '<test assign_to="held" variable="cmp" compare="equal" value="0"/>'
    xml += '<log message="re-INVITE [$sendonly] [$offer]"/>'  # sipp refuses a variable never read
    xml += "</action>\n</recv>\n"
    xml += f'<recv request="BYE"{bye_wait} next="90"/>\n'
    xml += '<label id="20"/>\n<nop test="held" next="22"/>\n'
    xml += _send(_reply("200 OK", sdp=sdp), retrans="500", next="24")
    xml += '<label id="22"/>\n' + _send(_reply("200 OK", sdp=held), retrans="500")
    xml += f'<label id="24"/>\n<recv request="ACK" next="{loop_label}"/>\n'
    if max_s:
        xml += '<label id="80"/>\n' + _send(_OUR_BYE, retrans="500")
        xml += '<recv response="200" next="99"/>\n'
    xml += '<label id="90"/>\n' + _send(_reply("200 OK"))
    xml += '<label id="99"/>\n<timewait milliseconds="500"/>\n'
    return xml


_OUR_BYE = """BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0"""


def caller_scenario(caller: str, media_port: int, max_s: float) -> str:
    sdp = SDP.format(media_port=media_port, direction="sendrecv")
    invite = f"""INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "{caller}" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{sdp}"""
    ack = f"""ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "{caller}" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0"""
    body = _send(invite, retrans="500")
    body += "".join(f'<recv response="{c}" optional="true"/>\n' for c in (100, 180, 183))
    body += '<recv response="200" rrs="true"/>\n' + _send(ack)
    bye = _reinvites_then_bye(media_port, 10, max_s).replace("[$caller]", caller)
    return _scenario("careline caller", body + bye)


def agent_uas_scenario(media_port: int, answer_after_s: float) -> str:
    tag = ";tag=[pid]SIPpTag01[call_number]"
    sdp = SDP.format(media_port=media_port, direction="sendrecv")
    body = '<recv request="INVITE" crlf="true"/>\n'
    body += _send(_reply("180 Ringing", to_tag=tag))
    body += f'<pause milliseconds="{int(answer_after_s * 1000)}"/>\n'
    body += _send(_reply("200 OK", sdp=sdp, to_tag=tag), retrans="500")
    body += '<recv request="ACK" crlf="true"/>\n'
    return _scenario("careline agent phone", body + _reinvites_then_bye(media_port, 10, None))


def register_scenario(user: str, domain: str, password: str, contact_port: int | None, expires: int) -> str:
    """REGISTER with digest auth; ``contact_port`` None unregisters every contact (Contact: *)."""
    contact = f"<sip:{user}@127.0.0.1:{contact_port}>" if contact_port else "*"

    def register(cseq: int, auth: str) -> str:
        return f"""REGISTER sip:{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@{domain}>;tag=[pid]reg[call_number]
To: <sip:{user}@{domain}>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: {contact}
Expires: {expires}
Max-Forwards: 70{auth}
Content-Length: 0"""

    body = _send(register(1, ""), retrans="500") + '<recv response="401" auth="true"/>\n'
    body += _send(register(2, f"\n[authentication username={user} password={password}]"), retrans="500")
    body += '<recv response="200"/>\n'
    return _scenario(f"register {user}", body)


def _scenario(name: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'
        f'<scenario name="{name}">\n{body}</scenario>\n'
    )


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Sipp:
    """One sipp process: its scenario file, logs and exit code (0 when the scenario completed)."""

    name: str
    workdir: Path
    args: list[str]
    sip_port: int = 0
    proc: asyncio.subprocess.Process | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / f"{self.name}.out"

    async def start(self) -> Sipp:
        out = self.log.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            "sipp", *self.args, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, cwd=self.workdir
        )
        out.close()
        return self

    async def wait(self, timeout: float) -> int:  # noqa: ASYNC109
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    def errors(self) -> str:
        """sipp's own account of an unexpected message or a timeout (its -error_file and output)."""
        parts = []
        for path in (self.workdir / f"{self.name}.err", self.log):
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)


def sipp_args(
    workdir: Path, name: str, scenario: str, switch_sip: str, **extra: str
) -> tuple[list[str], int]:
    """Command line for one sipp: explicit local ports, control socket on loopback, logs in ``workdir``."""
    path = workdir / f"{name}.xml"
    path.write_text(scenario)
    sip_port = int(extra.pop("sip_port", 0)) or free_udp_port()
    args = ["-sf", str(path), "-m", "1", "-i", "127.0.0.1", "-p", str(sip_port)]
    args += ["-mp", str(free_udp_port()), "-ci", "127.0.0.1", "-cp", str(free_udp_port())]
    args += ["-nostdin", "-aa", "-trace_err", "-error_file", str(workdir / f"{name}.err")]
    args += ["-trace_msg", "-message_file", str(workdir / f"{name}.msg")]
    for key, value in extra.items():
        args += [f"-{key}", value]
    return [*args, switch_sip], sip_port
