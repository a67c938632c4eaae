"""Side (a): FreeSWITCH's own mod_callcenter on the same switch, same agents, same callers.

Per step: load the module (``BENCH_FS_LOAD_CALLCENTER``, e.g. ``load mod_callcenter``), add the agents
(type callback, contact = the sipp agents' UAS, wrap-up 0 as careline's queue, Available) and their tiers
to the queue ``careline-bench@default`` of callcenter.conf.xml; after the step remove them and unload the
module, so it neither polls nor answers events during careline's steps.
"""

from __future__ import annotations

import logging

log = logging.getLogger("bench.real_fs.callcenter")

QUEUE = "careline-bench@default"
DOOR = "bench-callcenter"


class CallcenterSide:
    name = "mod_callcenter"
    door = DOOR

    def __init__(self, esl, agents: list[str], contact: str, load_command: str, unload_command: str) -> None:
        self.esl, self.agents, self.contact = esl, agents, contact
        self.load_command, self.unload_command = load_command, unload_command

    async def start(self) -> None:
        reply = await self.esl.api(self.load_command)
        if "-ERR" in reply and "already loaded" not in reply.lower():
            raise RuntimeError(f"{self.load_command}: {reply}")
        for agent in self.agents:
            await self._config(f"agent add {agent} callback", ok_if="exist")
            await self._config(f"agent set contact {agent} {self.contact.format(agent=agent)}")
            for key, value in (("wrap_up_time", 0), ("max_no_answer", 0), ("reject_delay_time", 0)):
                await self._config(f"agent set {key} {agent} {value}")
            await self._config(f"agent set busy_delay_time {agent} 0")
            await self._config(f"agent set status {agent} Available")
            await self._config(f"agent set state {agent} Waiting")
            await self._config(f"tier add {QUEUE} {agent} 1 1", ok_if="exist")

    async def _config(self, args: str, ok_if: str = "") -> None:
        reply = await self.esl.api(f"callcenter_config {args}")
        if not reply.startswith("+OK") and not (ok_if and ok_if in reply.lower()):
            raise RuntimeError(f"callcenter_config {args}: {reply}")

    def pids(self) -> dict[str, int]:
        return {}  # everything runs inside the switch

    def records(self) -> int | None:
        return None  # mod_callcenter keeps no call records

    async def stop(self) -> None:
        for agent in self.agents:
            await self.esl.api(f"callcenter_config tier del {QUEUE} {agent}")
            await self.esl.api(f"callcenter_config agent del {agent}")
        reply = await self.esl.api(self.unload_command)
        if "-ERR" in reply:
            log.warning("%s: %s", self.unload_command, reply)
