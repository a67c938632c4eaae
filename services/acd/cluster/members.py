"""This instance's callers in ``queue_members`` (design §3-4): a waiting caller is written before the
enqueue is answered (so a caller the IVR handed over survives this instance), a bridged one is marked
bridged (agent and leg, so a survivor can follow the call to its end), and the entry goes when the
call leaves the ACD. Entries carry the owning instance; only the owner writes them, except a take-over,
which is a compare-and-set of the owner (:mod:`.adoption`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from careline.acd.cluster.records import BRIDGED, WAITING, MemberRecord
from careline.core.bus import Conflict

log = logging.getLogger("careline.acd.cluster")


class MemberBook:
    def __init__(self, kv, distributor, instance: str, wall: Callable[[], float] = time.time) -> None:
        self.kv = kv
        self.distributor = distributor
        self.instance = instance
        self.wall = wall
        self.written: dict[str, tuple[MemberRecord, int]] = {}  # call uuid -> (record, revision)

    def current(self) -> dict[str, MemberRecord]:
        """What the bucket should hold for this instance now."""
        d, now, wall = self.distributor, self.distributor.clock(), self.wall()
        records: dict[str, MemberRecord] = {}
        for queue in d.queues.values():
            for call in queue.ordered():
                records[call.call_uuid] = MemberRecord(
                    queue.name,
                    self.instance,
                    WAITING,
                    call.caller_number,
                    call.vip,
                    call.priority,
                    dict(call.call_data),
                    dict(call.skills),
                    wall - (now - call.enqueued_at),
                )
        for bridge in d.bridged.values():
            if bridge.outbound:
                continue
            records[bridge.call_uuid] = MemberRecord(
                bridge.queue,
                self.instance,
                BRIDGED,
                bridge.caller_number,
                bridge.vip,
                bridge.priority,
                dict(bridge.call_data),
                dict(bridge.skills),
                agent=bridge.agent_id,
                leg=bridge.leg_uuid,
            )
        return records

    async def publish_changes(self) -> None:
        records = self.current()
        for uuid, record in records.items():
            known = self.written.get(uuid)
            if known is not None and _same(known[0], record):
                continue
            await self._write(uuid, record, known)
        for uuid in [u for u in self.written if u not in records]:
            _record, revision = self.written.pop(uuid)
            try:
                await self.kv.delete(uuid, revision=revision)
            except Conflict:  # taken over meanwhile (we were thought dead): the new owner has it
                log.warning("queue member %s changed under us", uuid)

    async def _write(self, uuid: str, record: MemberRecord, known) -> None:
        try:
            if known is None:
                revision = await self.kv.create(uuid, record.encode())
            else:
                revision = await self.kv.update(uuid, record.encode(), known[1])
        except Conflict:
            log.warning("queue member %s is another instance's", uuid, extra={"call_uuid": uuid})
            return
        self.written[uuid] = (record, revision)

    def adopted(self, uuid: str, record: MemberRecord, revision: int) -> None:
        self.written[uuid] = (record, revision)


def _same(a: MemberRecord, b: MemberRecord) -> bool:
    # enqueued_at is recomputed from two clocks each time; a few ms of drift is not a change
    return (a.queue, a.state, a.agent, a.leg) == (b.queue, b.state, b.agent, b.leg)
