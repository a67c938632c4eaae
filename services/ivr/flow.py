"""One call's session in the IVR (R-IVR1, R-IVR3, R-IVR5, R-CRM2, R-VIP2; design §3).

claim ownership → tag the channel → answer → recognise the caller → run the flow published for the
dialled number (:mod:`careline.ivr.engine`) → hand over to the ACD, or hang up.

The session knows nothing of NATS or ESL: it talks to the call through :class:`CallPort` (the ESL
adapter's ``OutboundCall`` fits it; :class:`EslVoice` turns it into the interpreter's ``Voice``) and to
other services through small ports the service wires to NATS. Rules:
- the caller look-up is best effort: a slow or absent CRM means "unknown caller", never a stuck call;
  what it finds (VIP, patient id…) is call data, which the flow tests and the ACD receives (R-ACD2);
- the plan (flow version and prompts) is taken once, at the start: a call keeps its version (R-IVR4);
- hand-over: the ACD takes ownership (CAS ivr→acd) and accepts; only then the IVR parks the call and
  releases the socket, which leaves the call up. If the ACD refuses or is silent, the caller hears a
  sorry prompt and the call ends with the reason logged;
- a caller who hangs up at any moment ends the session quietly;
- language (issue 8, design §10): a known patient's language from the CRM, else the flow's (Mandarin);
  the channel gets ``careline_lang``, ``sound_prefix`` (the rendered prompts of that language, which the
  ACD's and billing's relative prompts follow too), ``tts_engine`` and ``tts_voice``; a switch in the
  menu is kept in the CRM for the patient's next call;
- a prompt the switch did not play (``playback`` answered FILE NOT FOUND / PLAYBACK ERROR, or
  ``play_and_get_digits`` left ``read_result`` unset, as FreeSWITCH does when its prompt fails) is
  logged with the call's uuid, counted, published on ``careline.ivr.playback.failed``, played once more,
  and then the caller goes to a human (the interpreter's rule).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from careline.core.log import call_context
from careline.ivr.engine import CallPlan, Hangup, Interpreter, PlaybackFailed, Services, Transfer
from careline.ivr.speech import is_chinese, speakable
from careline.prompts.catalog import LANGUAGES, sound_prefix

T = TypeVar("T")

log = logging.getLogger("careline.ivr.flow")

MENU_VAR = "careline_menu_choice"
CALL_ID_VAR = "careline_call_id"
# public.xml parks a call whose socket closed with this true (handed over) instead of sending it to
# the fallback operator; it must be set before anything else can fail (design §3).
HANDLED_VAR = "careline_ivr_handled"
ASK_REGEX = "[0-9*#]+"  # let every key through: the interpreter tells wrong keys from silence
LANG_VAR = "careline_lang"
FAILED_RESPONSES = ("FILE NOT FOUND", "PLAYBACK ERROR")  # mod_dptools' playback answers
GONE_STATES = ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY")


class CallPort(Protocol):
    uuid: str
    caller_id_number: str
    destination_number: str

    @property
    def hung_up(self) -> bool: ...

    async def execute(self, app: str, arg: str | None = None, wait: bool = True, **kw: Any): ...

    async def play_and_get_digits(self, **kwargs: Any) -> str | None: ...

    async def hangup(self, cause: str = "NORMAL_CLEARING") -> None: ...

    async def release(self) -> None: ...

    async def wait_hangup(self) -> None: ...


@dataclass(frozen=True)
class Caller:
    """What the CRM told us; ``Caller()`` is an unknown caller."""

    found: bool = False
    vip: bool = False
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HandOver:
    call_uuid: str
    caller_number: str
    queue: str
    vip: bool
    call_data: dict[str, str]
    reason: str  # why a human: "key_0", "input_failed", "vip", "flow"…
    skills: tuple[str, ...] = ()
    priority: int = 0


@dataclass(frozen=True)
class HandOverReply:
    accepted: bool
    reason: str = ""
    position: int = 0


class Directory(Protocol):
    async def lookup(self, number: str) -> Caller:
        """Never raises: an unknown or unreachable CRM gives ``Caller()``."""


class Acd(Protocol):
    async def hand_over(self, request: HandOver) -> HandOverReply:
        """Never raises: no answer gives ``HandOverReply(False, "acd_unavailable")``."""


class Ownership(Protocol):
    async def claim(self, call_uuid: str) -> bool:
        """Record ``owner=ivr``; False when another service already owns the call."""

    async def owner(self, call_uuid: str) -> str | None: ...

    async def forget(self, call_uuid: str) -> None:
        """The call ended while the IVR owned it."""


class Plans(Protocol):
    async def plan_for(self, dialled: str) -> CallPlan:
        """The plan published for the dialled number (else the default flow's); never fails a call."""


class Languages(Protocol):
    async def remember(self, patient_id: str, language: str, call_uuid: str) -> None:
        """Keep a known caller's choice (never raises)."""


@dataclass(frozen=True)
class PlaybackReport:
    call_uuid: str
    media: str
    detail: str
    attempt: int
    flow: str
    node: str
    language: str


class FailureSink(Protocol):
    async def publish(self, report: PlaybackReport) -> None:
        """Tell operators (never raises)."""


@dataclass(frozen=True)
class SessionConfig:
    sorry: str = "sorry"  # prompt refs said when no human can take the call
    goodbye: str = "goodbye"
    recordings_dir: str = "/var/lib/careline/recordings"
    channel_vars: dict[str, str] = field(default_factory=dict)  # set on every call
    # FreeSWITCH's sounds folder as the switch sees it; "${sounds_dir}" is the switch's own global.
    sounds_dir: str = "${sounds_dir}"
    tts_engine: str = "tts_commandline"  # dynamic text: mod_tts_commandline calling espeak-ng
    voices: dict[str, str] = field(default_factory=lambda: {c: lang.voice for c, lang in LANGUAGES.items()})


class CallerHungUp(Exception):  # noqa: N818 - a way out, not a failure
    pass


@dataclass
class IvrFlow:
    config: SessionConfig
    plans: Plans
    directory: Directory
    acd: Acd
    ownership: Ownership
    services: Services
    count: Callable[[str, str], None] = lambda _metric, _label: None  # metrics hook (metric, label)
    languages: Languages | None = None
    failures: FailureSink | None = None

    async def handle(self, call: CallPort) -> None:
        with call_context(call.uuid):
            self.count("calls", "arrived")
            try:
                await self._run(call)
            except CallerHungUp:
                self._caller_left(call)
            except Exception:
                if call.hung_up:
                    self._caller_left(call)
                else:
                    log.exception("IVR flow failed; hanging up")
                    self.count("calls", "failed")
                    await _quietly(call.hangup("NORMAL_TEMPORARY_FAILURE"))
            if call.hung_up:
                await _quietly(self.ownership.forget(call.uuid))

    async def _run(self, call: CallPort) -> None:
        if not await self.ownership.claim(call.uuid):
            log.warning("call already owned by %s; leaving it alone", await self.ownership.owner(call.uuid))
            self.count("calls", "not_owner")
            await call.release()
            return
        channel_vars = {HANDLED_VAR: "true", CALL_ID_VAR: call.uuid, **self.config.channel_vars}
        for name, value in channel_vars.items():
            await _do(call, "set", f"{name}={value}")
        await _do(call, "answer")
        dialled = getattr(call, "destination_number", "") or ""
        caller = await self.directory.lookup(call.caller_id_number)
        plan = await self.plans.plan_for(dialled)
        data = {
            **caller.data,
            "caller_number": call.caller_id_number,
            "call_uuid": call.uuid,  # look-ups that file something for this call (complaints, bookings)
            "dialled_number": dialled,
            "vip": "true" if caller.vip else "false",
            "ivr_flow": plan.flow,
            "ivr_flow_version": str(plan.version),
        }
        language = self._language(caller, plan)
        voice = EslVoice(call, self.config.recordings_dir, self.config)
        await voice.set_language(language)
        data["language"] = language
        patient = caller.data.get("patient_id", "")

        async def remember(chosen: str) -> None:
            if patient and self.languages is not None:
                await self.languages.remember(patient, chosen, call.uuid)

        async def failed(failure: PlaybackFailed, attempt: int) -> None:
            await self._playback_failed(call, plan, data, failure, attempt)

        interpreter = Interpreter(
            plan,
            voice,
            self.services,
            count=self.count,
            language=language,
            on_language=remember,
            on_playback_failure=failed,
        )
        outcome = await interpreter.run(data)
        _check(call)
        if isinstance(outcome, Hangup):
            self.count("calls", "ivr_hangup")
            await call.hangup(outcome.cause)
            return
        await self._hand_over(call, plan, caller, outcome, data, voice)

    async def _hand_over(
        self,
        call: CallPort,
        plan: CallPlan,
        caller: Caller,
        transfer: Transfer,
        data: dict[str, str],
        voice: EslVoice,
    ) -> None:
        data.pop("ivr_node", None)
        request = HandOver(
            call.uuid,
            call.caller_id_number,
            transfer.queue,
            caller.vip,
            {k: v for k, v in data.items() if v},
            transfer.reason,
            transfer.skills,
            transfer.priority,
        )
        reply = await self.acd.hand_over(request)
        _check(call)
        if not reply.accepted and reply.reason == "queue_unknown" and transfer.fallback_queue:
            # A flow naming a queue the ACD does not serve must not cut the caller off (R-IVR5).
            log.warning("queue %s unknown to the ACD; trying %s", transfer.queue, transfer.fallback_queue)
            request = replace(request, queue=transfer.fallback_queue, skills=())
            reply = await self.acd.hand_over(request)
            _check(call)
        if not reply.accepted and await self.ownership.owner(call.uuid) == "acd":
            # The ACD's reply was lost but its CAS won: the call is the ACD's (design §3).
            reply = HandOverReply(True, "owner_is_acd")
        if reply.accepted:
            log.info(
                "handed to the ACD queue %s (%s), position %d",
                request.queue,
                transfer.reason,
                reply.position,
            )
            self.count("handovers", "accepted")
            # park keeps the call up once the socket closes; the ACD plays music and bridges it.
            await call.execute("park", wait=False)
            await call.release()
            return
        log.warning("ACD did not take the call: %s; saying sorry and hanging up", reply.reason)
        self.count("handovers", reply.reason or "refused")
        for ref in (self.config.sorry, self.config.goodbye):
            media = plan.resolve(ref, data.get("language"))
            if media:
                await _do(call, "playback", voice.playable(media))
        await call.hangup("NORMAL_TEMPORARY_FAILURE")

    def _language(self, caller: Caller, plan: CallPlan) -> str:
        chosen = caller.data.get("language", "")
        if chosen in LANGUAGES and chosen in plan.languages:
            return chosen
        return plan.definition.language

    async def _playback_failed(
        self, call: CallPort, plan: CallPlan, data: dict[str, str], failure: PlaybackFailed, attempt: int
    ) -> None:
        node = data.get("ivr_node", "")
        log.error(
            "call %s: the switch did not play %s (%s) at node %s, attempt %d%s",
            call.uuid,
            failure.media,
            failure.detail,
            node,
            attempt,
            "; playing it again" if attempt == 1 else "",
        )
        if self.failures is not None:
            report = PlaybackReport(
                call.uuid, failure.media, failure.detail, attempt, plan.flow, node, data.get("language", "")
            )
            await self.failures.publish(report)

    def _caller_left(self, call: CallPort) -> None:
        log.info("caller hung up in the IVR")
        self.count("calls", "caller_hung_up")


class EslVoice:
    """The interpreter's :class:`~careline.ivr.engine.Voice` on an outbound-socket call."""

    def __init__(self, call: CallPort, recordings_dir: str, config: SessionConfig | None = None) -> None:
        self.call, self.recordings_dir = call, recordings_dir.rstrip("/")
        self.config = config or SessionConfig()
        self.language = ""

    async def set_language(self, language: str) -> None:
        """The caller's language on the channel: prompts, TTS voice, and what the ACD plays later."""
        self.language = language
        values = {
            LANG_VAR: language,
            "sound_prefix": sound_prefix(self.config.sounds_dir, language),
            "tts_engine": self.config.tts_engine,
            "tts_voice": self.config.voices.get(language, ""),
        }
        for name, value in values.items():
            await _do(self.call, "set", f"{name}={value}")

    def playable(self, media: str) -> str:
        """``say:<text>`` becomes ``tts://<engine>|<voice>|<text>``: the voice of the caller's language,
        or the Mandarin one for text in Chinese characters (the CRM's read-backs, drug information)."""
        if not media.startswith("say:"):
            return media
        text = speakable(media[4:])
        voice = self.config.voices.get("zh" if is_chinese(text) else self.language, "")
        return f"tts://{self.config.tts_engine}|{voice or 'default'}|{text}"

    async def say(self, media: str) -> None:
        complete = await _do(self.call, "playback", self.playable(media))
        if failure := playback_failure(complete, "playback"):
            raise PlaybackFailed(media, failure)

    async def ask(
        self, media: str, *, max_digits: int, timeout_ms: int, digit_timeout_ms: int, terminator: str
    ) -> str:
        args = [
            "1",
            str(int(max_digits)),
            "1",  # tries: the interpreter re-prompts itself (R-IVR5)
            str(int(timeout_ms)),
            terminator or "none",
            pagd_file(self.playable(media)),
            "silence_stream://250",
            MENU_VAR,
            ASK_REGEX,
            str(int(digit_timeout_ms)),
        ]
        complete = await _do(self.call, "play_and_get_digits", " ".join(args))
        if failure := playback_failure(complete, "play_and_get_digits"):
            raise PlaybackFailed(media, failure)
        return (complete.get(f"variable_{MENU_VAR}") if complete is not None else "") or ""

    async def forget_input(self) -> None:
        """Empty the variable play_and_get_digits filled (a PIN must not stay in the channel's CDR)."""
        await _do(self.call, "set", f"{MENU_VAR}=")

    async def record(self, name: str, max_seconds: int) -> str:
        path = f"{self.recordings_dir}/{self.call.uuid}-{name}.wav"
        await _do(self.call, "record", f"{path} {int(max_seconds)}")
        return path


async def _do(call: CallPort, app: str, arg: str | None = None):
    """Execute and wait; the CHANNEL_EXECUTE_COMPLETE (or whatever the port returns)."""
    _check(call)
    complete = await _until_hangup(call, call.execute(app, arg))
    _check(call)
    return complete


def playback_failure(complete, app: str) -> str:
    """Why the switch did not play a prompt, from the application's CHANNEL_EXECUTE_COMPLETE; "" when it
    played or there is no evidence (no event, or the channel is hanging up: the caller left)."""
    if complete is None or not hasattr(complete, "get"):
        return ""
    hanging_up = (complete.get("Answer-State") or "").lower() == "hangup"
    if hanging_up or complete.get("Channel-State") in GONE_STATES:
        return ""
    if app == "playback":
        answer = complete.get("Application-Response") or complete.get("variable_current_application_response")
        return answer if answer in FAILED_RESPONSES else ""
    # switch_ivr_read clears read_result first and sets it only once its prompt has played
    return "" if complete.get("variable_read_result") else "read_result unset"


def _check(call: CallPort) -> None:
    if call.hung_up:
        raise CallerHungUp()


def pagd_file(path: str) -> str:
    """play_and_get_digits splits its argument on spaces; FreeSWITCH keeps a single-quoted part whole
    (switch_separate_string), so a ``say:`` prompt with spaces is quoted."""
    return f"'{path}'" if any(c.isspace() for c in path) else path


async def _until_hangup(call: CallPort, operation: Awaitable[T]) -> T:
    """Run ``operation`` unless the caller hangs up first.

    An application's CHANNEL_EXECUTE_COMPLETE may never come once the channel is gone (and the socket
    lingers for seconds after the hangup), so a hangup ends the wait at once.
    """
    work = asyncio.ensure_future(operation)
    hangup = asyncio.ensure_future(call.wait_hangup())
    try:
        done, _ = await asyncio.wait({work, hangup}, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            return work.result()
        raise CallerHungUp()
    finally:
        for task in (work, hangup):
            if not task.done():
                task.cancel()
        await asyncio.gather(work, hangup, return_exceptions=True)


async def _quietly(awaitable) -> None:
    try:
        await awaitable
    except Exception:  # best effort on a call that is already ending
        log.debug("ignored error while ending a call", exc_info=True)
