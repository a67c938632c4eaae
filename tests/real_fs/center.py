"""The contact center on the real switch: careline's apps in-process, as tests/e2e/support.py runs them on
the simulator, but with the ESL link of the switch given by environment and the IVR's outbound-socket
listener on the port its dialplan sends callers to (design §3, §12; issue 8).

:class:`Center` also answers like a caller: :meth:`Center.answer` keys digits while the question is being
played (PLAYBACK_START of that prompt), through the caller's RTP.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.support import running, wait_ready
from tests.real_fs.conftest import RealSwitch
from tests.real_fs.phones import AgentPhone, Caller
from tests.real_fs.switchboard import Seen, Switchboard

# What FreeSWITCH 1.11.2 answers in Application-Response when a prompt could not be played.
PLAYBACK_ERRORS = ("FILE NOT FOUND", "PLAYBACK ERROR", "FILE PLAYED WITH ERRORS", "-ERR", "Invalid")


def settings_for(env: RealSwitch, tmp_path: Path, service: str, nats_url: str) -> dict:
    return {
        "env": "test",
        "data_dir": tmp_path / service,
        "nats_url": nats_url,
        "esl_host": env.esl_host,
        "esl_port": env.esl_port,
        "esl_password": env.esl_password,
        "log_json": False,
    }


@dataclass
class Center:
    env: RealSwitch
    board: Switchboard
    clients: dict[str, httpx.AsyncClient]
    workdir: Path
    stack: AsyncExitStack
    cursor: dict[str, int] = field(default_factory=dict)

    async def call(self, number: str, service: str = "95000") -> tuple[Caller, str]:
        caller = Caller(self.env, self.workdir, number, service)
        self.stack.push_async_callback(caller.close)
        await caller.dial()
        return caller, await self.board.channel_of(caller.call_id)

    async def phone(self, extension: str, answer_after_s: float = 2.0) -> AgentPhone:
        phone = AgentPhone(self.env, self.workdir, extension, answer_after_s)
        self.stack.push_async_callback(phone.close)
        self.stack.push_async_callback(phone.unregister)
        return await phone.register()

    async def hears(self, uuid: str, text: str, within: float = 30) -> Seen:
        """The next prompt (after the cursor) whose played path contains ``text``."""
        seen = await self.board.wait_event(
            uuid, "PLAYBACK_START", contains=text, since=self.cursor.get(uuid, 0), within=within
        )
        self.cursor[uuid] = self.board.events[uuid].index(seen) + 1
        return seen

    async def answer(
        self, caller: Caller, uuid: str, text: str, keys: str, after_s: float = 1.0, within: float = 30
    ) -> Seen:
        """When the question containing ``text`` is played, listen ``after_s`` then key ``keys``."""
        seen = await self.hears(uuid, text, within)
        await asyncio.sleep(after_s)
        await caller.media.send_digits(keys)
        return seen

    async def stopped(self, uuid: str, start: Seen, within: float = 60) -> Seen:
        """The PLAYBACK_STOP of the playback that ``start`` began."""
        since = self.board.events[uuid].index(start)
        path = start.get("Playback-File-Path")
        return await self.board.wait_event(uuid, "PLAYBACK_STOP", contains=path, since=since, within=within)

    async def hang_up(self, uuid: str) -> None:
        await self.board.esl.api(f"uuid_kill {uuid} NORMAL_CLEARING")
        await self.board.ended(uuid)


async def start_apps(
    stack: AsyncExitStack, env: RealSwitch, tmp_path: Path, nats_url: str, *, billing: bool = False, **acd
) -> dict[str, httpx.AsyncClient]:
    """crm (demo hospital), cdr, acd, optionally billing, and the ivr on the switch's socket port."""
    import secrets

    from careline.acd.app import create_app as acd_app
    from careline.acd.settings import AcdSettings
    from careline.cdr.app import create_app as cdr_app
    from careline.cdr.settings import CdrSettings
    from careline.crm.app import create_app as crm_app
    from careline.crm.demo_data import load_demo_hospital_at
    from careline.crm.settings import CrmSettings
    from careline.ivr.app import create_app as ivr_app
    from careline.ivr.settings import IvrSettings

    def base(service: str) -> dict:
        return settings_for(env, tmp_path, service, nats_url)

    crm_settings = CrmSettings(**base("crm"), cdr_durable=f"crm-{secrets.token_hex(4)}")
    await load_demo_hospital_at(crm_settings.database_url, zone=crm_settings.timezone)
    clients = {"crm": await stack.enter_async_context(running(crm_app(crm_settings)))}
    clients["cdr"] = await stack.enter_async_context(running(cdr_app(CdrSettings(**base("cdr")))))
    if billing:
        from careline.billing.app import create_app as billing_app
        from careline.billing.settings import BillingSettings

        settings = BillingSettings(**base("billing"), pin_scrypt_n=2**10, consultation_grace_s=5)
        clients["billing"] = await stack.enter_async_context(running(billing_app(settings)))
    acd_settings = AcdSettings(**base("acd"), **{"tick_s": 0.1, **acd})
    clients["acd"] = await stack.enter_async_context(running(acd_app(acd_settings)))
    ivr = ivr_app(IvrSettings(**base("ivr"), socket_port=env.ivr_socket_port))
    clients["ivr"] = await stack.enter_async_context(running(ivr))
    await wait_ready(clients)
    return clients


@asynccontextmanager
async def contact_center(env: RealSwitch, tmp_path: Path, nats_url: str, **options):
    async with AsyncExitStack() as stack:
        board = await Switchboard(env).start()
        stack.push_async_callback(board.close)
        clients = await start_apps(stack, env, tmp_path, nats_url, **options)
        workdir = tmp_path / "sipp"
        workdir.mkdir()
        center = Center(env, board, clients, workdir, stack)
        try:
            yield center
        finally:
            # Leave the switch as found: no channel of ours survives a failed test.
            for uuid in list(board.events):
                if not board.of(uuid, "CHANNEL_HANGUP_COMPLETE"):
                    await board.esl.api(f"uuid_kill {uuid} NORMAL_CLEARING")
