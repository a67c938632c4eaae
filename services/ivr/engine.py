"""The flow interpreter (R-IVR1–R-IVR5, R-VIP2; design §3): walks a :class:`FlowDefinition` for one call.

Pure domain: it speaks to the caller only through :class:`Voice` (the ESL adapter implements it, see
``careline.ivr.flow.EslVoice``) and to other services only through :class:`Services`; it never raises for
a caller's mistake. Rules every flow gets for free:

- ``*`` in any menu or collect repeats what was said since the last input (the information just read,
  then the question), and never counts as a failure;
- ``0`` in any menu (and in a collect that needs two digits or more) goes to the flow's ``human`` node;
- a wrong key or silence re-prompts ``retries`` times (at most once), then goes ``on_fail`` or to the
  human node: two failed inputs reach a human, never a cut-off (R-IVR5);
- the plan (flow version, sub-flows, prompt media) is fixed when the call starts, so publishing a new
  version changes the next call and never the one in progress (R-IVR4);
- prompts are said in the call's language (issue 8, design §10): a ``language`` node switches it, and
  values are said with recorded units (``digits:``, ``number:``, ``yuan:``, ``date:``, ``time:``) or by
  TTS (``say:``, text from look-ups made safe for the switch by :func:`careline.ivr.speech.speakable`);
- a prompt the switch fails to play (the Voice raises :class:`PlaybackFailed`) is reported and played
  once more; failing again, the caller goes to the human node with the reason ``playback_failed``, never
  on through menus they cannot hear (R-IVR5).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from careline.ivr.flowdef import (
    HUMAN_KEY,
    REPEAT_KEY,
    CollectNode,
    ConditionNode,
    FlowDefinition,
    HangupNode,
    LanguageNode,
    LookupNode,
    MenuNode,
    PlayNode,
    RecordNode,
    ReturnNode,
    SetNode,
    SubflowNode,
    TransferNode,
    is_prompt_name,
)
from careline.ivr.speech import speakable
from careline.prompts.units import SAYERS

log = logging.getLogger("careline.ivr.engine")
MAX_STEPS = 500  # a runaway walk (bad data that slipped past validation) ends with a human
# ``${var}`` is the call-data value; ``${var:digits}`` spaces its characters so TTS reads a code
# ("4 0 7 1") rather than a number ("four thousand seventy-one") — confirmation codes, references.
# ``${var:yuan}`` turns integer fen (billing's money) into yuan with two decimals ("1250" -> "12.50").
TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:digits|:yuan)?\}")
UNITS_REF = re.compile(r"^(digits|number|yuan|date|time):(.*)$", re.S)
PLAYBACK_FAILED = "playback_failed"


class PlaybackFailed(Exception):  # noqa: N818 - what the switch said, not a bug
    """The switch completed a playback (or a collect's prompt) without playing it."""

    def __init__(self, media: str, detail: str) -> None:
        super().__init__(f"{detail}: {media}")
        self.media, self.detail = media, detail


class PromptUnplayable(Exception):  # noqa: N818
    """A prompt failed twice: the caller cannot hear this part of the flow."""


class Voice(Protocol):
    """What the interpreter needs from a call. Every method raises CallerHungUp when the caller leaves."""

    async def say(self, media: str) -> None: ...

    async def ask(
        self, media: str, *, max_digits: int, timeout_ms: int, digit_timeout_ms: int, terminator: str
    ) -> str:
        """Play ``media`` (interrupted by a key) and collect up to ``max_digits``; "" when nothing came."""

    async def record(self, name: str, max_seconds: int) -> str:
        """Record the caller; returns where the recording is."""

    # Optional: ``async def forget_input(self) -> None`` wipes what the last ``ask`` left on the channel
    # (called after a secret collect, so a PIN is not kept in a channel variable or its CDR).


class LookupFailed(Exception):
    pass


class Services(Protocol):
    async def lookup(
        self, subject: str, request_type: str, fields: dict[str, str], reply_type: str, timeout_s: float
    ) -> dict[str, str]:
        """The reply's fields as strings; LookupFailed on any failure."""


@dataclass(frozen=True)
class CallPlan:
    """Everything a call runs on, fixed at its start."""

    flow: str
    version: int
    definition: FlowDefinition
    subflows: Mapping[str, FlowDefinition] = field(default_factory=dict)
    media: Mapping[str, str] = field(default_factory=dict)  # prompt name -> playable media
    features: Mapping[str, bool] = field(default_factory=dict)  # deployment overrides
    # language -> prompt name -> media; a language missing here, or a name missing in it, uses ``media``
    media_by_language: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def resolve(self, ref: str, language: str | None = None) -> str | None:
        if not is_prompt_name(ref):
            return ref
        return self.media_by_language.get(language or "", {}).get(ref) or self.media.get(ref)

    @property
    def languages(self) -> tuple[str, ...]:
        """The call's languages, its flow's first: what a ``language`` node cycles through."""
        first = self.definition.language
        return (first, *[lang for lang in self.media_by_language if lang != first])


@dataclass(frozen=True)
class Transfer:
    queue: str
    skills: tuple[str, ...]
    priority: int
    reason: str  # "flow", "key_0", "input_failed", "vip"…
    fallback_queue: str = ""  # the flow's human queue, tried when this queue does not exist


@dataclass(frozen=True)
class Hangup:
    cause: str = "NORMAL_CLEARING"


Outcome = Transfer | Hangup


class Interpreter:
    def __init__(
        self,
        plan: CallPlan,
        voice: Voice,
        services: Services,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        count: Callable[[str, str], None] = lambda _metric, _label: None,
        language: str | None = None,
        on_language: Callable[[str], Awaitable[None]] | None = None,
        on_playback_failure: Callable[[PlaybackFailed, int], Awaitable[None]] | None = None,
    ) -> None:
        self.plan, self.voice, self.services, self.now, self.count = plan, voice, services, now, count
        self.language = language or plan.definition.language
        self.on_language, self.on_playback_failure = on_language, on_playback_failure
        self.said: list[str] = []  # media said since the last input: what ``*`` repeats
        self.reason = "flow"
        self.secrets: dict[str, str] = {}  # secret collects (PINs): never call data, only look-ups

    async def run(self, data: dict[str, str]) -> Outcome:
        """Walk the plan from its start; ``data`` (call data) is updated in place."""
        flow, node_id = self.plan.definition, self.plan.definition.start
        data.setdefault("language", self.language)
        returns: list[tuple[FlowDefinition, str]] = []
        for _ in range(MAX_STEPS):
            data["ivr_node"] = node_id
            node = flow.nodes[node_id]
            try:
                step = await self._step(flow, node, data)
            except PromptUnplayable as err:
                log.error("prompt failed twice at node %s (%s); handing the caller to a human", node_id, err)
                return await self._step(flow, flow.nodes[flow.human], data, reason=PLAYBACK_FAILED)
            if isinstance(step, str):
                node_id = step
            elif isinstance(node, SubflowNode):
                returns.append((flow, node.next))
                flow = self.plan.subflows[node.flow]
                node_id = flow.start
            elif isinstance(node, ReturnNode) and returns:
                flow, node_id = returns.pop()
            elif isinstance(node, ReturnNode):
                await self._say(flow.goodbye_prompt, best_effort=True)
                return Hangup()
            else:
                return step
        log.error("flow %s v%d ran %d steps without an end", self.plan.flow, self.plan.version, MAX_STEPS)
        return await self._step(flow, flow.nodes[flow.human], data, reason="runaway")

    async def _step(self, flow: FlowDefinition, node, data: dict[str, str], reason: str | None = None):
        """The next node id, or an outcome, or None for sub-flow entry and return."""
        match node:
            case PlayNode():
                for ref in node.prompts:
                    await self._say(ref, data=data)
                return node.next
            case MenuNode():
                return await self._menu(flow, node, data)
            case CollectNode():
                return await self._collect(flow, node, data)
            case LookupNode():
                return await self._lookup(node, data)
            case SetNode():
                data.update({k: _fill(v, data) for k, v in node.values.items()})
                return node.next
            case ConditionNode():
                return node.then if self._test(flow, node.test, data) else node.otherwise
            case RecordNode():
                await self._say(node.prompt)
                data[node.var] = await self.voice.record(data.get("ivr_node", "record"), node.max_seconds)
                return node.next
            case LanguageNode():
                await self._switch_language(node.language or self._next_language(), data)
                return node.next
            case TransferNode():
                await self._say(node.prompt, best_effort=True)  # a failed "please hold" still transfers
                why = reason or (self.reason if self.reason != "flow" else node.reason)
                human = flow.nodes[flow.human]
                fallback = human.queue if human.queue != node.queue else ""
                return Transfer(node.queue, tuple(node.skills), node.priority, why, fallback)
            case HangupNode():
                await self._say(node.prompt, best_effort=True)
                return Hangup(node.cause)
            case SubflowNode() | ReturnNode():
                return None
        raise TypeError(f"unknown node {node!r}")

    # -- input ------------------------------------------------------------------------------------
    async def _menu(self, flow: FlowDefinition, node: MenuNode, data: dict[str, str]) -> str:
        failures = 0
        while True:
            key = await self._ask(node.prompt, max_digits=1, node=node, terminator="")
            if key == REPEAT_KEY:
                self.count("menu_choices", "repeat")
                await self._repeat()
                continue
            if key == HUMAN_KEY:
                self.count("menu_choices", HUMAN_KEY)
                return self._to_human(flow, "key_0")
            if key in node.keys:
                self.count("menu_choices", key)
                if node.var:
                    data[node.var] = key
                return node.keys[key]
            self.count("menu_choices", "invalid" if key else "none")
            failures += 1
            if failures > node.retries:
                return self._failed(flow, node)
            await self._say(node.invalid_prompt, remember=False)

    async def _collect(self, flow: FlowDefinition, node: CollectNode, data: dict[str, str]) -> str:
        failures = 0
        while True:
            digits = await self._ask(
                node.prompt, max_digits=node.max_digits, node=node, terminator=node.terminator
            )
            if digits == REPEAT_KEY:
                await self._repeat()
                continue
            if digits == HUMAN_KEY and node.min_digits > 1:
                return self._to_human(flow, "key_0")
            if _valid(digits, node) and node.secret:
                await self._keep_secret(node.var, digits, data)
                return node.next
            if _valid(digits, node):
                data[node.var] = digits
                return node.next
            failures += 1
            if failures > node.retries:
                return self._failed(flow, node)
            await self._say(node.invalid_prompt, remember=False)

    async def _keep_secret(self, var: str, digits: str, data: dict[str, str]) -> None:
        self.secrets[var] = digits
        data.pop(var, None)
        forget = getattr(self.voice, "forget_input", None)
        if forget is not None:
            await forget()

    async def _ask(self, ref: str, *, max_digits: int, node, terminator: str) -> str:
        media = self._media(ref, {})

        async def ask() -> str:
            return await self.voice.ask(
                media or "silence_stream://250",
                max_digits=max_digits,
                timeout_ms=node.timeout_ms,
                digit_timeout_ms=getattr(node, "digit_timeout_ms", node.timeout_ms),
                terminator=terminator,
            )

        digits = await self._twice(ask)
        self.said = [m for m in self.said if m != media] + ([media] if media else [])
        if digits and digits != REPEAT_KEY:
            self.said = []
        return digits

    async def _repeat(self) -> None:
        """Say again everything since the last input except the question, which ``_ask`` repeats."""
        for media in self.said[:-1]:
            await self._twice(lambda media=media: self.voice.say(media), best_effort=True)

    async def _twice(self, play: Callable[[], Awaitable], *, best_effort: bool = False):
        """Play; a failure is reported and played once more; a second one is PromptUnplayable (or,
        ``best_effort``, given up quietly: a goodbye or "please hold" that fails ends nothing)."""
        for attempt in (1, 2):
            try:
                return await play()
            except PlaybackFailed as failure:
                self.count("playback_failures", failure.detail)
                if self.on_playback_failure is not None:
                    await self.on_playback_failure(failure, attempt)
                if attempt == 2 and not best_effort:
                    raise PromptUnplayable(str(failure)) from failure
        return None

    # -- language -----------------------------------------------------------------------------------
    def _next_language(self) -> str:
        languages = self.plan.languages
        if self.language not in languages:
            return languages[0]
        return languages[(languages.index(self.language) + 1) % len(languages)]

    async def _switch_language(self, language: str, data: dict[str, str]) -> None:
        self.language = data["language"] = language
        self.count("language_switches", language)
        setter = getattr(self.voice, "set_language", None)
        if setter is not None:
            await setter(language)
        if self.on_language is not None:
            try:
                await self.on_language(language)
            except Exception:  # remembering the choice is best effort; the call goes on in it
                log.warning("could not remember the caller's language %s", language, exc_info=True)

    def _to_human(self, flow: FlowDefinition, reason: str) -> str:
        self.reason = reason
        return flow.human

    def _failed(self, flow: FlowDefinition, node) -> str:
        self.reason = "input_failed"
        return node.on_fail or flow.human

    async def _say(
        self, ref: str | None, *, remember: bool = True, best_effort: bool = False, data=None
    ) -> None:
        if not ref:
            return
        media = self._media(ref, data or {})
        if media is None:
            log.warning("prompt %r has no media in language %s; skipped", ref, self.language)
            return
        await self._twice(lambda: self.voice.say(media), best_effort=best_effort)
        if remember:  # an invalid-key prompt is not worth repeating
            self.said.append(media)

    def _media(self, ref: str, data: Mapping[str, str]) -> str | None:
        """What the switch plays for a prompt reference in the call's language (see flowdef)."""
        if units := UNITS_REF.match(ref):
            files = SAYERS[units.group(1)](_fill(units.group(2), data), self.language)
            return "file_string://" + "!".join(files) if files else None
        if ref.startswith("say:"):
            text = speakable(_fill(ref[4:], data))
            return f"say:{text}" if text else None
        name = _fill(ref, data)
        if "${" in ref and not is_prompt_name(name):
            log.warning("prompt reference %r gave %r, not a prompt name; skipped", ref, name)
            return None  # a look-up's value picks a prompt; it never becomes a path
        return self.plan.resolve(name, self.language)

    # -- services and conditions ----------------------------------------------------------------------
    async def _lookup(self, node: LookupNode, data: dict[str, str]) -> str:
        with_secrets = {**data, **self.secrets}  # a PIN reaches the request, never the call data
        fields = {name: _fill(template, with_secrets) for name, template in node.request.items()}
        try:
            reply = await self.services.lookup(
                node.subject, node.request_type, fields, node.reply_type, node.timeout_ms / 1000
            )
        except LookupFailed as err:
            log.info("look-up %s failed: %s", node.subject, self._redact(str(err)))
            return node.on_error
        for var, reply_field in node.response.items():
            data[var] = reply.get(reply_field, "")
        return node.next

    def _redact(self, text: str) -> str:
        """An error text may quote the request (a parse error names the value): no PIN in the logs."""
        for value in self.secrets.values():
            if value:
                text = text.replace(value, "***")
        return text

    def _test(self, flow: FlowDefinition, test, data: dict[str, str]) -> bool:
        match test.kind:
            case "vip":
                return data.get("vip") == "true"
            case "equals":
                return data.get(test.var, "") == test.value
            case "feature":
                return self.plan.features.get(test.flag, flow.features.get(test.flag, False))
            case "holiday":
                return self._local(flow).date() in set(flow.calendars.get(test.calendar, ()))
            case "time_of_day":
                local = self._local(flow)
                if local.isoweekday() not in test.weekdays:
                    return False
                t = local.time().replace(tzinfo=None)
                if test.start <= test.end:
                    return test.start <= t < test.end
                return t >= test.start or t < test.end  # a night shift wraps midnight
        return False

    def _local(self, flow: FlowDefinition) -> dt.datetime:
        return self.now().astimezone(ZoneInfo(flow.timezone))


def _fill(template: str, data: Mapping[str, str]) -> str:
    def value(match: re.Match) -> str:
        text = data.get(match.group(1), "")
        if match.group(2) == ":yuan":
            return _yuan(text)
        return " ".join(text) if match.group(2) else text

    return TEMPLATE.sub(value, template)


def _yuan(fen: str) -> str:
    """Integer fen as yuan with two decimals, exactly (no floats); anything else as it is."""
    try:
        amount = int(fen)
    except ValueError:
        return fen
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d}"


def _valid(digits: str, node: CollectNode) -> bool:
    if not digits.isdigit() or not node.min_digits <= len(digits) <= node.max_digits:
        return False
    return node.regex is None or re.fullmatch(node.regex, digits) is not None
