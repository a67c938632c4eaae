from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CallerLookupRequest(_message.Message):
    __slots__ = ("number",)
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    number: str
    def __init__(self, number: _Optional[str] = ...) -> None: ...

class CallerLookupReply(_message.Message):
    __slots__ = ("found", "patient_id", "full_name", "card_number", "id_number_masked", "vip", "vip_level")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_MASKED_FIELD_NUMBER: _ClassVar[int]
    VIP_FIELD_NUMBER: _ClassVar[int]
    VIP_LEVEL_FIELD_NUMBER: _ClassVar[int]
    found: bool
    patient_id: str
    full_name: str
    card_number: str
    id_number_masked: str
    vip: bool
    vip_level: str
    def __init__(self, found: _Optional[bool] = ..., patient_id: _Optional[str] = ..., full_name: _Optional[str] = ..., card_number: _Optional[str] = ..., id_number_masked: _Optional[str] = ..., vip: _Optional[bool] = ..., vip_level: _Optional[str] = ...) -> None: ...
