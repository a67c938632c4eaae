"""The inbound ESL server's connections: auth, then api, bgapi, event, filter, sendmsg… (design §2, §7)."""

from __future__ import annotations

import asyncio

from .. import wire
from .esl_link import Link, handle_sendmsg


class InboundLink(Link):
    """A client that connected to the switch's ESL port (auth required)."""

    async def serve(self) -> None:
        try:
            await self.send(b"Content-Type: auth/request\n\n")
            authed = False
            while not self.closed:
                cmd = await wire.read_command(self.reader)
                if cmd is None:
                    break
                word, _, rest = cmd.line.partition(" ")
                word = word.lower()
                if not authed:
                    if word == "auth":
                        if rest.strip() == self.core.config.password:
                            authed = True
                            await self.send(wire.command_reply("+OK accepted"))
                        else:
                            await self.send(wire.command_reply("-ERR invalid"))
                            await self.send(wire.disconnect_notice())
                            break
                    else:
                        await self.send(wire.command_reply("-ERR command not found"))
                    continue
                if not await self.dispatch(word, rest, cmd):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            await self.close()

    async def dispatch(self, word: str, rest: str, cmd) -> bool:
        if word == "exit":
            await self.flush_events()
            await self.send(wire.command_reply("+OK bye"))
            await self.send(wire.disconnect_notice())
            return False
        if word == "api":
            await self.cmd_api(rest)
        elif word == "bgapi":
            await self.cmd_bgapi(rest, cmd)
        elif word == "event":
            await self.cmd_event(rest)
        elif word == "nixevent":
            await self.cmd_nixevent(rest)
        elif word == "noevents":
            await self.cmd_noevents()
        elif word == "filter":
            await self.cmd_filter(rest)
        elif word == "linger":
            await self.send(wire.command_reply("-ERR not controlling a session"))
        elif word == "divert_events":
            await self.send(wire.command_reply("-ERR not controlling a session."))
        elif word == "sendmsg":
            await self.cmd_sendmsg(rest.strip(), cmd)
        elif word == "sendevent":
            await self.send(wire.command_reply("+OK"))
        else:
            await self.send(wire.command_reply("-ERR command not found"))
        return True

    async def cmd_sendmsg(self, uuid: str, cmd) -> None:
        ch = self.core.get(uuid) if uuid else None
        if ch is None:
            await self.send(wire.command_reply(f"-ERR invalid session id [{uuid}]"))
            return
        await self.send(wire.command_reply("+OK"))
        handle_sendmsg(ch, cmd)
