"""Two ACD replicas on one simulator (issue 3 "Replicas", design §3-4): 50 agents, a burst of callers
handed over as the IVR does, one instance killed mid-run without any goodbye. Asserted: every caller is
answered or recorded abandoned, no phone ever had two calls, every agent ends available (or on break).

Both instances read the same ACD database (the shared configuration: queue and agents); agent
availability and the waiting callers are shared only through NATS KV.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets

import httpx
import pytest

from careline import subjects
from careline.acd.app import create_app
from careline.acd.settings import AcdSettings
from careline.switchsim import TRACE_DIALPLAN, PhoneBehaviour, Switch, SwitchConfig
from careline.v1.acd_pb2 import EnqueueReply, EnqueueRequest

AGENTS, CALLERS = 50, 80
PARKS = [("answer", ""), *[("park", "")] * 200]


class Instance:
    def __init__(self, settings: AcdSettings) -> None:
        self.app = create_app(settings)
        self.started, self.stop = asyncio.Event(), asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run())
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(self.app), base_url="http://t")

    async def _run(self) -> None:
        async with self.app.router.lifespan_context(self.app):
            self.started.set()
            await self.stop.wait()

    async def kill(self) -> None:
        """A crash: the NATS and ESL links drop, the loops stop, nothing is released or handed over."""
        rt = self.app.state.runtime
        self.app.state.replica.stop()
        await rt.bus.nc.close()
        await rt.esl.close()
        self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task


@pytest.fixture
async def cluster(tmp_path, nats_url, bus):
    config = SwitchConfig(esl_port=0, password=secrets.token_hex(8), time_scale=0.05)
    config.dialplan = [*TRACE_DIALPLAN, ("9190", PARKS)]
    sw = Switch(config)
    await sw.start()
    common = dict(env="test", nats_url=nats_url, esl_port=sw.esl_port, esl_password=config.password,
                  db_url=f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}", tick_s=0.05, replicas=True,
                  lease_s=1.0)  # fmt: skip
    a = Instance(AcdSettings(data_dir=tmp_path / "a", instance_id="acd-a", **common))
    await asyncio.wait_for(a.started.wait(), 20)
    assert (
        await a.client.put("/v1/queues/care", json={"wrap_up_s": 0, "no_answer_timeout_s": 30})
    ).status_code == 200
    for n in range(AGENTS):
        ext = f"{3000 + n}"
        sw.add_phone(ext, PhoneBehaviour(answer_after=2.0, talk_time=20.0))
        r = await a.client.post("/v1/agents", json={"id": f"r{n}", "name": f"r{n}", "extension": ext})
        assert r.status_code == 201, r.text
    b = Instance(AcdSettings(data_dir=tmp_path / "b", instance_id="acd-b", **common))  # reads a's config
    await asyncio.wait_for(b.started.wait(), 20)
    try:
        yield sw, a, b, bus
    finally:
        for inst in (a, b):
            inst.stop.set()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(inst.task, 10)
        await sw.stop()


async def _caller(sw, bus, n: int) -> tuple[str, EnqueueReply]:
    uuid = await sw.place_call(f"1390000{n:04d}", "9190")
    await sw.wait_call_event(uuid, "answered", 5)
    kv = await bus.kv(next(b for b in subjects.BUCKETS if b.name == subjects.KV_CALL_OWNER))
    await kv.create(uuid, b"ivr")
    request = EnqueueRequest(call_uuid=uuid, queue="care", caller_number=f"1390000{n:04d}")
    return uuid, await bus.request(subjects.ACD_ENQUEUE, request, reply_type=EnqueueReply, timeout=5)


async def test_killing_one_of_two_replicas_loses_no_caller_and_holds_no_agent(cluster):
    sw, a, b, bus = cluster
    for n in range(AGENTS):  # half log in on each instance: the bucket carries it to the other
        inst = a if n % 2 else b
        assert (await inst.client.post(f"/v1/agents/r{n}/login")).status_code == 200
    callers = await asyncio.gather(*(_caller(sw, bus, n) for n in range(CALLERS)))
    assert all(reply.accepted for _uuid, reply in callers), [r.reason for _u, r in callers]
    await asyncio.sleep(0.3)  # mid-run: phones ringing, calls bridged, callers waiting
    await a.kill()
    uuids = [u for u, _r in callers]

    def settled() -> bool:
        return all(sw.calls[u].done.is_set() for u in uuids)

    end = asyncio.get_running_loop().time() + 45
    while not settled():
        assert asyncio.get_running_loop().time() < end, "callers still up"
        await asyncio.sleep(0.1)
    answered = {u for u in uuids if sw.calls[u].bridged_to}
    assert b.app.state.replica.adopter.adopted_total > 0  # the survivor took the dead one's callers over
    abandoned_b = b.app.state.distributor.stats.abandoned
    lost = [u for u in uuids if u not in answered]
    assert not lost or abandoned_b >= len(lost), f"{len(lost)} callers neither answered nor abandoned"
    assert all(p.max_concurrent <= 1 for p in sw.phones.values()), "an agent had two calls at once"

    kv = await bus.kv(subjects.KV_AGENT_STATE)

    async def stuck_agents() -> dict:
        """Agents not idle, as the survivor sees them locally or as the shared bucket has them."""
        stuck = {}
        for n in range(AGENTS):
            local = (await b.client.get(f"/v1/agents/r{n}")).json()["state"]
            shared = json.loads((await kv.get(f"r{n}")).value)["state"]
            if not {local, shared} <= {"available", "on_break"}:
                stuck[f"r{n}"] = (local, shared)
        return stuck

    end = asyncio.get_running_loop().time() + 10
    while stuck := await stuck_agents():
        assert asyncio.get_running_loop().time() < end, (
            f"agents stuck in ringing, on call or reserved: {stuck}"
        )
        await asyncio.sleep(0.1)
