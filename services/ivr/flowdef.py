"""An IVR flow as data (R-IVR4, R-ADM4; design §3): the document administrators edit, version and publish.

A flow is a graph of named nodes; ``start`` is the first. Prompts are references resolved per call:
a bare name (``main_menu``) is a prompt of the prompt store (a rendered or uploaded WAV, or TTS text, per
language), ``say:<text>`` is inline text-to-speech in the caller's language, ``digits:``, ``number:``,
``yuan:`` (integer fen), ``date:`` (YYYYMMDD) and ``time:`` (HHMM) followed by a template say a value
with recorded units (issue 8), and anything with ``/`` or ``://`` is a media path FreeSWITCH plays as
is. Global keys in every menu and collect node: ``*`` repeats what was just said, ``0`` goes
to the flow's ``human`` node (R-IVR3); failed input goes there too after ``retries`` re-prompts, so a
caller is never cut off (R-IVR5). The JSON Schema of this model is published in
docs/ivr/flow.schema.json and served at ``GET /v1/flows/schema``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NodeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
PromptRef = Annotated[str, Field(min_length=1, max_length=2000)]
REPEAT_KEY, HUMAN_KEY = "*", "0"
PROMPT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def is_prompt_name(ref: str) -> bool:
    """A reference to the prompt store (as opposed to inline ``say:`` text or a media path)."""
    return bool(PROMPT_NAME.match(ref)) and not ref.startswith("say:")


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""


class PlayNode(_Node):
    """Say one or more prompts, then go on."""

    type: Literal["play"]
    prompts: list[PromptRef] = Field(min_length=1)
    next: NodeId


class _Input(_Node):
    prompt: PromptRef
    invalid_prompt: PromptRef | None = None
    timeout_ms: int = Field(5000, ge=500, le=60000)
    # Re-prompts after a wrong key or silence. At most one: the second failure reaches a human (R-IVR5).
    retries: int = Field(1, ge=0, le=1)
    on_fail: NodeId | None = None  # default: the flow's human node


class MenuNode(_Input):
    """One key chooses the next node. ``*`` and ``0`` are global and cannot be mapped."""

    type: Literal["menu"]
    keys: dict[Annotated[str, Field(pattern=r"^[1-9#]$")], NodeId] = Field(min_length=1)
    var: str | None = None  # remember the choice in the call data


class CollectNode(_Input):
    """Digits into a call-data variable (card number, department code…).

    ``secret`` (a card PIN): the digits never enter the call data (which travels to the ACD, the screen
    pop and the logs); only look-up requests of this call can use them, as ``${var}`` (R-REG4, R-EXP1).
    """

    type: Literal["collect"]
    var: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    secret: bool = False
    min_digits: int = Field(1, ge=1, le=32)
    max_digits: int = Field(1, ge=1, le=32)
    terminator: Literal["#", ""] = "#"
    regex: str | None = None
    digit_timeout_ms: int = Field(3000, ge=500, le=30000)
    next: NodeId

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"regex does not compile: {err}") from err
        return value


class LookupNode(_Node):
    """Ask another service over NATS (request/reply with careline.v1 messages).

    ``request`` maps request fields to templates over the call data (``${card_number}``); ``response``
    maps call-data variables to reply fields. Any failure (no responder, timeout, error) goes ``on_error``.
    """

    type: Literal["lookup"]
    subject: Annotated[str, Field(pattern=r"^careline\.[A-Za-z0-9_.-]+$")]
    request_type: str = Field(pattern=r"^careline\.v1\.[A-Za-z0-9_]+$")
    reply_type: str = Field(pattern=r"^careline\.v1\.[A-Za-z0-9_]+$")
    request: dict[str, str] = Field(default_factory=dict)
    response: dict[str, str] = Field(default_factory=dict)
    timeout_ms: int = Field(1000, ge=50, le=10000)
    next: NodeId
    on_error: NodeId


class SetNode(_Node):
    """Set call data (templates over the call data); it travels to the ACD and the screen pop."""

    type: Literal["set"]
    values: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")], str] = Field(min_length=1)
    next: NodeId


class VipTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["vip"]


class TimeOfDayTest(BaseModel):
    """True between ``start`` and ``end`` (local time of the flow's timezone) on ``weekdays`` (1=Mon)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["time_of_day"]
    start: dt.time
    end: dt.time
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])


