"""Expert conferences, the live side (R-EXP6; design §3): seats, presence metering, raised hands.

An expert hosts a FreeSWITCH ``conference``; paying callers join it as speakers or listeners. Every leg
carries ``careline_call_id`` (the ESL filter billing shares with consultations) and
``careline_conference_role`` (``expert``, ``speaker`` or ``listener``), set by whoever puts the leg into
the conference (the IVR for callers, the ACD for the expert). Callers join muted
(``<room>@<profile>+flags{mute}``).

- A seat is authorised before the caller joins (``authorise``): a hold at the seat's rate (rate plans
  ``conference_speaker`` / ``conference_listener``; a listener seat may be free), idempotent by call,
  with the same ``sched_hangup`` backstop as a consultation.
- Billing follows ``conference::maintenance`` add-member / del-member: a participant is billed for the
  time they and the expert are both in the room — from the later of their join and the expert's arrival
  until they leave (or the expert does; billing resumes if the expert comes back). While billing runs the
  backstop is armed for the seat's remaining paid time; while it is paused (no expert) it is pushed to
  the cap, so nobody is cut off while waiting for the expert. When the paid time is used up billing
  asks the call's owner to end it (ACD_CALL_END_REQUEST), as for a consultation.
- On del-member the seat is settled (``Consultations.settle``: charge by the rating rule for the billed
  seconds, capped at the hold; the rest released; one statement line, R-EXP4). A participant's CDR
  arriving for a seat this process does not track (billing restarted mid-conference) releases the hold
  without charge: presence was lost with the process, and billing never overcharges.
- A participant raises a hand with ``conference_hand_key`` (DTMF); the expert lists the room over HTTP
  and promotes a speaker (``conference <room> unmute <member id>``). A listener's seat does not include
  speaking: promoting one is refused (409) — they would join again as a speaker.

Presence lives in the replica that sees the events (one ESL link per billing process).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from careline.billing import errors, rating
from careline.billing.authorisation import Authorisation
from careline.billing.metering import CALL_ID_VAR, ConsultationDesk
from careline.v1.cdr_pb2 import Cdr

log = logging.getLogger("careline.billing.conference")

MAINTENANCE = "conference::maintenance"
ROLE_VAR = "variable_careline_conference_role"
EXPERT, SPEAKER, LISTENER = "expert", "speaker", "listener"
SEAT_SERVICE = {SPEAKER: rating.CONFERENCE_SPEAKER, LISTENER: rating.CONFERENCE_LISTENER}


class SeatStillLive(RuntimeError):
    """The CDR came before the presence settlement finished: nak it, so it is retried (and then finds
    the seat settled, or releases it if that settlement failed)."""


@dataclass
class Member:
    call_uuid: str
    member_id: int
    role: str
    auth: Authorisation | None = None
    hand_raised: bool = False
    speaking: bool = False
    billed_s: float = 0.0  # real seconds billed in closed stretches
    since: float | None = None  # loop time the current billed stretch began
    first_billed_at: float = 0.0  # wall clock of the first billed moment (the statement's start)
    timer: asyncio.Task | None = None


@dataclass
class Room:
    name: str
    members: dict[str, Member] = field(default_factory=dict)  # by call uuid

    @property
    def expert(self) -> Member | None:
        return next((m for m in self.members.values() if m.role == EXPERT), None)


class ConferenceDesk:
    """One per billing process; shares the consultation desk's hold/settle logic and ESL link."""

    def __init__(self, desk: ConsultationDesk) -> None:
        self.desk = desk
        self.settings = desk.settings
        self.rooms: dict[str, Room] = {}
        self._settling: set[str] = set()
        self._tasks: set[asyncio.Task] = set()

    # --- seats --------------------------------------------------------------------------------------
    async def authorise(
        self, *, call_uuid: str, card_number: str, role: str, category: str = rating.ANY, lang: str = "zh"
    ) -> Authorisation:
        if role not in SEAT_SERVICE:
            raise errors.DomainError(f"a seat is {SPEAKER!r} or {LISTENER!r}, not {role!r}")
        return await self.desk.authorise(
            call_uuid=call_uuid,
            card_number=card_number,
            category=category,
            lang=lang,
            service=SEAT_SERVICE[role],
        )

    def room(self, name: str) -> dict:
        room = self.rooms.get(name)
        if room is None:
            raise errors.NotFound(f"no conference {name!r} is running")
        return {
            "name": name,
            "expert_present": room.expert is not None,
            "members": [
                {
                    "call_uuid": m.call_uuid,
                    "member_id": m.member_id,
                    "role": m.role,
                    "hand_raised": m.hand_raised,
                    "speaking": m.speaking,
                }
                for m in sorted(room.members.values(), key=lambda m: m.member_id)
            ],
        }

    async def promote(self, name: str, member_id: int) -> dict:
        """The expert lets a speaker with a raised hand (or any speaker) talk (R-EXP6)."""
        room = self.rooms.get(name)
        member = next((m for m in (room.members.values() if room else ()) if m.member_id == member_id), None)
        if member is None:
            raise errors.NotFound(f"no member {member_id} in conference {name!r}")
        if member.role == LISTENER:
            raise errors.DomainError("a listener's seat does not include speaking", status_code=409)
        reply = await self.desk.esl.api(f"conference {name} unmute {member_id}")
        if not reply.startswith("+OK"):
            raise errors.DomainError(f"the switch refused: {reply.strip()}", status_code=502)
        member.hand_raised, member.speaking = False, True
        return self.room(name)

    # --- ESL events ---------------------------------------------------------------------------------
    def subscribe(self) -> None:
        # Member events carry the channel's variables; a DTMF event does not (FreeSWITCH adds them only
        # to channel lifecycle events), so DTMF passes the link's filters by name — digits are rare, and
        # the handler drops those of channels that are not conference members.
        self.desk.esl.subscribe([f"CUSTOM {MAINTENANCE}"], self.on_event, filters={CALL_ID_VAR: ["/.+/"]})
        self.desk.esl.subscribe(["DTMF"], self.on_event, filters={"Event-Name": ["DTMF"]})

    def on_event(self, event) -> None:
        if event.name == "DTMF":
            self._on_dtmf(event)
            return
        action = event.get("Action") or ""
        name = event.get("Conference-Name") or ""
        call = event.get("Unique-ID") or ""
        if not (name and call):
            return
        if action == "add-member":
            self._added(name, call, int(event.get("Member-ID") or 0), event)
        elif action == "del-member":
            self._deleted(name, call)
        elif action in ("mute-member", "unmute-member"):
            member = self.rooms.get(name, Room(name)).members.get(call)
            if member is not None:
                member.speaking = action == "unmute-member"

    def _on_dtmf(self, event) -> None:
        if (event.get("DTMF-Digit") or "") != self.settings.conference_hand_key:
            return
        call = event.get("Unique-ID") or ""
        for room in self.rooms.values():
            member = room.members.get(call)
            if member is not None and member.role != EXPERT:
                member.hand_raised = True

    def _added(self, name: str, call: str, member_id: int, event) -> None:
        role = event.get(ROLE_VAR) or ""
        room = self.rooms.setdefault(name, Room(name))
        if call in room.members or role not in (EXPERT, SPEAKER, LISTENER):
            return
        member = Member(call, member_id, role, speaking=(event.get("Speak") or "true") == "true")
        room.members[call] = member
        now = self._now()
        if role == EXPERT:
            for other in room.members.values():
                if other is not member:
                    self._resume(name, other, now)
        else:
            self._spawn(self._seat_joined(name, member, now))

    async def _seat_joined(self, name: str, member: Member, now: float) -> None:
        try:
            member.auth = await self.desk.consultations.get(member.call_uuid)
        except errors.NotFound:
            log.warning(
                "%s joined conference %s without an authorised seat: not billed", member.call_uuid, name
            )
            return
        room = self.rooms.get(name)
        if room is None or room.members.get(member.call_uuid) is not member:
            return  # left already
        if room.expert is not None:
            self._resume(name, member, now)
        else:
            await self._backstop(member, self.settings.consultation_max_s)  # waiting for the expert

    def _deleted(self, name: str, call: str) -> None:
        room = self.rooms.get(name)
        member = room.members.pop(call, None) if room else None
        if member is None:
            return
        now = self._now()
        if member.role == EXPERT:
            for other in room.members.values():
                self._pause(other, now)
        else:
            self._pause(member, now, rearm=False)
            if member.auth is not None:
                self._settling.add(call)
                self._spawn(self._settle(name, member))
        if not room.members:
            self.rooms.pop(name, None)

    # --- metering -----------------------------------------------------------------------------------
    def _resume(self, name: str, member: Member, now: float) -> None:
        if member.auth is None or member.since is not None:
            return
        member.since = now
        member.first_billed_at = member.first_billed_at or time.time()
        left = member.auth.allowed_seconds - self._billed_seconds(member, now)
        member.timer = self._spawn(self._run_out(member, left))

    def _pause(self, member: Member, now: float, *, rearm: bool = True) -> None:
        if member.since is not None:
            member.billed_s += now - member.since
            member.since = None
        if member.timer is not None:
            member.timer.cancel()
            member.timer = None
            if rearm:
                self._spawn(self._backstop(member, self.settings.consultation_max_s))

    def _billed_seconds(self, member: Member, now: float) -> int:
        """Billed (switch) seconds so far: real seconds over the time scale, whole seconds like billsec."""
        running = member.billed_s + (now - member.since if member.since is not None else 0.0)
        return int(running / self.settings.time_scale + 1e-6)

    async def _run_out(self, member: Member, left: int) -> None:
        """Arm the backstop for the seat's remaining paid time, then ask the owner to end the call."""
        await self._backstop(member, left)
        await asyncio.sleep(max(0, left) * self.settings.time_scale)
        try:
            await self.desk._ask_owner_to_end(member.call_uuid)
        except Exception:
            log.exception("could not ask to end %s (the backstop still stands)", member.call_uuid)

    async def _backstop(self, member: Member, seconds: int) -> None:
        try:
            await self.desk._backstop(member.call_uuid, max(0, seconds))
        except Exception:
            log.warning("backstop not re-armed for %s; the previous one stands", member.call_uuid)

    async def _settle(self, name: str, member: Member) -> None:
        try:
            await self.desk.consultations.settle(
                member.call_uuid,
                billsec=self._billed_seconds(member, self._now()),
                cdr_uuid=f"conference:{name}:{member.call_uuid}",
                expert=name,
                answered_at=int(member.first_billed_at),
            )
        except Exception:
            log.exception("settling conference seat %s failed; its CDR releases the hold", member.call_uuid)
        finally:
            self._settling.discard(member.call_uuid)

    async def on_seat_cdr(self, auth: Authorisation, cdr: Cdr) -> None:
        """A seat's CDR: the live presence settles it; a seat nobody here tracks is released uncharged."""
        call = auth.call_uuid
        if call in self._settling or any(call in room.members for room in self.rooms.values()):
            raise SeatStillLive(f"seat {call} is settled from presence; its CDR is looked at again later")
        try:
            await self.desk.consultations.settle(call, billsec=0, cdr_uuid=f"released:{cdr.uuid}")
        except errors.IdempotencyMismatch:
            pass  # settled from presence already

    # --- helpers ------------------------------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
