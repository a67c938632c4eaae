from careline.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Cdr(_message.Message):
    __slots__ = ("meta", "uuid", "other_leg_uuid", "direction", "caller_number", "callee_number", "queue", "agent_id", "start_epoch", "answer_epoch", "end_epoch", "billsec", "hangup_cause", "recording_id")
    META_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    OTHER_LEG_UUID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CALLER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CALLEE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    START_EPOCH_FIELD_NUMBER: _ClassVar[int]
    ANSWER_EPOCH_FIELD_NUMBER: _ClassVar[int]
    END_EPOCH_FIELD_NUMBER: _ClassVar[int]
    BILLSEC_FIELD_NUMBER: _ClassVar[int]
    HANGUP_CAUSE_FIELD_NUMBER: _ClassVar[int]
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    uuid: str
    other_leg_uuid: str
    direction: _common_pb2.Direction
    caller_number: str
    callee_number: str
    queue: str
    agent_id: str
    start_epoch: int
    answer_epoch: int
    end_epoch: int
    billsec: int
    hangup_cause: str
    recording_id: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., uuid: _Optional[str] = ..., other_leg_uuid: _Optional[str] = ..., direction: _Optional[_Union[_common_pb2.Direction, str]] = ..., caller_number: _Optional[str] = ..., callee_number: _Optional[str] = ..., queue: _Optional[str] = ..., agent_id: _Optional[str] = ..., start_epoch: _Optional[int] = ..., answer_epoch: _Optional[int] = ..., end_epoch: _Optional[int] = ..., billsec: _Optional[int] = ..., hangup_cause: _Optional[str] = ..., recording_id: _Optional[str] = ...) -> None: ...
