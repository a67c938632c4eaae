from careline.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Leg(_message.Message):
    __slots__ = ("uuid", "direction", "party", "node")
    UUID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    direction: _common_pb2.Direction
    party: str
    node: str
    def __init__(self, uuid: _Optional[str] = ..., direction: _Optional[_Union[_common_pb2.Direction, str]] = ..., party: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

class CallStarted(_message.Message):
    __slots__ = ("meta", "direction", "caller_number", "callee_number", "node", "legs")
    META_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CALLER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CALLEE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    LEGS_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    direction: _common_pb2.Direction
    caller_number: str
    callee_number: str
    node: str
    legs: _containers.RepeatedCompositeFieldContainer[Leg]
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., direction: _Optional[_Union[_common_pb2.Direction, str]] = ..., caller_number: _Optional[str] = ..., callee_number: _Optional[str] = ..., node: _Optional[str] = ..., legs: _Optional[_Iterable[_Union[Leg, _Mapping]]] = ...) -> None: ...

class CallAnswered(_message.Message):
    __slots__ = ("meta", "leg_uuid")
    META_FIELD_NUMBER: _ClassVar[int]
    LEG_UUID_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    leg_uuid: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., leg_uuid: _Optional[str] = ...) -> None: ...

class CallBridged(_message.Message):
    __slots__ = ("meta", "a_leg_uuid", "b_leg_uuid", "agent_id")
    META_FIELD_NUMBER: _ClassVar[int]
    A_LEG_UUID_FIELD_NUMBER: _ClassVar[int]
    B_LEG_UUID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    a_leg_uuid: str
    b_leg_uuid: str
    agent_id: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., a_leg_uuid: _Optional[str] = ..., b_leg_uuid: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class CallHungUp(_message.Message):
    __slots__ = ("meta", "hangup_cause", "legs")
    META_FIELD_NUMBER: _ClassVar[int]
    HANGUP_CAUSE_FIELD_NUMBER: _ClassVar[int]
    LEGS_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    hangup_cause: str
    legs: _containers.RepeatedCompositeFieldContainer[Leg]
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., hangup_cause: _Optional[str] = ..., legs: _Optional[_Iterable[_Union[Leg, _Mapping]]] = ...) -> None: ...

class PlaybackFailed(_message.Message):
    __slots__ = ("meta", "call_uuid", "media", "detail", "attempt", "flow", "node", "language")
    META_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    call_uuid: str
    media: str
    detail: str
    attempt: int
    flow: str
    node: str
    language: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., call_uuid: _Optional[str] = ..., media: _Optional[str] = ..., detail: _Optional[str] = ..., attempt: _Optional[int] = ..., flow: _Optional[str] = ..., node: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...
