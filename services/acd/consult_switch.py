"""The consultation's switch commands over ESL (domain/consult.py), beside :class:`EslSwitch`:

- transfer_both:      ``uuid_transfer <uuid> -both <destination> XML <context>`` (both legs leave the
  bridge together and run the destination: the hold extension parks them, the conference extension
  joins them to a room);
- dial_to_park:       ``bgapi originate {vars}<dial> &park()``;
- dial_to_conference: ``bgapi originate {vars}<dial> &conference(<room>@default)``.

The variables (careline_call_id, careline_leg, a readable caller ID) come from the domain (legs.py).
"""

from __future__ import annotations

from careline.acd.switch import EslSwitch, _safe, _vars


class EslConsultSwitch:
    def __init__(self, switch: EslSwitch) -> None:
        self.switch = switch

    async def transfer_both(self, uuid: str, destination: str) -> bool:
        command = f"uuid_transfer {uuid} -both {_safe(destination)} XML {self.switch.transfer_context}"
        return (await self.switch._api(command)).startswith("+OK")

    async def dial_to_park(self, leg_uuid: str, dial: str, variables: dict[str, str]) -> tuple[bool, str]:
        values = {"origination_uuid": leg_uuid, "ignore_early_media": "true", **variables}
        return await self.switch._bgapi(f"originate {_vars(values)}{dial} &park()")

    async def dial_to_conference(
        self, leg_uuid: str, dial: str, room: str, variables: dict[str, str]
    ) -> tuple[bool, str]:
        values = {"origination_uuid": leg_uuid, "ignore_early_media": "true", **variables}
        return await self.switch._bgapi(f"originate {_vars(values)}{dial} &conference({_safe(room)}@default)")

    async def bridge(self, call_uuid: str, leg_uuid: str) -> bool:
        return await self.switch.bridge(call_uuid, leg_uuid)

    async def hold(self, call_uuid: str, music: str) -> bool:
        return await self.switch.hold(call_uuid, music)

    async def hang_up(self, uuid: str, cause: str) -> None:
        await self.switch.hang_up(uuid, cause)