class HolidayTest(BaseModel):
    """True on a date of the named calendar (``calendars`` of the flow)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["holiday"]
    calendar: str


class FeatureTest(BaseModel):
    """True when the feature flag is on (the flow's ``features``, overridable per deployment)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["feature"]
    flag: str


class EqualsTest(BaseModel):
    """True when a call-data variable equals ``value`` (e.g. a look-up's ``found``)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["equals"]
    var: str
    value: str


Test = Annotated[
    VipTest | TimeOfDayTest | HolidayTest | FeatureTest | EqualsTest, Field(discriminator="kind")
]


class ConditionNode(_Node):
    type: Literal["condition"]
    test: Test
    then: NodeId
    otherwise: NodeId = Field(alias="else")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RecordNode(_Node):
    """Record a voice message (e.g. a complaint); its path goes into call data ``var``."""

    type: Literal["record"]
    prompt: PromptRef | None = None
    var: str = "voice_message"
    max_seconds: int = Field(60, ge=1, le=600)
    next: NodeId


class TransferNode(_Node):
    """Hand the call to an ACD queue with its call data (R-ACD1, R-ACD2)."""

    type: Literal["transfer"]
    queue: str = Field(min_length=1, max_length=64)
    skills: list[str] = Field(default_factory=list)
    priority: int = Field(0, ge=0, le=100)
    prompt: PromptRef | None = None  # said before the hand-over ("please hold…")
    reason: str = Field("flow", max_length=32)  # why a human, sent to the ACD as ivr_reason


class SubflowNode(_Node):
    """Run another published flow (by name) until its ``return``, then go on to ``next``."""

    type: Literal["subflow"]
    flow: str = Field(min_length=1, max_length=64)
    next: NodeId


class ReturnNode(_Node):
    """End of a sub-flow; in a main flow, the same as a hang-up with the goodbye prompt."""

    type: Literal["return"]


class LanguageNode(_Node):
    """Switch the caller's language (issue 8, design §10): the main menu's language key.

    ``language`` empty goes to the next language the call has prompts in (Mandarin <-> English); the
    prompts, the TTS voice and the ACD's recorded prompts follow, and a known patient's choice is kept
    in the CRM for their next call.
    """

    type: Literal["language"]
    language: str = Field("", pattern=r"^([a-z]{2})?$")
    next: NodeId


class HangupNode(_Node):
    type: Literal["hangup"]
    prompt: PromptRef | None = None
    cause: Literal["NORMAL_CLEARING"] = "NORMAL_CLEARING"


Node = Annotated[
    PlayNode
    | MenuNode
    | CollectNode
    | LookupNode
    | SetNode
    | ConditionNode
    | RecordNode
    | TransferNode
    | SubflowNode
    | ReturnNode
    | LanguageNode
    | HangupNode,
    Field(discriminator="type"),
]
INPUT_TYPES = ("menu", "collect")


class FlowDefinition(BaseModel):
    """One version of a flow."""

    model_config = ConfigDict(extra="forbid", title="careline IVR flow")

    start: NodeId
    human: NodeId = "human"  # where ``0`` and failed input go; must be a transfer node
    language: str = Field("en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    timezone: str = "Asia/Shanghai"
    calendars: dict[str, list[dt.date]] = Field(default_factory=dict)
    features: dict[str, bool] = Field(default_factory=dict)
    goodbye_prompt: PromptRef | None = None  # said before a ``return`` ends a main flow
    nodes: dict[NodeId, Node] = Field(min_length=1)


def targets(node) -> list[tuple[str, str]]:
    """(label, node id) of every edge out of ``node``, for validation and the interpreter."""
    edges: list[tuple[str, str]] = []
    for field in ("next", "then", "on_error", "on_fail"):
        value = getattr(node, field, None)
        if value:
            edges.append((field, value))
    if isinstance(node, ConditionNode):
        edges.append(("else", node.otherwise))
    if isinstance(node, MenuNode):
        edges.extend((f"key {key}", target) for key, target in node.keys.items())
    return edges


def prompts_of(node) -> list[str]:
    refs = list(getattr(node, "prompts", []) or [])
    for field in ("prompt", "invalid_prompt"):
        value = getattr(node, field, None)
        if value:
            refs.append(value)
    return refs


def flow_schema() -> dict:
    """The published JSON Schema (docs/ivr/flow.schema.json)."""
    schema = FlowDefinition.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://careline.example/schemas/ivr/flow.schema.json"
    return schema
