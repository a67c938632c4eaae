"""The audio side of a sipp phone on the real switch (issue 8): an RTP peer in the test's event loop.

sipp carries the SIP dialogue; its SDP points here, so the test hears what FreeSWITCH sends and keys
DTMF exactly when the question is being played. Every packet sent has a sequence number and a timestamp
that increase (FreeSWITCH drops RFC 2833 digits whose packets repeat them, as sipp's bundled pcaps do):
PCMU silence every 20 ms, and each digit as RFC 2833 telephone-events (RFC 4733 §2.5: one timestamp per
event, the marker on its first packet, three end packets) in place of the audio of those ticks.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections import deque
from dataclasses import dataclass

PCMU = 0
TELEPHONE_EVENT = 101  # sip profile internal: rfc2833-pt 101
TICK_S = 0.02
SAMPLES_PER_TICK = 160  # 20 ms at 8 kHz
SILENCE = b"\xff" * SAMPLES_PER_TICK  # PCMU of 0
AUDIBLE = 200  # mean |sample| of a packet above which it carries sound (silence and CN stay under 20)
_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}


def _ulaw_to_linear(byte: int) -> int:
    u = ~byte & 0xFF
    sample = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return -(sample - 0x84) if u & 0x80 else sample - 0x84


_LINEAR = [_ulaw_to_linear(b) for b in range(256)]


def level(payload: bytes) -> int:
    """Mean absolute sample value of a PCMU payload (0 for digital silence)."""
    return sum(abs(_LINEAR[b]) for b in payload) // max(1, len(payload))


@dataclass(frozen=True)
class Received:
    at: float  # event loop time
    payload_type: int
    seq: int
    level: int  # PCMU only; -1 for other payload types


class RtpPeer(asyncio.DatagramProtocol):
    """One phone's media: receives and keeps every RTP packet, sends silence and DTMF once it knows where
    FreeSWITCH listens (the source of its first packet, or :meth:`send_to`)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.remote: tuple[str, int] | None = None
        self.port = 0
        self.sent_digits: list[tuple[float, str]] = []
        self._transport: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task | None = None
        self._frames: deque[bytes] = deque()
        self.paused = False  # sends nothing (a phone that answered a hold recvonly)
        self._drained = asyncio.Event()  # set by the send loop once every queued frame is on the wire
        self._seq = random.randrange(1 << 16)
        self._ts = random.randrange(1 << 31)
        self._ssrc = random.randrange(1 << 32)

    async def start(self, host: str = "127.0.0.1") -> RtpPeer:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, 0))
        self.port = self._transport.get_extra_info("sockname")[1]
        self._task = asyncio.create_task(self._send_loop(), name=f"rtp:{self.port}")
        return self

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()

    # -- receiving --------------------------------------------------------------------------------
    def datagram_received(self, data: bytes, addr) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        if self.remote is None:
            self.remote = addr
        payload_type, seq = data[1] & 0x7F, struct.unpack("!H", data[2:4])[0]
        payload = data[12 + 4 * (data[0] & 0x0F) :]
        loud = level(payload) if payload_type == PCMU else -1
        self.received.append(Received(asyncio.get_running_loop().time(), payload_type, seq, loud))

    def between(self, start: float, end: float) -> list[Received]:
        return [r for r in self.received if start <= r.at <= end]

    @staticmethod
    def audible(packets: list[Received]) -> int:
        return sum(1 for r in packets if r.level > AUDIBLE)

    # -- sending ----------------------------------------------------------------------------------
    def send_to(self, host: str, port: int) -> None:
        self.remote = (host, port)

    async def send_digits(self, digits: str, *, tone_ms: int = 100, gap_ms: int = 100) -> None:
        """Queue ``digits`` as RFC 2833 events and wait until they are on the wire."""
        loop = asyncio.get_running_loop()
        for digit in digits:
            self._frames.append(b"D" + digit.encode())
            self._frames.extend([b"T" + str(tone_ms).encode()])
            self._frames.extend([b"S"] * max(1, gap_ms // 20))
        self._drained.clear()
        await asyncio.wait_for(self._drained.wait(), 30)  # never: no RTP from the switch yet
        self.sent_digits.append((loop.time(), digits))

    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        event: list[bytes] = []  # packets of the digit being sent, one per tick
        while True:
            next_at += TICK_S
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            if self.remote is None or self._transport is None or self.paused:
                continue
            if not event and self._frames:
                event = self._next_frames()
            if event:
                self._transport.sendto(event.pop(0), self.remote)
                if not event and not self._frames:
                    self._drained.set()
            else:
                self._transport.sendto(self._packet(PCMU, SILENCE, self._ts), self.remote)
            self._ts = (self._ts + SAMPLES_PER_TICK) & 0xFFFFFFFF

    def _next_frames(self) -> list[bytes]:
        frame = self._frames.popleft()
        if frame == b"S":
            return [self._packet(PCMU, SILENCE, self._ts)]
        digit = frame[1:].decode()
        tone_ms = int(self._frames.popleft()[1:]) if self._frames and self._frames[0][:1] == b"T" else 100
        return self._event_packets(_EVENTS[digit], tone_ms)

    def _event_packets(self, code: int, tone_ms: int) -> list[bytes]:
        """RFC 4733: every packet of one event carries its start timestamp and the duration so far."""
        start, ticks = self._ts, max(2, tone_ms // 20)
        packets = []
        for i in range(1, ticks + 1):
            body = struct.pack("!BBH", code, 10, i * SAMPLES_PER_TICK)  # volume -10 dBm0
            packets.append(self._packet(TELEPHONE_EVENT, body, start, marker=i == 1))
        end = struct.pack("!BBH", code, 0x80 | 10, ticks * SAMPLES_PER_TICK)
        packets += [self._packet(TELEPHONE_EVENT, end, start) for _ in range(3)]
        return packets

    def _packet(self, payload_type: int, payload: bytes, ts: int, *, marker: bool = False) -> bytes:
        self._seq = (self._seq + 1) & 0xFFFF
        first = 0x80
        second = (0x80 if marker else 0) | payload_type
        return struct.pack("!BBHII", first, second, self._seq, ts, self._ssrc) + payload
