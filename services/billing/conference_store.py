"""Expert conference presence in billing's database (R-EXP6, R-EXP3; design §3, §5).

Every billing replica writes the joins and leaves it sees on its ESL link (``conference::maintenance``
add-member / del-member) to ``billing_conference_events``, keyed by conference + member id + action +
the switch's event time, so the same event written twice (two replicas, a replay) is one row. A seat's
billed time is then computed from the rows, by whichever replica settles it: the time the participant
and the expert were both in the room — from the later of the participant's join and the expert's
arrival to the earlier of their leaves, summed over the expert's stays. The same rows give every replica
the same answer, so the settlement's idempotency key (per seat) sees one request.

Unseen time is never billed: a leave with no recorded join is ignored, and an open stay is bounded by
the caller's ``until_us`` (the participant's CDR end, or now).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careline.billing.models import ConferenceEvent, ConferenceWatch
from careline.core.db import retry_locked

JOIN, LEAVE = "join", "leave"
SWITCH, RECONCILED = "switch", "reconciled"  # where a row came from (billing_0005)
EXPERT = "expert"


@dataclass(frozen=True)
class Stay:
    """One member's stay in one conference: from its join to its leave (None: still there)."""

    conference: str
    call_uuid: str
    member_id: int
    role: str
    joined_us: int
    left_us: int | None


@dataclass(frozen=True)
class Billed:
    seconds: int  # billed (switch) seconds, whole like billsec
    first_us: int  # when billing first ran (the statement's "expert answered"), 0 if never
    conference: str


def event_key(conference: str, member_id: int, action: str, at_us: int) -> str:
    return f"{conference}:{member_id}:{action}:{at_us}"


def now_us() -> int:
    return int(time.time() * 1_000_000)


def stays(rows) -> list[Stay]:
    """Pair each member's joins and leaves in time order; a leave with no join before it is dropped."""
    by_member: dict[tuple[str, str, int], list] = defaultdict(list)
    for row in rows:
        by_member[(row.conference, row.call_uuid, row.member_id)].append(row)
    found: list[Stay] = []
    for (conference, call, member_id), events in by_member.items():
        events.sort(key=lambda e: (e.at_us, e.action != JOIN))
        joined: tuple[int, str] | None = None
        for e in events:
            if e.action == JOIN and joined is None:
                joined = (e.at_us, e.role)
            elif e.action == LEAVE and joined is not None:
                found.append(Stay(conference, call, member_id, joined[1], joined[0], e.at_us))
                joined = None
        if joined is not None:
            found.append(Stay(conference, call, member_id, joined[1], joined[0], None))
    return sorted(found, key=lambda s: (s.joined_us, s.member_id))


def overlap(seat: list[Stay], experts: list[Stay], until_us: int) -> tuple[int, int]:
    """(µs the seat and an expert were both present, the first such moment or 0)."""
    total, first = 0, 0
    for stay in seat:
        s_end = stay.left_us if stay.left_us is not None else until_us
        spans = sorted(
            (max(stay.joined_us, e.joined_us), min(s_end, e.left_us if e.left_us is not None else until_us))
            for e in experts
            if e.conference == stay.conference
        )
        covered_to = 0
        for start, end in spans:  # experts' stays may overlap (two experts): count each moment once
            start = max(start, covered_to)
            if end > start:
                total += end - start
                first = start if not first else min(first, start)
                covered_to = end
    return total, first


def billed_seconds(overlap_us: int, time_scale: float) -> int:
    """Switch seconds from real microseconds (``time_scale``: real seconds per switch second)."""
    return int(overlap_us / 1_000_000 / time_scale + 1e-6)


class ConferenceStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def record(
        self,
        *,
        conference: str,
        call_uuid: str,
        member_id: int,
        role: str,
        action: str,
        at_us: int,
        sequence: int = 0,
        source: str = SWITCH,
    ) -> bool:
        """Write one join or leave; False when it was written already (another replica, a replay)."""
        key = event_key(conference, member_id, action, at_us)

        async def write() -> bool:
            try:
                async with self.sessions.begin() as session:
                    if await session.get(ConferenceEvent, key) is not None:
                        return False
                    session.add(
                        ConferenceEvent(
                            key=key,
                            conference=conference,
                            call_uuid=call_uuid,
                            member_id=member_id,
                            role=role,
                            action=action,
                            at_us=at_us,
                            sequence=sequence,
                            source=source,
                        )
                    )
                return True
            except IntegrityError:
                return False  # another replica wrote it between our look and our commit

        return await retry_locked(write)

    async def seat_stays(self, call_uuid: str) -> list[Stay]:
        async with self.sessions() as session:
            rows = (
                await session.scalars(select(ConferenceEvent).where(ConferenceEvent.call_uuid == call_uuid))
            ).all()
        return stays(rows)

    async def conference_stays(self, conference: str, *, since_us: int = 0) -> list[Stay]:
        async with self.sessions() as session:
            rows = (
                await session.scalars(
                    select(ConferenceEvent).where(
                        ConferenceEvent.conference == conference, ConferenceEvent.at_us >= since_us
                    )
                )
            ).all()
        return stays(rows)

    async def billed(self, call_uuid: str, *, until_us: int, time_scale: float) -> Billed:
        """The seat's billed seconds from the stored stays (theirs and the expert's), up to ``until_us``
        for stays with no recorded leave."""
        seat = [s for s in await self.seat_stays(call_uuid) if s.role != EXPERT]
        if not seat:
            return Billed(0, 0, "")
        experts: list[Stay] = []
        for conference in {s.conference for s in seat}:
            since = min(s.joined_us for s in seat if s.conference == conference)
            everyone = await self.conference_stays(conference)
            experts += [e for e in everyone if e.role == EXPERT and (e.left_us is None or e.left_us > since)]
        total, first = overlap(seat, experts, until_us)
        return Billed(billed_seconds(total, time_scale), first, seat[-1].conference)

    async def open_stays(self, *, since_us: int) -> list[Stay]:
        """Stays with no recorded leave among members who joined after ``since_us`` (a restart's view
        of the rooms)."""
        async with self.sessions() as session:
            calls = select(ConferenceEvent.call_uuid).where(
                ConferenceEvent.action == JOIN, ConferenceEvent.at_us >= since_us
            )
            rows = (
                await session.scalars(select(ConferenceEvent).where(ConferenceEvent.call_uuid.in_(calls)))
            ).all()
        return [s for s in stays(rows) if s.left_us is None]

    async def watch(self, conference: str, observed_us: int) -> None:
        """The room's open stays were known present at ``observed_us``; only ever moves forward (two
        replicas bump it at once: the later moment wins)."""

        async def write() -> None:
            try:
                async with self.sessions.begin() as session:
                    row = await session.get(ConferenceWatch, conference, with_for_update=True)
                    if row is None:
                        session.add(ConferenceWatch(conference=conference, observed_us=observed_us))
                    elif row.observed_us < observed_us:
                        row.observed_us = observed_us
            except IntegrityError:
                await self.watch(conference, observed_us)  # the other replica inserted it first

        await retry_locked(write)

    async def watched(self, conference: str) -> int:
        """The last moment the room's open stays were known present (0: never watched)."""
        async with self.sessions() as session:
            row = await session.get(ConferenceWatch, conference)
        return row.observed_us if row is not None else 0
