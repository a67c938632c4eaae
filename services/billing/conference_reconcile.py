"""Expert conferences after a billing outage: the rooms reconciled against the switch (R-EXP6, R-EXP3
"a billing outage never gives free minutes"; design §3, §5).

Joins and leaves are stored from ``conference::maintenance`` events, so one that happened while no
billing process was connected to the switch left no row: a participant who joined then was billed
nothing, an expert who left then counted as present until someone noticed. On start and after every
ESL reconnect billing lists each room it knows of — rooms of stored stays with no leave and rooms of
seats with an open authorisation (``conference <room> list``: ``id;channel;uuid;cid name;cid num;
flags;...`` per member, ``-ERR Conference <room> not found`` when nobody is in it) — and records, with
``source = 'reconciled'``:

- a member present with no open stay: a join **at the listing moment**. They may have joined earlier,
  but that is the first moment billing can prove; the seat is billed from there (never zero, never
  free beyond the outage).
- an open stay whose member is gone: a leave **at the last moment billing knew they were present** —
  the later of their join and the room's watch mark (``billing_conference_watch``: bumped every
  ``conference_watch_period_s`` while the ESL link is up and the room's writes are flushed, and on a
  clean stop). The rule for the gap: time nobody saw is not charged to the caller. An expert who
  vanished unseen stops billing at the watch mark; a seat that vanished unseen is billed until then
  and settled at once, as on a del-member.

A reply that is neither a member list nor "not found" (the link dropped, a timeout) changes nothing:
a room that cannot be listed is left as stored, to be reconciled on the next reconnect.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from careline.billing import conference_store
from careline.billing.authorisation import AUTH, settle_key
from careline.billing.conference_store import JOIN, LEAVE, RECONCILED, ConferenceStore, Stay
from careline.billing.models import IdempotencyRecord

log = logging.getLogger("careline.billing.conference")

ROLE_VARIABLE = "careline_conference_role"
EXPERT, SPEAKER, LISTENER = "expert", "speaker", "listener"
SEAT_ROLE = {"conference_speaker": SPEAKER, "conference_listener": LISTENER}
# id;channel;uuid;... — the channel name is matched lazily up to the first uuid-shaped field.
MEMBER_LINE = re.compile(r"^(\d+);.*?;([0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27});[^;]*;[^;]*;([^;]*)")


@dataclass(frozen=True)
class Present:
    member_id: int
    speaking: bool


@dataclass(frozen=True)
class Change:
    """One row the reconciliation recorded (the desk mirrors it in its rooms)."""

    conference: str
    call_uuid: str
    member_id: int
    role: str
    action: str
    at_us: int
    speaking: bool = False


def parse_list(reply: str) -> dict[str, Present] | None:
    """``conference <room> list`` → members by call uuid; {} for a room the switch does not have;
    None when the reply is not a list (unknown: reconcile nothing)."""
    text = reply.strip()
    if text.startswith("-ERR"):
        return {} if "not found" in text.lower() else None
    members: dict[str, Present] = {}
    for line in text.splitlines():
        match = MEMBER_LINE.match(line.strip())
        if match is None:
            return None
        member_id, call, flags = match.groups()
        members[call] = Present(int(member_id), "speak" in flags.split("|"))
    return members


async def open_seats(sessions, *, since: datetime) -> dict[str, tuple[str, str]]:
    """Seats authorised since ``since`` and not settled: call uuid → (room, role). The room is empty
    for seats authorised before billing kept it."""
    async with sessions() as session:
        records = (
            await session.scalars(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.key.like(f"{AUTH}%"),
                    IdempotencyRecord.status_code < 400,
                    IdempotencyRecord.created_at >= since,
                )
            )
        ).all()
        seats: dict[str, tuple[str, str]] = {}
        for record in records:
            body = json.loads(record.response)
            role = SEAT_ROLE.get(body.get("service", ""))
            if role is not None:
                seats[body["call_uuid"]] = (body.get("conference", ""), role)
        if seats:
            settled = await session.scalars(
                select(IdempotencyRecord.key).where(IdempotencyRecord.key.in_([settle_key(c) for c in seats]))
            )
            for key in settled:
                seats.pop(key.removeprefix(settle_key("")), None)
    return seats


class Reconciler:
    """Lists the rooms billing knows of and records what it missed; ``esl`` is billing's ESL client."""

    def __init__(self, store: ConferenceStore, esl, sessions) -> None:
        self.store = store
        self.esl = esl
        self.sessions = sessions

    async def run(self, *, horizon_s: float) -> list[Change]:
        since_us = conference_store.now_us() - int(horizon_s * 1_000_000)
        seats = await open_seats(self.sessions, since=datetime.fromtimestamp(since_us / 1_000_000, UTC))
        stays = await self.store.open_stays(since_us=since_us)
        rooms = {s.conference for s in stays} | {room for room, _ in seats.values() if room}
        changes: list[Change] = []
        for room in sorted(rooms):
            try:
                changes += await self._room(room, [s for s in stays if s.conference == room], seats)
            except Exception:
                log.exception("conference %s not reconciled; the next reconnect tries again", room)
        if changes:
            log.warning("reconciled %d missed join(s)/leave(s) against the switch", len(changes))
        return changes

    async def _room(self, room: str, stays: list[Stay], seats: dict[str, tuple[str, str]]) -> list[Change]:
        present = parse_list(await self.esl.api(f"conference {room} list"))
        listed_us = conference_store.now_us()  # every listed member was there at this moment
        if present is None:
            log.warning("conference %s: the switch's list was not readable; left as stored", room)
            return []
        watched_us = await self.store.watched(room)
        changes: list[Change] = []
        open_by_call = {s.call_uuid: s for s in stays}
        for stay in stays:
            seen = present.get(stay.call_uuid)
            if seen is None or seen.member_id != stay.member_id:  # gone (or back as another member)
                left_us = min(max(stay.joined_us, watched_us), listed_us)
                changes.append(Change(room, stay.call_uuid, stay.member_id, stay.role, LEAVE, left_us))
        for call, seen in present.items():
            stay = open_by_call.get(call)
            if stay is not None and stay.member_id == seen.member_id:
                continue
            role = await self._role(call, seats)
            if role is not None:
                changes.append(Change(room, call, seen.member_id, role, JOIN, listed_us, seen.speaking))
        for change in changes:
            await self.store.record(conference=room, call_uuid=change.call_uuid, member_id=change.member_id,
                                    role=change.role, action=change.action, at_us=change.at_us,
                                    source=RECONCILED)  # fmt: skip
        await self.store.watch(room, listed_us)
        return changes

    async def _role(self, call: str, seats: dict[str, tuple[str, str]]) -> str | None:
        """The leg's conference role as the IVR/ACD set it; a paid seat's role if the switch has none."""
        role = (await self.esl.api(f"uuid_getvar {call} {ROLE_VARIABLE}")).strip()
        if role in (EXPERT, SPEAKER, LISTENER):
            return role
        return seats[call][1] if call in seats else None
