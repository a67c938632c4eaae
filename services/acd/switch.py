"""The distributor's :class:`SwitchPort` over ESL (design §2, §3).

Everything here is a FreeSWITCH command, kept to those real FreeSWITCH 1.10+ has (fs-traces):
- hold:      ``uuid_broadcast <caller> <moh> aleg`` — plays to the caller whatever runs (socket or park);
- originate: ``bgapi originate {vars}user/<ext> &park()`` — slow, so never a blocking ``api`` (it would
  hold back this link's events); the BACKGROUND_JOB body is ``+OK <uuid>`` or ``-ERR <CAUSE>``;
- bridge:    ``uuid_break <caller>`` (stops the hold music; the queued ``park`` keeps the caller up) then
  ``uuid_bridge <caller> <agent leg>``;
- hang_up:   ``uuid_kill <uuid> <cause>`` (``-ERR No such channel!`` means it is already gone: success);
- exists:    ``uuid_exists <uuid>`` → ``true`` / ``false``;
- announce:  ``uuid_break`` then ``uuid_broadcast <caller> file_string://<position…>!<moh> aleg`` (one
  broadcast, so the music follows the announcement without a second command racing it);
- goodbye:   ``uuid_break``, ``uuid_broadcast <caller> <prompt> aleg``, ``sched_hangup +N <caller>``.
- hold_call: ``uuid_broadcast <caller> <hold music> aleg`` on the bridged call; unhold is
  ``uuid_break <caller> all``. Measured on FreeSWITCH 1.11.2 with real phones (issue 8,
  docs/dev/real-freeswitch.md): ``uuid_hold <caller>`` plays the caller's ``hold_music`` to the AGENT
  (nothing was set: dead air for both); ``uuid_hold <agent leg>`` re-INVITEs the agent's phone sendonly, a
  phone that answers recvonly as desk phones do then gets 0 RTP to the caller for the whole hold. A
  broadcast on the caller's leg gives the caller music (143 packets in 3 s, 130 with sound) and the agent
  silence (1 packet) with no re-INVITE; ``uuid_break`` brings the conversation back both ways. Agent legs
  are still originated with ``hold_music``, so a hold pressed on the phone itself plays music too;
- transfer:  ``uuid_transfer <caller> <destination> XML <context>`` (the agent's leg of the bridge ends);
- dial_out:  ``bgapi originate {vars}user/<ext> &bridge({vars}<outbound dial>)`` — the agent first;
- eavesdrop: ``bgapi originate {vars}user/<supervisor> &eavesdrop(<agent leg>)`` with the
  ``eavesdrop_*`` variables choosing listen / whisper / barge, and ``eavesdrop_enable_dtmf`` so the
  supervisor switches on the phone (2 whisper to the agent, 1 to the caller, 3 three-way, 0 listen).

Every leg originated here carries the call's id, its kind and a readable caller ID (legs.py, issue 8).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from careline.acd.domain.ports import Offer, OriginateOutcome
from careline.acd.legs import dial_vars, leg_vars
from careline.core.esl.errors import EslError

log = logging.getLogger("careline.acd.switch")

# Recorded prompts of the position announcement: "you are number <n>… about <m> minutes".
ANNOUNCE_PROMPTS = {
    "position": "ivr/careline-queue-position.wav",
    "wait": "ivr/careline-queue-wait.wav",
    "minutes": "ivr/careline-queue-minutes.wav",
}


def _text(result: Any) -> str:
    """The adapter returns the reply body; accept an event object too."""
    if result is None:
        return ""
    body = getattr(result, "body", result)
    return str(body or "").strip()


def originate_command(offer: Offer, dial: str, hold_music: str = "local_stream://moh") -> str:
    """Ring an agent for a queued caller: the leg carries the call's id and shows the caller's number
    (and the queue, "careline-care", as the name; VIP callers say so)."""
    call, agent = offer.call, offer.agent
    name = f"careline {offer.queue.name}" + (" VIP" if call.vip else "")
    variables = {
        "origination_uuid": offer.leg_uuid,
        **leg_vars(call.call_uuid, "offer", call.caller_number, name),
        "careline_queue": offer.queue.name,
        "careline_agent": agent.id,
        "originate_timeout": str(offer.queue.no_answer_timeout_s),
        "ignore_early_media": "true",
        "hold_music": hold_music,  # a hold pressed on the agent's phone plays this to the caller
    }
    return f"originate {_vars(variables)}{dial.format(extension=agent.extension)} &park()"


def _safe(value: str) -> str:
    # A bare token of a command (a uuid, an extension, a number): no blanks, commas, braces or quotes.
    return "".join(c for c in value if c not in ",{}' \t\r\n")


_vars = dial_vars  # {k=v,…} with every value escaped (legs.py)


# Eavesdrop modes (R-REC2) as the variables mod_dptools' eavesdrop reads; the target is the agent's leg
# (the "aleg" of the eavesdrop), so whisper speaks to the agent only and barge to both.
EAVESDROP_VARS = {
    "listen": {},
    "whisper": {"eavesdrop_whisper_aleg": "true"},
    "barge": {"eavesdrop_whisper_aleg": "true", "eavesdrop_whisper_bleg": "true"},
}


class EslSwitch:
    def __init__(
        self,
        esl,
        agent_dial: str = "user/{extension}",
        goodbye_s: int = 4,
        *,
        transfer_context: str = "default",
        outbound_dial: str = "sofia/gateway/pstn/{number}",
        hold_music: str = "local_stream://moh",
        outbound_caller_id_number: str = "",
        outbound_caller_id_name: str = "careline",
    ) -> None:
        self.esl = esl
        # What the far end of an outbound call or callback sees ("": the agent's extension).
        self.outbound_caller_id_number = outbound_caller_id_number
        self.outbound_caller_id_name = outbound_caller_id_name
        self.hold_music = hold_music  # what a caller hears while their agent holds the call
        self.transfer_context = transfer_context
        self.outbound_dial = outbound_dial
        self.agent_dial = agent_dial
        self.goodbye_s = goodbye_s  # time the goodbye prompt gets before the hang-up
        self.prompts = dict(ANNOUNCE_PROMPTS)

    async def _api(self, command: str) -> str:
        try:
            return _text(await self.esl.api(command))
        except EslError as err:  # the adapter may raise on -ERR; the text is what matters
            return f"-ERR {err}"

    async def hold(self, call_uuid: str, music: str) -> bool:
        reply = await self._api(f"uuid_broadcast {call_uuid} {music} aleg")
        if reply.startswith("-ERR"):
            log.info("hold music not started: %s", reply, extra={"call_uuid": call_uuid})
            return await self.exists(call_uuid)
        return True

    async def originate_agent(self, offer: Offer) -> OriginateOutcome:
        command = originate_command(offer, self.agent_dial, hold_music=self.hold_music)
        try:
            reply = _text(await self.esl.bgapi(command))
        except EslError as err:
            reply = f"-ERR {err}"
        if reply.startswith("+OK"):
            return OriginateOutcome(True)
        cause = reply.removeprefix("-ERR").strip() or "UNKNOWN"
        return OriginateOutcome(False, cause)

    async def bridge(self, call_uuid: str, leg_uuid: str) -> bool:
        await self._api(f"uuid_break {call_uuid}")
        reply = await self._api(f"uuid_bridge {call_uuid} {leg_uuid}")
        if not reply.startswith("+OK"):
            log.warning("uuid_bridge failed: %s", reply, extra={"call_uuid": call_uuid})
            return False
        return True

    async def hang_up(self, uuid: str, cause: str) -> None:
        try:
            await self._api(f"uuid_kill {uuid} {cause}")
        except Exception:  # best effort: the resync or the hangup event settles it
            log.warning("uuid_kill %s failed", uuid, exc_info=True)

    async def channels(self) -> list[dict[str, str]]:
        """``show channels as json``: one row per channel (uuid, direction, dest, presence_id, …)."""
        reply = await self._api("show channels as json")
        if reply.startswith("-ERR"):
            raise EslError(f"show channels: {reply}")
        return list(json.loads(reply or "{}").get("rows") or [])

    async def exists(self, uuid: str) -> bool:
        reply = await self._api(f"uuid_exists {uuid}")
        if reply.startswith("-ERR"):
            raise EslError(f"uuid_exists {uuid}: {reply}")  # unknown, not gone: keep the call
        return reply == "true"

    async def announce(self, call_uuid: str, position: int, wait_s: float, music: str) -> None:
        minutes = max(1, round(wait_s / 60))
        files = [self.prompts["position"], f"digits/{position}.wav", self.prompts["wait"]]
        files += [f"digits/{minutes}.wav", self.prompts["minutes"], music]
        await self._api(f"uuid_break {call_uuid}")
        await self._api(f"uuid_broadcast {call_uuid} file_string://{'!'.join(files)} aleg")

    async def goodbye(self, call_uuid: str, prompt: str) -> None:
        await self._api(f"uuid_break {call_uuid}")
        await self._api(f"uuid_broadcast {call_uuid} {prompt} aleg")
        await self._api(f"sched_hangup +{self.goodbye_s} {call_uuid} NORMAL_CLEARING")

    async def _bgapi(self, command: str) -> tuple[bool, str]:
        try:
            reply = _text(await self.esl.bgapi(command))
        except EslError as err:
            reply = f"-ERR {err}"
        if reply.startswith("+OK"):
            return True, ""
        return False, reply.removeprefix("-ERR").strip() or "UNKNOWN"

    async def hold_call(self, caller: str, on: bool) -> bool:
        """Hold: the caller hears the hold music, the agent silence (module doc: why not ``uuid_hold``)."""
        if on:
            reply = await self._api(f"uuid_broadcast {caller} {_safe(self.hold_music)} aleg")
        else:
            reply = await self._api(f"uuid_break {caller} all")
        if not reply.startswith("+OK"):
            log.warning("%s refused: %s", "hold" if on else "unhold", reply, extra={"call_uuid": caller})
            return False
        return True

    async def transfer(self, uuid: str, destination: str) -> bool:
        reply = await self._api(f"uuid_transfer {uuid} {_safe(destination)} XML {self.transfer_context}")
        return reply.startswith("+OK")

    async def dial_out(
        self, agent, agent_leg: str, number: str, number_leg: str, *, kind: str = "outbound", **extra: str
    ) -> tuple[bool, str]:
        """The agent's phone first (showing the number it will call), then the number (showing the
        hospital's caller ID); both legs carry the call's id, the number's leg (R-ACD5)."""
        agent_vars = {
            "origination_uuid": agent_leg,
            **leg_vars(number_leg, kind, number, f"careline {kind}", **extra),
            "careline_agent": agent.id,
            "ignore_early_media": "true",
            "hold_music": self.hold_music,
        }
        shown = self.outbound_caller_id_number or agent.extension
        number_vars = {
            "origination_uuid": number_leg,
            **leg_vars(number_leg, kind, shown, self.outbound_caller_id_name, **extra),
            "careline_agent": agent.id,
        }
        far = _vars(number_vars) + self.outbound_dial.format(number=_safe(number))
        dial = self.agent_dial.format(extension=agent.extension)
        return await self._bgapi(f"originate {_vars(agent_vars)}{dial} &bridge({far})")

    async def eavesdrop(
        self, extension: str, leg_uuid: str, target_uuid: str, mode: str, call_uuid: str = ""
    ) -> tuple[bool, str]:
        """The supervisor's phone rings as "Supervisor-<ext>"; the leg belongs to the call it listens to."""
        variables = {
            "origination_uuid": leg_uuid,
            **leg_vars(call_uuid or target_uuid, "eavesdrop", extension, f"Supervisor {extension}"),
            "careline_supervisor": extension,
            "careline_eavesdrop_mode": mode,
            "eavesdrop_enable_dtmf": "true",
            **EAVESDROP_VARS[mode],
        }
        dial = self.agent_dial.format(extension=extension)
        return await self._bgapi(f"originate {_vars(variables)}{dial} &eavesdrop({_safe(target_uuid)})")
