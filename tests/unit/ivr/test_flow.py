"""The IVR call flow (R-IVR1, R-IVR5, R-CRM2; design §3), with a scripted call and fake services."""

from __future__ import annotations

import asyncio

import pytest

from careline.ivr.flow import Caller, HandOver, HandOverReply, IvrFlow, MenuConfig


class FakeCall:
    def __init__(self, keys: list[str | None], hang_up_after: int | None = None):
        self.uuid, self.caller_id_number = "call-1", "13800000000"
        self.keys = list(keys)  # one entry per play_and_get_digits
        self.apps: list[tuple[str, str | None, bool]] = []
        self.hung_up = False
        self.hangup_cause: str | None = None
        self.released = False
        self.hang_up_after = hang_up_after  # the caller hangs up after this many executes

    async def execute(self, app, arg=None, wait=True, **kw):
        self.apps.append((app, arg, wait))
        if self.hang_up_after is not None and len(self.apps) >= self.hang_up_after:
            self.hung_up = True
            raise ConnectionError("channel gone")

    async def play_and_get_digits(self, **kwargs):
        assert None not in kwargs.values()  # FreeSWITCH would read the word "None" (design §2)
        self.apps.append(("play_and_get_digits", kwargs["prompt"], True))
        return self.keys.pop(0) if self.keys else None

    async def hangup(self, cause="NORMAL_CLEARING"):
        self.hung_up, self.hangup_cause = True, cause

    async def release(self):
        self.released = True

    async def wait_hangup(self):
        while not self.hung_up:  # noqa: ASYNC110 - a fake: polling keeps it tiny
            await asyncio.sleep(0.001)


class FakeDirectory:
    def __init__(self, caller: Caller | None = None):
        self.caller = caller or Caller()

    async def lookup(self, number):
        return self.caller


class FakeAcd:
    def __init__(self, reply: HandOverReply):
        self.reply, self.requests = reply, []

    async def hand_over(self, request: HandOver):
        self.requests.append(request)
        return self.reply


class FakeOwnership:
    def __init__(self, owner: str | None = None, after_handover: str | None = None):
        self.owners: dict[str, str] = {"call-1": owner} if owner else {}
        self.forgotten: list[str] = []

    async def claim(self, uuid):
        return self.owners.setdefault(uuid, "ivr") == "ivr"

    async def owner(self, uuid):
        return self.owners.get(uuid)

    async def forget(self, uuid):
        self.forgotten.append(uuid)


CONFIG = MenuConfig(main_menu="menu.wav", invalid="invalid.wav", sorry="sorry.wav", goodbye="bye.wav")


def _flow(reply=HandOverReply(True, position=1), caller=None, ownership=None):
    counts: list[tuple[str, str]] = []
    flow = IvrFlow(
        CONFIG,
        FakeDirectory(caller),
        FakeAcd(reply),
        ownership or FakeOwnership(),
        count=lambda m, label: counts.append((m, label)),
    )
    return flow, counts


def _apps(call):
    return [a for a, _, _ in call.apps]


async def test_key_0_hands_over_then_parks_and_releases():
    flow, counts = _flow()
    call = FakeCall(["0"])
    await flow.handle(call)
    assert _apps(call) == ["set", "answer", "play_and_get_digits", "park"]
    assert call.apps[0][1] == "careline_call_id=call-1"
    assert call.apps[-1] == ("park", None, False)  # queued, not awaited
    assert call.released and not call.hung_up
    assert flow.acd.requests[0].reason == "key_0" and flow.acd.requests[0].queue == "general"
    assert ("menu_choices", "0") in counts and ("handovers", "accepted") in counts


async def test_bad_keys_and_silence_reprompt_twice_then_go_to_a_human():
    flow, counts = _flow()
    call = FakeCall(["5", None, "7"])
    await flow.handle(call)
    assert _apps(call).count("play_and_get_digits") == 3
    assert _apps(call).count("playback") == 2  # invalid prompt between attempts, not after the last
    assert flow.acd.requests[0].reason == "menu_exhausted"
    assert call.released and not call.hung_up
    assert [label for m, label in counts if m == "menu_choices"] == ["invalid", "none", "invalid"]


async def test_refused_hand_over_says_sorry_and_hangs_up():
    flow, counts = _flow(reply=HandOverReply(False, "acd_unavailable"))
    call = FakeCall(["0"])
    await flow.handle(call)
    assert [arg for app, arg, _ in call.apps if app == "playback"] == ["sorry.wav", "bye.wav"]
    assert call.hangup_cause == "NORMAL_TEMPORARY_FAILURE" and not call.released
    assert ("handovers", "acd_unavailable") in counts


async def test_lost_reply_but_acd_owns_the_call_counts_as_accepted():
    ownership = FakeOwnership()
    flow, _ = _flow(reply=HandOverReply(False, "acd_unavailable"), ownership=ownership)

    async def acd_won(request):
        ownership.owners[request.call_uuid] = "acd"
        return HandOverReply(False, "acd_unavailable")

    flow.acd.hand_over = acd_won
    call = FakeCall(["0"])
    await flow.handle(call)
    assert call.released and not call.hung_up


async def test_vip_skips_the_menu():
    flow, _ = _flow(caller=Caller(found=True, vip=True, data={"patient_id": "p1"}))
    call = FakeCall([])
    await flow.handle(call)
    assert "play_and_get_digits" not in _apps(call)
    assert flow.acd.requests[0].vip and flow.acd.requests[0].call_data == {"patient_id": "p1"}


@pytest.mark.parametrize("hang_up_after", [1, 2, 3])
async def test_caller_hang_up_at_any_point_ends_quietly(hang_up_after):
    ownership = FakeOwnership()
    flow, counts = _flow(ownership=ownership)
    call = FakeCall([None, None, None], hang_up_after=hang_up_after)
    await flow.handle(call)
    assert ("calls", "caller_hung_up") in counts and ("calls", "failed") not in counts
    assert flow.acd.requests == [] and ownership.forgotten == ["call-1"]


async def test_call_owned_elsewhere_is_left_alone():
    flow, counts = _flow(ownership=FakeOwnership(owner="acd"))
    call = FakeCall(["0"])
    await flow.handle(call)
    assert call.apps == [] and call.released and ("calls", "not_owner") in counts


async def test_hang_up_during_a_prompt_that_never_completes_ends_the_wait():
    flow, counts = _flow()
    call = FakeCall([])

    async def stuck(**kwargs):  # no CHANNEL_EXECUTE_COMPLETE after the hangup
        call.hung_up = True
        await asyncio.Event().wait()

    call.play_and_get_digits = stuck
    await asyncio.wait_for(flow.handle(call), 2)
    assert ("calls", "caller_hung_up") in counts and flow.acd.requests == []


def test_prompt_with_spaces_is_quoted_for_play_and_get_digits():
    from careline.ivr.flow import pagd_file

    assert pagd_file("say:Press 0 for an operator") == "'say:Press 0 for an operator'"
    assert pagd_file("/srv/sounds/menu.wav") == "/srv/sounds/menu.wav"
