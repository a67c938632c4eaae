from careline.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnqueueRequest(_message.Message):
    __slots__ = ("meta", "call_uuid", "caller_number", "queue", "priority", "vip", "skills", "call_data")
    class CallDataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    META_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    CALLER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    VIP_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    CALL_DATA_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    call_uuid: str
    caller_number: str
    queue: str
    priority: int
    vip: bool
    skills: _containers.RepeatedScalarFieldContainer[str]
    call_data: _containers.ScalarMap[str, str]
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., call_uuid: _Optional[str] = ..., caller_number: _Optional[str] = ..., queue: _Optional[str] = ..., priority: _Optional[int] = ..., vip: _Optional[bool] = ..., skills: _Optional[_Iterable[str]] = ..., call_data: _Optional[_Mapping[str, str]] = ...) -> None: ...

class EnqueueReply(_message.Message):
    __slots__ = ("accepted", "reason", "position")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    reason: str
    position: int
    def __init__(self, accepted: _Optional[bool] = ..., reason: _Optional[str] = ..., position: _Optional[int] = ...) -> None: ...

class AgentOffered(_message.Message):
    __slots__ = ("meta", "agent_id", "call_uuid", "queue", "caller_number", "vip", "screen_pop")
    class ScreenPopEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    META_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CALLER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VIP_FIELD_NUMBER: _ClassVar[int]
    SCREEN_POP_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    agent_id: str
    call_uuid: str
    queue: str
    caller_number: str
    vip: bool
    screen_pop: _containers.ScalarMap[str, str]
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., agent_id: _Optional[str] = ..., call_uuid: _Optional[str] = ..., queue: _Optional[str] = ..., caller_number: _Optional[str] = ..., vip: _Optional[bool] = ..., screen_pop: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Alarm(_message.Message):
    __slots__ = ("meta", "kind", "queue", "agent_id", "active", "value", "threshold")
    META_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    kind: str
    queue: str
    agent_id: str
    active: bool
    value: float
    threshold: float
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., kind: _Optional[str] = ..., queue: _Optional[str] = ..., agent_id: _Optional[str] = ..., active: _Optional[bool] = ..., value: _Optional[float] = ..., threshold: _Optional[float] = ...) -> None: ...
