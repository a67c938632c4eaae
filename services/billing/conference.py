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
- Joins and leaves are written to billing's database (careline.billing.conference_store) by every
  replica, idempotently, in the order this ESL link saw them. The seat is settled from the stored stays
  (``Consultations.settle``: charge by the rating rule for the billed seconds, capped at the hold; the
  rest released; one statement line, R-EXP4) by whichever replica handles the del-member or the
  participant's CDR — the same rows give the same answer under the seat's one settlement key, so a
  restart or another replica never releases a hold without charging the time spent with the expert.
- While billing runs, each minute is debited from the hold (``consultation-minute:<call>:<k>``, as for a
  consultation) and the caller hears the low-credit warning ``consultation_warning_s`` before the end.
- On start the rooms are rebuilt from the stored stays that have no leave, and metering resumes.
- A participant raises a hand with ``conference_hand_key`` (DTMF); the expert lists the room over HTTP
  and promotes a speaker (``conference <room> unmute <member id>``). A listener's seat does not include
  speaking: promoting one is refused (409) — they would join again as a speaker.

Raised hands and who is speaking live in memory only (they move no money).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from careline.billing import conference_store, errors, rating
from careline.billing.authorisation import Authorisation
from careline.billing.conference_reconcile import Change, Reconciler
from careline.billing.conference_store import JOIN, LEAVE, ConferenceStore
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
    warned: bool = False


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
        self.store = ConferenceStore(desk.consultations.sessions)
        self._settling: set[str] = set()
        self._tasks: set[asyncio.Task] = set()
        # Joins and leaves are written in the order the ESL link delivered them, so a seat settled after
        # its leave is written sees every earlier expert arrival and departure.
        self._writes: asyncio.Queue = asyncio.Queue()
        self._writer: asyncio.Task | None = None
        self._watcher: asyncio.Task | None = None
        self.reconciler = Reconciler(self.store, desk.esl, desk.consultations.sessions)

    # --- seats --------------------------------------------------------------------------------------
    async def authorise(
        self,
        *,
        call_uuid: str,
        card_number: str,
        role: str,
        category: str = rating.ANY,
        lang: str = "zh",
        conference: str = "",
    ) -> Authorisation:
        if role not in SEAT_SERVICE:
            raise errors.DomainError(f"a seat is {SPEAKER!r} or {LISTENER!r}, not {role!r}")
        return await self.desk.authorise(
            call_uuid=call_uuid,
            card_number=card_number,
            category=category,
            lang=lang,
            service=SEAT_SERVICE[role],
            conference=conference,
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
            member_id = int(event.get("Member-ID") or 0)
            self._persist(name, call, member_id, event, JOIN)
            speaking = (event.get("Speak") or "true") == "true"
            self._added(name, call, member_id, event.get(ROLE_VAR) or "", speaking)
        elif action == "del-member":
            self._persist(name, call, int(event.get("Member-ID") or 0), event, LEAVE)
            self._deleted(name, call)
        elif action in ("mute-member", "unmute-member"):
            member = self.rooms.get(name, Room(name)).members.get(call)
            if member is not None:
                member.speaking = action == "unmute-member"

    def _persist(self, name: str, call: str, member_id: int, event, action: str) -> None:
        """Queue the join/leave for the ordered writer; a seat's leave is settled once written."""
        role = event.get(ROLE_VAR) or ""
        member = self.rooms.get(name, Room(name)).members.get(call)
        role = role or (member.role if member else "")
        if role not in (EXPERT, SPEAKER, LISTENER):
            return
        at_us = int(event.get("Event-Date-Timestamp") or 0) or conference_store.now_us()
        record = {
            "conference": name,
            "call_uuid": call,
            "member_id": member_id,
            "role": role,
            "action": action,
            "at_us": at_us,
            "sequence": int(event.get("Event-Sequence") or 0),
        }
        settle = action == LEAVE and role != EXPERT
        if settle:
            self._settling.add(call)
        self._writes.put_nowait((record, settle))
        if self._writer is None or self._writer.done():
            self._writer = self._spawn(self._write_in_order())

    async def _write_in_order(self) -> None:
        while not self._writes.empty():
            record, settle = self._writes.get_nowait()
            try:
                await self.store.record(**record)
            except Exception:
                log.exception("could not record %s of %s in %s", record["action"], record["call_uuid"],
                              record["conference"])  # fmt: skip
            if settle:
                self._spawn(self._settle(record["conference"], record["call_uuid"]))

    def _on_dtmf(self, event) -> None:
        if (event.get("DTMF-Digit") or "") != self.settings.conference_hand_key:
            return
        call = event.get("Unique-ID") or ""
        for room in self.rooms.values():
            member = room.members.get(call)
            if member is not None and member.role != EXPERT:
                member.hand_raised = True

    def _added(self, name: str, call: str, member_id: int, role: str, speaking: bool) -> None:
        if role not in (EXPERT, SPEAKER, LISTENER):
            return
        room = self.rooms.setdefault(name, Room(name))
        if call in room.members:
            return
        member = Member(call, member_id, role, speaking=speaking)
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
        if not room.members:
            self.rooms.pop(name, None)

    # --- metering -----------------------------------------------------------------------------------
    def _resume(self, name: str, member: Member, now: float) -> None:
        if member.auth is None or member.since is not None:
            return
        member.since = now
        member.first_billed_at = member.first_billed_at or time.time()
        member.timer = self._spawn(self._meter(member))

    def _pause(self, member: Member, now: float, *, rearm: bool = True) -> None:
        if member.since is not None:
            member.billed_s += now - member.since
            member.since = None
        if member.timer is not None:
            member.timer.cancel()
            member.timer = None
            if rearm:
                self._spawn(self._backstop(member, self.settings.consultation_max_s))

    def _billed_seconds(self, member: Member, now: float) -> float:
        """Billed (switch) seconds so far by this process's clock: real seconds over the time scale."""
        running = member.billed_s + (now - member.since if member.since is not None else 0.0)
        return running / self.settings.time_scale + 1e-6

    async def _meter(self, member: Member) -> None:
        """While the seat is billed (R-EXP3 for seats): arm the backstop for the remaining paid time, debit
        each whole minute from the hold, warn the caller before the end, then ask the owner to end it."""
        auth, s = member.auth, self.settings
        await self._backstop(member, auth.allowed_seconds - int(self._billed_seconds(member, self._now())))
        period = s.interim_debit_period_s
        for minute in range(1, int(self._billed_seconds(member, self._now()) // period) + 1):
            await self._step(member, "debit", minute)  # minutes billed before a restart (idempotent)
        while True:
            billed = self._billed_seconds(member, self._now())
            steps = [(float(auth.allowed_seconds), 2, "end", 0)]
            if not auth.free:
                minute = int(billed // period) + 1
                if minute * period <= auth.allowed_seconds:
                    steps.append((float(minute * period), 1, "debit", minute))
                if not member.warned and auth.allowed_seconds > s.consultation_warning_s > 0:
                    steps.append((float(auth.allowed_seconds - s.consultation_warning_s), 0, "warn", 0))
            at, _, what, minute = min(steps)
            await asyncio.sleep(max(0.0, (at - billed) * s.time_scale))
            await self._step(member, what, minute)
            if what == "end":
                return

    async def _step(self, member: Member, what: str, minute: int) -> None:
        call = member.call_uuid
        try:
            if what == "debit":
                await self.desk.consultations.debit_minute(call, minute)
            elif what == "warn":
                member.warned = True
                await self.desk.esl.api(f"uuid_broadcast {call} {self.settings.warning_prompt} aleg")
            else:
                await self.desk._ask_owner_to_end(call)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("conference metering step %s failed for %s (the backstop still stands)", what, call)

    async def _backstop(self, member: Member, seconds: int) -> None:
        try:
            await self.desk._backstop(member.call_uuid, max(0, seconds))
        except Exception:
            log.warning("backstop not re-armed for %s; the previous one stands", member.call_uuid)

    # --- settlement ---------------------------------------------------------------------------------
    async def _settle(self, name: str, call: str, *, until_us: int | None = None) -> dict | None:
        """Settle the seat from the stored stays; idempotent per seat (one settlement key), and the same
        rows give every replica the same billed seconds."""
        try:
            auth = await self.desk.consultations.get(call)
            if auth.service not in SEAT_SERVICE.values():
                return None
            billed = await self.store.billed(
                call, until_us=until_us or conference_store.now_us(), time_scale=self.settings.time_scale
            )
            room = billed.conference or name
            return await self.desk.consultations.settle(
                call,
                billsec=billed.seconds,
                cdr_uuid=f"conference:{room}:{call}",
                expert=room,
                answered_at=billed.first_us // 1_000_000,
            )
        except errors.NotFound:
            return None  # not a paid seat
        except errors.IdempotencyMismatch:
            return None  # settled already, by the other path or another replica
        except Exception:
            log.exception("settling conference seat %s failed; its CDR settles it again", call)
            raise
        finally:
            self._settling.discard(call)

    async def on_seat_cdr(self, auth: Authorisation, cdr: Cdr) -> None:
        """A seat's CDR: settle from the stored stays (a no-op if the del-member did already). A leave
        still being written here is waited for; a stay with no leave ends at the CDR's end."""
        call = auth.call_uuid
        for _ in range(int(self.settings.conference_leave_wait_s / 0.05)):
            if call not in self._settling and not self._live(call):
                break
            await asyncio.sleep(0.05)
        if call in self._settling:
            raise SeatStillLive(f"seat {call} is being settled; its CDR is looked at again later")
        end_us = cdr.end_epoch * 1_000_000 if cdr.end_epoch else conference_store.now_us()
        # min(): on the simulator the CDR's clock runs ahead of the event clock; never bill past now.
        await self._settle("", call, until_us=min(end_us, conference_store.now_us()))
        for room in list(self.rooms.values()):  # a member whose leave this process never saw
            member = room.members.pop(call, None)
            if member is not None:
                self._pause(member, self._now(), rearm=False)

    def _live(self, call: str) -> bool:
        return any(call in room.members for room in self.rooms.values())

    # --- restart, reconnect: reconciled against the switch ------------------------------------------
    async def start(self) -> None:
        """Listen to the room events, reconcile the rooms against the switch (joins and leaves that
        happened while no billing process was connected), rebuild them from the store, and keep the
        rooms' watch marks while the link is up (careline.billing.conference_reconcile)."""
        self.subscribe()
        self.desk.esl.on_reconnect(self._on_reconnect)
        await self.reconcile(live=False)
        await self.restore()
        self._watcher = self._spawn(self._watch_rooms())

    async def reconcile(self, *, live: bool) -> list[Change]:
        """``live``: mirror the changes in the rooms this process holds (after a reconnect); at start
        ``restore`` reads them from the store instead. A seat found gone is settled, as on a
        del-member."""
        await self.flush()  # what this link saw before is stored first: fewer changes to guess
        changes = await self.reconciler.run(horizon_s=self._horizon_s())
        for change in changes:
            if change.action == LEAVE:
                if live:
                    self._deleted(change.conference, change.call_uuid)
                if change.role != EXPERT:
                    self._settling.add(change.call_uuid)
                    self._spawn(self._settle(change.conference, change.call_uuid))
            elif live:
                self._added(change.conference, change.call_uuid, change.member_id, change.role,
                            change.speaking)  # fmt: skip
        return changes

    async def _on_reconnect(self, _client) -> None:
        await self.reconcile(live=True)

    async def _watch_rooms(self) -> None:
        """Every ``conference_watch_period_s`` (switch seconds): the rooms' open stays are known present
        up to the moment before the writes queued so far were flushed — if the link is still up."""
        period = self.settings.conference_watch_period_s * self.settings.time_scale
        while True:
            await asyncio.sleep(period)
            await self._mark_watched()

    async def _mark_watched(self) -> None:
        at_us = conference_store.now_us()
        await self.flush()
        if self.desk.esl is None or not self.desk.esl.connected:
            return  # not watching: the last mark stands
        for name in list(self.rooms):
            try:
                await self.store.watch(name, at_us)
            except Exception:
                log.warning("watch mark of conference %s not stored; the previous one stands", name)

    async def flush(self) -> None:
        """Wait until the joins and leaves queued so far are written."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    def _horizon_s(self) -> float:
        return 2 * self.settings.consultation_max_s * self.settings.time_scale

    async def restore(self) -> None:
        """Rebuild the rooms from stored stays with no leave (billing restarted mid-conference) and
        resume metering where an expert is present; billed time so far is read from the store."""
        since = conference_store.now_us() - int(self._horizon_s() * 1_000_000)
        now = self._now()
        for stay in await self.store.open_stays(since_us=since):
            room = self.rooms.setdefault(stay.conference, Room(stay.conference))
            if stay.call_uuid in room.members:
                continue
            member = Member(stay.call_uuid, stay.member_id, stay.role, speaking=stay.role == EXPERT)
            room.members[stay.call_uuid] = member
            if stay.role == EXPERT:
                continue
            try:
                member.auth = await self.desk.consultations.get(stay.call_uuid)
            except errors.NotFound:
                continue
            if await self.desk.consultations.is_settled(stay.call_uuid):
                room.members.pop(stay.call_uuid)
                continue
            billed = await self.store.billed(
                stay.call_uuid, until_us=conference_store.now_us(), time_scale=self.settings.time_scale
            )
            member.billed_s = billed.seconds * self.settings.time_scale
            member.first_billed_at = billed.first_us / 1_000_000
        for name, room in self.rooms.items():
            if room.expert is not None:
                for member in room.members.values():
                    self._resume(name, member, now)
        if self.rooms:
            log.info("restored %d conference(s) from the store", len(self.rooms))

    # --- helpers ------------------------------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def stop(self) -> None:
        if self._writer is not None and not self._writer.done():  # what this link saw is kept
            await asyncio.wait({self._writer}, timeout=5)
        if self._watcher is not None:  # billing knew who was there until now
            self._watcher.cancel()
            try:
                await asyncio.wait_for(self._mark_watched(), timeout=5)
            except TimeoutError:
                log.warning("the rooms' last watch mark was not stored at stop")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
