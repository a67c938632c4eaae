from careline.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConsultationAuthRequest(_message.Message):
    __slots__ = ("call_uuid", "card_number", "category", "lang")
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    call_uuid: str
    card_number: str
    category: str
    lang: str
    def __init__(self, call_uuid: _Optional[str] = ..., card_number: _Optional[str] = ..., category: _Optional[str] = ..., lang: _Optional[str] = ...) -> None: ...

class ConsultationAuthReply(_message.Message):
    __slots__ = ("ok", "reason", "allowed_seconds", "hold_fen", "price_fen", "rounding", "tariff_text", "free")
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HOLD_FEN_FIELD_NUMBER: _ClassVar[int]
    PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    ROUNDING_FIELD_NUMBER: _ClassVar[int]
    TARIFF_TEXT_FIELD_NUMBER: _ClassVar[int]
    FREE_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    reason: str
    allowed_seconds: int
    hold_fen: int
    price_fen: int
    rounding: str
    tariff_text: str
    free: bool
    def __init__(self, ok: _Optional[bool] = ..., reason: _Optional[str] = ..., allowed_seconds: _Optional[int] = ..., hold_fen: _Optional[int] = ..., price_fen: _Optional[int] = ..., rounding: _Optional[str] = ..., tariff_text: _Optional[str] = ..., free: _Optional[bool] = ...) -> None: ...

class CallEndRequest(_message.Message):
    __slots__ = ("meta", "call_uuid", "reason", "requester")
    META_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    call_uuid: str
    reason: str
    requester: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., call_uuid: _Optional[str] = ..., reason: _Optional[str] = ..., requester: _Optional[str] = ...) -> None: ...
