"""Leases and take-over (design §3-4): a dead instance loses no caller and leaves no agent held.

Every instance puts a heartbeat ``<instance id> → {"at": wall clock}`` into the ``acd_instances``
bucket every ``lease_s / 3``. An instance is alive while its heartbeat is younger than ``lease_s``.
Every sweep, for each ``queue_members`` entry whose owner is not alive, an instance CAS-writes itself as
owner (of several survivors exactly one wins), then:

- a waiting caller still up (``uuid_exists``) is queued here again with its original entry time and
  class, hold music replayed (the channel stayed parked in FreeSWITCH); one already gone is recorded
  as abandoned;
- a bridged call whose two legs are up is followed here (the agent on call with this instance) so its
  end starts the agent's wrap-up; otherwise the surviving leg is hung up.

Then each ``agent_state`` entry held by a dead instance is released: a ringing (or orphaned) leg is
killed with ``uuid_kill`` and the agent CAS-set available.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from careline.acd.cluster.records import AVAILABLE, BRIDGED, HELD, AgentRecord, MemberRecord
from careline.acd.domain.agents import AgentState
from careline.acd.domain.queue import WaitingCall
from careline.acd.domain.routing import Bridged
from careline.core.bus import BucketSpec, Conflict

log = logging.getLogger("careline.acd.cluster")

INSTANCES = BucketSpec("acd_instances", ttl=3600)  # the TTL only clears heartbeats of long-gone replicas


class Leases:
    def __init__(self, kv, instance: str, lease_s: float, wall: Callable[[], float] = time.time) -> None:
        self.kv, self.instance, self.lease_s, self.wall = kv, instance, lease_s, wall

    async def beat(self) -> None:
        await self.kv.put(self.instance, json.dumps({"at": self.wall()}).encode())

    async def alive(self) -> set[str]:
        alive = {self.instance}
        for key in await self.kv.keys():
            entry = await self.kv.get(key)
            if (
                entry is not None
                and self.wall() - json.loads(entry.value or b"{}").get("at", 0) <= self.lease_s
            ):
                alive.add(key)
        return alive


class Adopter:
    def __init__(self, board, book, members_kv, switch, leases: Leases) -> None:
        self.board, self.book, self.members_kv = board, book, members_kv
        self.distributor = board.distributor
        self.switch, self.leases = switch, leases
        self.adopted_total = 0  # callers taken over from dead instances (tests, logs)

    async def sweep(self) -> int:
        """Take over what dead instances held; the number of callers adopted."""
        alive = await self.leases.alive()
        adopted = 0
        for uuid in await self.members_kv.keys():
            entry = await self.members_kv.get(uuid)
            if entry is None:
                continue
            record = MemberRecord.decode(entry.value)
            if record.owner not in alive and await self._adopt(uuid, record, entry.revision):
                adopted += 1
                self.adopted_total += 1
        for agent_id in await self.board.kv.keys():
            entry = await self.board.kv.get(agent_id)
            if entry is None:
                continue
            record = AgentRecord.decode(entry.value)
            if record.state in HELD and record.instance not in alive:
                await self._release_agent(agent_id, record, entry.revision)
        return adopted

    async def _adopt(self, uuid: str, record: MemberRecord, revision: int) -> bool:
        mine = MemberRecord(**{**record.__dict__, "owner": self.board.instance})
        try:
            revision = await self.members_kv.update(uuid, mine.encode(), revision)
        except Conflict:
            return False  # another survivor was first
        log.info("taking over caller from %s", record.owner, extra={"call_uuid": uuid})
        if record.state == BRIDGED:
            await self._adopt_bridge(uuid, mine, revision)
        else:
            await self._adopt_waiting(uuid, mine, revision)
        return True

    async def _adopt_waiting(self, uuid: str, record: MemberRecord, revision: int) -> None:
        d = self.distributor
        queue = d.queues.get(record.queue) or d.queue
        waited = max(0.0, self.leases.wall() - record.enqueued_at)
        if queue is None or not await self._exists(uuid):
            await self._forget(uuid, revision)
            if queue is not None:
                for stats in (d.stats, queue.stats):
                    stats.call_abandoned(waited)
                d.on_event("abandoned")
            return
        now = d.clock()
        call = WaitingCall(
            uuid,
            record.caller_number,
            now - waited,
            vip=record.vip,
            priority=record.priority,
            call_data=dict(record.call_data),
            skills={k: int(v) for k, v in record.skills.items()},
        )
        call.entered_at = now - waited
        call.next_announce_at = now + queue.config.announce_every_s
        queue.add(call)
        self.book.adopted(uuid, record, revision)
        await self.switch.hold(uuid, queue.config.music_on_hold)
        d.tick()

    async def _adopt_bridge(self, uuid: str, record: MemberRecord, revision: int) -> None:
        d = self.distributor
        agent = d.agents.get(record.agent)
        entry = await self.board.kv.get(record.agent)
        up = await self._exists(uuid) and await self._exists(record.leg)
        if not up or agent is None or agent.busy or entry is None:
            await self.switch.hang_up(uuid, "NORMAL_CLEARING")
            await self.switch.hang_up(record.leg, "NORMAL_CLEARING")
            await self._forget(uuid, revision)
            return  # the agent is released with the other held agents
        on_call = AgentRecord("on_call", self.board.instance, uuid, record.leg, since=self.leases.wall())
        if not await self.board.write(record.agent, on_call, entry.revision):
            return
        agent.state = AgentState.AVAILABLE  # local view of an agent held elsewhere: take the call over
        agent.offer(uuid, record.leg)
        agent.answered(d.clock())
        self.board.published[agent.id] = AgentState.ON_CALL.value
        d.add_bridge(
            Bridged(
                uuid,
                agent.id,
                record.leg,
                record.caller_number,
                record.queue,
                dict(record.call_data),
                record.vip,
                record.priority,
                dict(record.skills),
            )  # fmt: skip
        )
        self.book.adopted(uuid, record, revision)

    async def _release_agent(self, agent_id: str, record: AgentRecord, revision: int) -> None:
        if record.leg and record.state in ("ringing", "on_call"):
            await self.switch.hang_up(record.leg, "ORIGINATOR_CANCEL")
        freed = AgentRecord(AVAILABLE, self.board.instance, since=self.leases.wall())
        if await self.board.write(agent_id, freed, revision):
            log.info("agent %s released from dead instance %s", agent_id, record.instance)
            self.distributor.dispatch()

    async def _forget(self, uuid: str, revision: int) -> None:
        try:
            await self.members_kv.delete(uuid, revision=revision)
        except Conflict:
            pass

    async def _exists(self, uuid: str) -> bool:
        try:
            return await self.switch.exists(uuid)
        except Exception:  # unknown is not gone: keep the caller
            return True
