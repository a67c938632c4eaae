"""One call's IVR session (R-IVR1, R-IVR5, R-CRM2, R-VIP2; design §3), with a scripted call and fake
services, running the bundled hospital flow with recorded files for its menu prompts."""

from __future__ import annotations

import asyncio

import pytest

from careline.ivr.defaults_loader import StaticPlans, hospital_bundle
from careline.ivr.engine import LookupFailed
from careline.ivr.flow import Caller, HandOver, HandOverReply, IvrFlow, SessionConfig
from careline.ivr.settings import IvrSettings

FAIL = object()  # a keys entry: the collect's prompt did not play (read_result left unset)


class FakeCall:
    """Answers executes as FreeSWITCH's CHANNEL_EXECUTE_COMPLETE would (a dict of its headers)."""

    def __init__(self, keys: list, hang_up_after: int | None = None, missing: tuple[str, ...] = ()):
        self.uuid, self.caller_id_number, self.destination_number = "call-1", "13800000000", "5000"
        self.keys = list(keys)  # one entry per play_and_get_digits: digits, None (silence) or FAIL
        self.apps: list[tuple[str, str | None, bool]] = []
        self.hung_up = False
        self.hangup_cause: str | None = None
        self.released = False
        self.hang_up_after = hang_up_after  # the caller hangs up after this many executes
        self.missing = missing  # playbacks answered FILE NOT FOUND

    async def execute(self, app, arg=None, wait=True, **kw):
        assert arg is None or "None" not in arg.split()  # FreeSWITCH would read the word (design §2)
        self.apps.append((app, arg, wait))
        if self.hang_up_after is not None and len(self.apps) >= self.hang_up_after:
            self.hung_up = True
            raise ConnectionError("channel gone")
        if app == "playback":
            return {"Application-Response": "FILE NOT FOUND" if arg in self.missing else "FILE PLAYED"}
        if app == "play_and_get_digits":
            key = self.keys.pop(0) if self.keys else None
            if key is FAIL:
                return {"Application-Response": "_none_"}
            done = {"variable_read_result": "success" if key else "timeout"}
            return done | ({"variable_careline_menu_choice": key} if key else {})
        return {"Application-Response": "_none_"}

    def prompts(self) -> list[str]:
        """The prompt of every play_and_get_digits, in order."""
        return [arg.split()[5] for app, arg, _ in self.apps if app == "play_and_get_digits"]

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


class NoServices:
    async def lookup(self, *args):
        raise LookupFailed("none here")


SETTINGS = IvrSettings(
    env="test",
    prompt_main_menu="menu.wav",
    prompt_invalid="invalid.wav",
    prompt_sorry="sorry.wav",
    prompt_goodbye="bye.wav",
)
PLANS = StaticPlans(hospital_bundle(SETTINGS))


def _flow(reply=HandOverReply(True, position=1), caller=None, ownership=None):
    counts: list[tuple[str, str]] = []
    flow = IvrFlow(
        SessionConfig(),
        PLANS,
        FakeDirectory(caller),
        FakeAcd(reply),
        ownership or FakeOwnership(),
        NoServices(),
        count=lambda m, label: counts.append((m, label)),
    )
    return flow, counts


def _apps(call):
    return [a for a, _, _ in call.apps]


async def test_key_0_hands_over_then_parks_and_releases():
    flow, counts = _flow()
    call = FakeCall(["0"])
    await flow.handle(call)
    assert _apps(call) == ["set", "set", "answer", *["set"] * 4, "play_and_get_digits", "park"]
    assert call.apps[1][1] == "careline_call_id=call-1"
    assert call.apps[-1] == ("park", None, False)  # queued, not awaited
    assert call.released and not call.hung_up
    request = flow.acd.requests[0]
    assert request.reason == "key_0" and request.queue == "general"
    assert request.call_data["ivr_flow"] == "hospital" and request.call_data["vip"] == "false"
    assert ("menu_choices", "0") in counts and ("handovers", "accepted") in counts


@pytest.mark.parametrize("keys", [["5", None], [None, "7"], ["5", "7"], [None, None]])
async def test_two_failed_inputs_go_to_a_human_never_a_cut_off(keys):
    flow, counts = _flow()
    call = FakeCall(keys)
    await flow.handle(call)
    assert _apps(call).count("play_and_get_digits") == 2
    assert [arg for app, arg, _ in call.apps if app == "playback"] == ["invalid.wav"]  # between, not after
    assert flow.acd.requests[0].reason == "input_failed"
    assert call.released and not call.hung_up
    labels = [label for m, label in counts if m == "menu_choices"]
    assert labels == ["invalid" if k else "none" for k in keys]


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


async def test_vip_skips_the_menu_into_the_vip_queue():
    flow, _ = _flow(caller=Caller(found=True, vip=True, data={"patient_id": "p1"}))
    call = FakeCall([])
    await flow.handle(call)
    assert "play_and_get_digits" not in _apps(call)
    request = flow.acd.requests[0]
    assert (request.queue, request.vip, request.priority, request.reason) == ("vip", True, 100, "vip")
    assert request.call_data["patient_id"] == "p1" and request.call_data["vip"] == "true"


async def test_call_data_collected_travels_to_the_acd():
    flow, _ = _flow()
    call = FakeCall(["1", "1", "12345678"])  # appointments, book, card number
    await flow.handle(call)
    request = flow.acd.requests[0]
    assert request.queue == "general" and request.skills == ("appointments",)
    data = request.call_data
    assert (data["intent"], data["card_number"], data["main_choice"]) == ("appointment", "12345678", "1")


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

    answer = call.execute

    async def stuck(app, arg=None, wait=True, **kw):  # no CHANNEL_EXECUTE_COMPLETE after the hangup
        if app != "play_and_get_digits":
            return await answer(app, arg, wait)
        call.hung_up = True
        await asyncio.Event().wait()

    call.execute = stuck
    await asyncio.wait_for(flow.handle(call), 2)
    assert ("calls", "caller_hung_up") in counts and flow.acd.requests == []


def test_prompt_with_spaces_is_quoted_for_play_and_get_digits():
    from careline.ivr.flow import pagd_file

    assert pagd_file("say:Press 0 for an operator") == "'say:Press 0 for an operator'"
    assert pagd_file("/srv/sounds/menu.wav") == "/srv/sounds/menu.wav"


async def test_a_queue_the_acd_does_not_know_falls_back_to_the_human_queue():
    flow, _ = _flow(caller=Caller(found=True, vip=True))
    replies = [HandOverReply(False, "queue_unknown"), HandOverReply(True, position=1)]

    async def acd(request):
        flow.acd.requests.append(request)
        return replies.pop(0)

    flow.acd.hand_over = acd
    call = FakeCall([])
    await flow.handle(call)
    assert [r.queue for r in flow.acd.requests] == ["vip", "general"]
    assert call.released and not call.hung_up


async def test_the_call_is_marked_handled_before_anything_else():
    """public.xml parks a handed-over call only when careline_ivr_handled is true (design §3)."""
    flow, _ = _flow()
    call = FakeCall(["0"])
    await flow.handle(call)
    assert call.apps[0] == ("set", "careline_ivr_handled=true", True)


async def test_a_call_owned_elsewhere_is_not_marked_handled():
    flow, _ = _flow(ownership=FakeOwnership(owner="acd"))
    call = FakeCall(["0"])
    await flow.handle(call)
    assert ("set", "careline_ivr_handled=true", True) not in call.apps and call.released
