"""The sipp processes: one agent UAS for the whole run, one caller UAC per step (same for both sides).

Every sipp is bound to 127.0.0.1 (or the address given) on ports the OS reports free, its control socket
included (``-ci``/``-cp``: sipp's default control port is 8888 on every interface).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Phones send RTP as real ones do: each call streams a looped PCMU file from its answer on (sipp's
# rtp_stream); "echo": sipp returns what the switch sends it (a parked caller then sends nothing); "off".
RTP = os.environ.get("BENCH_RTP", "stream")
_STREAM_LINE = re.compile(r"^.*rtp_stream=.*\n", re.M)


def free_udp_port(host: str, span: int = 1) -> int:
    """A port with ``span`` free ports from it (sipp's media takes the port and the next ones)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port + span < 65536 and all(_udp_free(host, p) for p in range(port, port + span)):
            return port
    raise OSError("no free UDP port range")


def _udp_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def scenario(name: str, out_dir: Path, **values: int) -> Path:
    """``name`` (caller.xml / agent.xml) with its placeholders (PATIENCE_MS, TALK_MS, RTP_FILE) filled in."""
    text = (HERE / name).read_text()
    if RTP == "stream":
        text = text.replace("RTP_FILE", str(rtp_file(out_dir)))
    else:
        text = _STREAM_LINE.sub("", text).replace("[rtpstream_audio_port]", "[media_port]")
    for key, value in values.items():
        text = text.replace(key, str(value))
    path = out_dir / name
    path.write_text(text)
    return path


def rtp_file(out_dir: Path) -> Path:
    """One second of PCMU (a low 400 Hz tone, not digital silence) for rtp_stream to loop."""
    path = out_dir / "phone.pcmu"
    if not path.exists():
        samples = (int(2000 * math.sin(2 * math.pi * 400 * n / 8000)) for n in range(8000))
        path.write_bytes(bytes(_ulaw(v) for v in samples))
    return path


def _ulaw(sample: int) -> int:
    """G.711 mu-law of one 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 132
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _base(binary: str, host: str, log_dir: Path, tag: str) -> list[str]:
    return [
        binary,
        *("-i", host, "-mi", host, "-ci", host, "-cp", str(free_udp_port(host))),
        *("-p", str(free_udp_port(host)), "-mp", str(free_udp_port(host, 4))),
        *("-nostdin", "-trace_err", "-error_file", str(log_dir / f"{tag}-errors.log")),
        *(["-rtp_echo"] if RTP == "echo" else []),
    ]


def start_agents(host: str, talk_ms: int, work: Path, binary: str = "sipp") -> tuple[subprocess.Popen, int]:
    """The agents' phones: one UAS answering every offer at once; returns (process, its SIP port)."""
    binary = shutil.which(binary) or binary
    cmd = _base(binary, host, work, "agents")
    port = int(cmd[cmd.index("-p") + 1])
    cmd += ["-sf", str(scenario("agent.xml", work, TALK_MS=talk_ms))]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=open(work / "agents.stderr", "w"), cwd=work
    )
    return proc, port


def start_callers(
    host: str, switch_sip: str, door: str, rate: float, calls: int, patience_ms: int, work: Path, tag: str,
    binary: str = "sipp",
) -> subprocess.Popen:  # fmt: skip
    """``calls`` callers at ``rate`` per second to ``door``; sipp exits when the last call ended."""
    binary = shutil.which(binary) or binary
    cmd = _base(binary, host, work, tag) + [
        *("-sf", str(scenario("caller.xml", work, PATIENCE_MS=patience_ms))),
        *("-s", door, "-r", f"{rate:g}", "-rp", "1000", "-m", str(calls)),
        switch_sip,
    ]
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=open(work / f"{tag}.stderr", "w"), cwd=work
    )
