"""The demo's day: set up over HTTP, ring callers in, show progress, print the summary."""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time
from dataclasses import dataclass

from careline.core.log import setup_logging
from careline.crm.demo_data import load_demo_hospital_at
from careline.demo.stack import Stack, open_stack
from careline.switchsim import CallerScript, PhoneBehaviour

S = CallerScript
HOSPITAL_NUMBER = "95000"
PROMPTS = {
    "prompt_main_menu": "demo/main-menu.wav",
    "prompt_invalid": "demo/invalid.wav",
    "prompt_sorry": "demo/sorry.wav",
    "prompt_goodbye": "demo/goodbye.wav",
}
PROMPT_SECONDS = {
    "demo/main-menu.wav": 3.0,
    "demo/invalid.wav": 1.5,
    "demo/sorry.wav": 2.0,
    "demo/goodbye.wav": 1.0,
}
KNOWN_CALLERS = ["13912345678", "13800138000", "13700137000", "13600136000"]  # demo_hospital.json


@dataclass(frozen=True)
class DemoPlan:
    calls: int
    duration: float
    agents: int
    talk_time: float
    seed: int


def parse_args(argv: list[str]) -> tuple[DemoPlan, float, bool]:
    p = argparse.ArgumentParser(prog="careline demo", description=__doc__)
    p.add_argument("--calls", type=int, default=20, help="callers who ring in (default 20)")
    p.add_argument(
        "--duration", type=float, default=40.0, help="seconds over which they ring in (default 40)"
    )
    p.add_argument(
        "--agents", type=int, default=4, help="agents logged in (default 4; the last never answers)"
    )
    p.add_argument("--talk-time", type=float, default=5.0, help="seconds an agent talks (default 5)")
    p.add_argument("--time-scale", type=float, default=1.0, help="real seconds per simulated second")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--verbose", action="store_true", help="show the services' logs")
    a = p.parse_args(argv)
    if a.calls < 1 or a.duration <= 0 or a.agents < 1 or a.time_scale <= 0:
        p.error("--calls, --duration, --agents and --time-scale must be positive")
    return DemoPlan(a.calls, a.duration, a.agents, a.talk_time, a.seed), a.time_scale, a.verbose


def persona(rng: random.Random) -> CallerScript:
    """A caller of the mix a hospital sees: most ask for a human, some fumble, some give up waiting."""
    menu = [S.wait_for("PLAYBACK_START"), S.wait(1.0)]
    roll = rng.random()
    if roll < 0.65:
        return S([*menu, S.press("0"), S.wait_for("bridged", 600)], "presses 0")
    if roll < 0.80:
        return S(
            [*menu, S.press("9"), S.wait(2.5), S.press("0"), S.wait_for("bridged", 600)], "wrong key, then 0"
        )
    if roll < 0.92:
        return S([S.wait_for("bridged", 600)], "silent (elderly)")
    return S([*menu, S.press("0"), S.hangup_after(rng.uniform(2.0, 6.0))], "hangs up while waiting")


async def set_up(stack: Stack, plan: DemoPlan) -> list[str]:
    crm_settings = stack.services["crm"].app.state.settings
    loaded = await load_demo_hospital_at(crm_settings.database_url, zone=crm_settings.timezone)
    print(f"demo hospital loaded into the CRM: {loaded.total()} records", flush=True)
    extensions = []
    async with stack.client("acd") as acd:
        r = await acd.put("/v1/queue", json={"name": "general", "no_answer_timeout_s": 6, "max_wait_s": 300})
        r.raise_for_status()
        # VIP callers recognised by caller ID skip the menu into their own queue (R-VIP1, R-VIP2)
        (
            await acd.put("/v1/queues/vip", json={"no_answer_timeout_s": 6, "max_wait_s": 300})
        ).raise_for_status()
        for i in range(plan.agents):
            ext = str(1001 + i)
            silent = plan.agents > 1 and i == plan.agents - 1
            behaviour = PhoneBehaviour(
                answer_after=0.8, talk_time=plan.talk_time, mode="ring" if silent else "answer"
            )
            stack.switch.add_phone(ext, behaviour)
            agent = {"id": f"agent{ext}", "name": f"Agent {ext}", "extension": ext}
            (await acd.post("/v1/agents", json=agent)).raise_for_status()
            (await acd.post(f"/v1/agents/agent{ext}/login")).raise_for_status()
            extensions.append(ext)
    return extensions


