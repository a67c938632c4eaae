"""Callers and agents' phones on the real switch: a sipp dialogue plus an RTP peer (issue 8).

:class:`Caller` dials the service number and finds its own channel through the Call-ID it chose (the
switch's ``variable_sip_call_id``); :class:`AgentPhone` registers a directory user so ``user/<ext>``
reaches it, rings and answers after a delay.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

from tests.real_fs.media import RtpPeer
from tests.real_fs.sipp import (
    Sipp,
    agent_uas_scenario,
    caller_scenario,
    register_scenario,
    sipp_args,
)


class Caller:
    def __init__(self, env, workdir: Path, number: str, service: str = "95000", max_s: float = 300):
        self.env, self.workdir, self.number, self.service, self.max_s = env, workdir, number, service, max_s
        self.call_id = f"careline-real-{secrets.token_hex(6)}"
        self.media = RtpPeer()
        self.sipp: Sipp | None = None

    async def dial(self) -> Caller:
        await self.media.start()
        name = f"caller-{self.number}-{self.call_id[-6:]}"
        scenario = caller_scenario(self.number, self.media.port, self.max_s)
        args, _ = sipp_args(self.workdir, name, scenario, self.env.sip, s=self.service, cid_str=self.call_id)
        self.sipp = await Sipp(name, self.workdir, args).start()
        return self

    async def close(self) -> None:
        if self.sipp is not None:
            await self.sipp.stop()
        await self.media.close()


class AgentPhone:
    def __init__(self, env, workdir: Path, extension: str, answer_after_s: float = 2.0):
        self.env, self.workdir, self.extension = env, workdir, extension
        self.answer_after_s = answer_after_s
        self.media = RtpPeer()
        self.uas: Sipp | None = None

    async def register(self, expires: int = 600) -> AgentPhone:
        """Start the UAS (the phone), then REGISTER its port as user <ext>@<domain>; wait for the 200."""
        await self.media.start()
        name = f"agent-{self.extension}-{secrets.token_hex(3)}"
        args, port = sipp_args(
            self.workdir, name, agent_uas_scenario(self.media.port, self.answer_after_s), self.env.sip
        )
        self.uas = await Sipp(name, self.workdir, args, sip_port=port).start()
        reg_name = f"{name}-register"
        scenario = register_scenario(self.extension, self.env.domain, self.env.user_password, port, expires)
        reg_args, _ = sipp_args(self.workdir, reg_name, scenario, self.env.sip, timeout="10s")
        reg = await Sipp(reg_name, self.workdir, reg_args).start()
        code = await reg.wait(15)
        assert code == 0, f"REGISTER {self.extension}@{self.env.domain} failed:\n{reg.errors()}"
        return self

    async def unregister(self) -> None:
        name = f"agent-{self.extension}-{secrets.token_hex(3)}-unregister"
        scenario = register_scenario(self.extension, self.env.domain, self.env.user_password, None, 0)
        args, _ = sipp_args(self.workdir, name, scenario, self.env.sip, timeout="10s")
        reg = await Sipp(name, self.workdir, args).start()
        await asyncio.gather(reg.wait(15), return_exceptions=True)

    async def close(self) -> None:
        if self.uas is not None:
            await self.uas.stop()
        await self.media.close()
