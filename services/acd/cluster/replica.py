"""Wiring of one ACD replica (design §3-4): the buckets, the agent watch, the publishing loop, the
heartbeat and the take-over sweep. The distributor sees only two hooks: ``may_offer`` (the bucket
says the agent is available) and ``reserve`` (the CAS before an originate).

Stopping a replica cancels its loops and writes nothing: a graceful hand-over and a crash look the
same to the others (the lease expires, they take over), so the crash path is the one always exercised.
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuidlib

from careline import subjects
from careline.acd.cluster.adoption import INSTANCES, Adopter, Leases
from careline.acd.cluster.agents import AgentBoard
from careline.acd.cluster.members import MemberBook
from careline.acd.handlers import AcdHandlers

log = logging.getLogger("careline.acd.cluster")


def _bucket(name: str):
    return next((b for b in subjects.BUCKETS if b.name == name), name)


class Replica:
    def __init__(self, distributor, bus, *, instance: str = "", lease_s: float = 5.0, sync_s: float = 0.1):
        self.distributor, self.bus = distributor, bus
        self.instance = instance or f"acd-{uuidlib.uuid4().hex[:12]}"
        self.lease_s, self.sync_s = lease_s, sync_s
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> Replica:
        agents_kv = await self.bus.kv(_bucket(subjects.KV_AGENT_STATE))
        members_kv = await self.bus.kv(_bucket(subjects.KV_QUEUE_MEMBERS))
        self.leases = Leases(await self.bus.kv(INSTANCES), self.instance, self.lease_s)
        await self.leases.beat()  # alive before owning anything
        self.board = AgentBoard(agents_kv, self.distributor, self.instance)
        self.book = MemberBook(members_kv, self.distributor, self.instance)
        self.adopter = Adopter(self.board, self.book, members_kv, self.distributor.switch, self.leases)
        for entry in await _current(agents_kv):
            self.board.apply(entry.key, entry.value, entry.revision)
        self.distributor.may_offer = self.board.may_offer
        self.distributor.reserve = self.board.reserve
        loop = asyncio.get_running_loop()
        for work in (self._watch(agents_kv), self._every(self.sync_s, self.flush)):
            self._tasks.append(loop.create_task(work))
        self._tasks.append(loop.create_task(self._every(self.lease_s / 3, self.leases.beat)))
        self._tasks.append(loop.create_task(self._every(self.lease_s / 3, self.adopter.sweep)))
        log.info("acd replica %s started (lease %.1f s)", self.instance, self.lease_s)
        return self

    async def flush(self) -> None:
        """Publish this instance's agent and caller changes now (also awaited before an enqueue reply)."""
        async with self._lock:
            await self.board.publish_changes()
            await self.book.publish_changes()

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _watch(self, kv) -> None:
        while True:
            try:
                async for entry in kv.watch():
                    self.board.apply(entry.key, entry.value, entry.revision)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken watch is opened again; the view catches up with current values
                log.exception("agent_state watch failed")
                await asyncio.sleep(self.sync_s)

    async def _every(self, seconds: float, work) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed round must not stop the next
                log.exception("acd replica: %s failed", getattr(work, "__name__", work))


async def _current(kv) -> list:
    entries = []
    for key in await kv.keys():
        entry = await kv.get(key)
        if entry is not None:
            entries.append(entry)
    return entries


class ReplicaHandlers(AcdHandlers):
    """The enqueue answers only once the caller is in ``queue_members``: a caller the IVR handed over
    is never held by one instance's memory alone."""

    replica: Replica | None = None

    async def _enqueue(self, request):
        result = await super()._enqueue(request)
        if result.accepted and self.replica is not None:
            await self.replica.flush()
        return result