async def ring_in(stack: Stack, plan: DemoPlan, placed: list[str]) -> None:
    rng = random.Random(plan.seed)
    rate = plan.calls / plan.duration
    for i in range(plan.calls):
        await asyncio.sleep(rng.expovariate(rate) if i else 0.2)
        number = rng.choice(KNOWN_CALLERS) if rng.random() < 0.2 else f"139{rng.randrange(10**8):08d}"
        placed.append(await stack.switch.place_call(number, HOSPITAL_NUMBER, persona(rng)))


async def progress(stack: Stack, plan: DemoPlan, placed: list[str], started: float) -> None:
    async with stack.client("acd") as acd:
        while True:
            calls = [stack.switch.calls[u] for u in placed]
            done = sum(c.ended_at is not None for c in calls)
            talking = sum(c.bridged_at is not None and c.ended_at is None for c in calls)
            waiting = len((await acd.get("/v1/queue")).json().get("waiting", []))
            print(
                f"  t={time.monotonic() - started:5.1f}s  rang {len(placed):3d}/{plan.calls}  "
                f"waiting {waiting:2d}  talking {talking:2d}  ended {done:3d}",
                flush=True,
            )
            await asyncio.sleep(2.0)


async def summary(stack: Stack, placed: list[str]) -> dict:
    async with stack.client("acd") as acd, stack.client("cdr") as cdr:
        stats = (await acd.get("/v1/stats")).json()
        agents = (await acd.get("/v1/agents")).json()
        legs = set(placed) | {h["uuid"] for p in stack.switch.phones.values() for h in p.history}
        for _ in range(50):  # CDRs are written from CHANNEL_HANGUP_COMPLETE, a moment after the call ends
            cdrs = (await cdr.get("/v1/cdrs", params={"limit": 1})).json()["total"]
            if cdrs >= len(legs):
                break
            await asyncio.sleep(0.1)
    bridged = sum(stack.switch.calls[u].bridged_at is not None for u in placed)
    return {
        "offered to the ACD": stats["offered"],
        "answered by agents": stats["answered"],
        "abandoned": stats["abandoned"],
        "mean wait (s)": round(stats["mean_wait_s"], 2),
        "max wait (s)": round(stats["max_wait_s"], 2),
        "callers bridged (switch view)": bridged,
        "call legs": len(legs),
        "CDRs written": cdrs,
        "agents at the end": ", ".join(f"{a['id']}={a['state']}" for a in agents),
        "max calls on one phone": max(p.max_concurrent for p in stack.switch.phones.values()),
    }


def print_table(rows: dict) -> None:
    width = max(len(k) for k in rows)
    print("\ncareline demo summary")
    print("-" * (width + 30))
    for key, value in rows.items():
        print(f"{key:<{width}}  {value}")
    print("-" * (width + 30))


async def run(plan: DemoPlan, time_scale: float) -> dict:
    started = time.monotonic()
    print("starting nats-server, the FreeSWITCH simulator and the services ...", flush=True)
    durations = {k: v for k, v in PROMPT_SECONDS.items()}
    async with open_stack(
        time_scale=time_scale, extra_settings={"ivr": PROMPTS}, file_durations=durations
    ) as stack:
        for name, svc in stack.services.items():
            print(f"  {name:4s} {svc.base_url}", flush=True)
        print(f"  switch ESL 127.0.0.1:{stack.switch.esl_port}; nats {stack.nats.url}", flush=True)
        agents = await set_up(stack, plan)
        print(
            f"{len(agents)} agents logged in ({agents[-1]} never answers); {plan.calls} callers ...",
            flush=True,
        )
        placed: list[str] = []
        ticker = asyncio.create_task(progress(stack, plan, placed, started))
        try:
            await ring_in(stack, plan, placed)
            await asyncio.gather(*(stack.switch.calls[u].done.wait() for u in placed))
            await stack.switch.wait_idle(30)
        finally:
            ticker.cancel()
        rows = await summary(stack, placed)
        print("stopping ...", flush=True)
    rows["run time (s)"] = round(time.monotonic() - started, 1)
    return rows


def main(argv: list[str] | None = None) -> int:
    plan, time_scale, verbose = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging("demo", "INFO" if verbose else "WARNING", json_lines=True)
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    rows = asyncio.run(run(plan, time_scale))
    print_table(rows)
    return 0
