from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CallerLookupRequest(_message.Message):
    __slots__ = ("number",)
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    number: str
    def __init__(self, number: _Optional[str] = ...) -> None: ...

class CallerLookupReply(_message.Message):
    __slots__ = ("found", "patient_id", "full_name", "card_number", "id_number_masked", "vip", "vip_level", "language")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_MASKED_FIELD_NUMBER: _ClassVar[int]
    VIP_FIELD_NUMBER: _ClassVar[int]
    VIP_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    found: bool
    patient_id: str
    full_name: str
    card_number: str
    id_number_masked: str
    vip: bool
    vip_level: str
    language: str
    def __init__(self, found: _Optional[bool] = ..., patient_id: _Optional[str] = ..., full_name: _Optional[str] = ..., card_number: _Optional[str] = ..., id_number_masked: _Optional[str] = ..., vip: _Optional[bool] = ..., vip_level: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...

class PatientLanguageSetRequest(_message.Message):
    __slots__ = ("patient_id", "language", "call_uuid")
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    patient_id: str
    language: str
    call_uuid: str
    def __init__(self, patient_id: _Optional[str] = ..., language: _Optional[str] = ..., call_uuid: _Optional[str] = ...) -> None: ...

class PatientLanguageSetReply(_message.Message):
    __slots__ = ("ok", "reason")
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    reason: str
    def __init__(self, ok: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class AppointmentBookRequest(_message.Message):
    __slots__ = ("card_number", "department_code", "slot_id", "day", "start", "call_uuid")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    department_code: str
    slot_id: str
    day: str
    start: str
    call_uuid: str
    def __init__(self, card_number: _Optional[str] = ..., department_code: _Optional[str] = ..., slot_id: _Optional[str] = ..., day: _Optional[str] = ..., start: _Optional[str] = ..., call_uuid: _Optional[str] = ...) -> None: ...

class AppointmentReply(_message.Message):
    __slots__ = ("ok", "reason", "detail", "appointment_id", "confirmation_code", "status", "department_code", "department_name", "patient_name", "starts_epoch", "read_back")
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    APPOINTMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    PATIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    STARTS_EPOCH_FIELD_NUMBER: _ClassVar[int]
    READ_BACK_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    reason: str
    detail: str
    appointment_id: str
    confirmation_code: str
    status: str
    department_code: str
    department_name: str
    patient_name: str
    starts_epoch: int
    read_back: str
    def __init__(self, ok: _Optional[bool] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., appointment_id: _Optional[str] = ..., confirmation_code: _Optional[str] = ..., status: _Optional[str] = ..., department_code: _Optional[str] = ..., department_name: _Optional[str] = ..., patient_name: _Optional[str] = ..., starts_epoch: _Optional[int] = ..., read_back: _Optional[str] = ...) -> None: ...

class AppointmentCancelRequest(_message.Message):
    __slots__ = ("card_number", "confirmation_code", "call_uuid")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_CODE_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    confirmation_code: str
    call_uuid: str
    def __init__(self, card_number: _Optional[str] = ..., confirmation_code: _Optional[str] = ..., call_uuid: _Optional[str] = ...) -> None: ...

class AppointmentReadBackRequest(_message.Message):
    __slots__ = ("card_number", "confirmation_code")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_CODE_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    confirmation_code: str
    def __init__(self, card_number: _Optional[str] = ..., confirmation_code: _Optional[str] = ...) -> None: ...

class InfoLookupRequest(_message.Message):
    __slots__ = ("kind", "number")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    kind: str
    number: int
    def __init__(self, kind: _Optional[str] = ..., number: _Optional[int] = ...) -> None: ...

class InfoLookupReply(_message.Message):
    __slots__ = ("found", "reason", "kind", "number", "title", "text", "sponsor", "numbers")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SPONSOR_FIELD_NUMBER: _ClassVar[int]
    NUMBERS_FIELD_NUMBER: _ClassVar[int]
    found: bool
    reason: str
    kind: str
    number: int
    title: str
    text: str
    sponsor: str
    numbers: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, found: _Optional[bool] = ..., reason: _Optional[str] = ..., kind: _Optional[str] = ..., number: _Optional[int] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., sponsor: _Optional[str] = ..., numbers: _Optional[_Iterable[int]] = ...) -> None: ...

class ComplaintFileRequest(_message.Message):
    __slots__ = ("department_code", "staff_code", "caller_number", "call_uuid", "voice_message_path", "recording_id")
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    STAFF_CODE_FIELD_NUMBER: _ClassVar[int]
    CALLER_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    VOICE_MESSAGE_PATH_FIELD_NUMBER: _ClassVar[int]
    RECORDING_ID_FIELD_NUMBER: _ClassVar[int]
    department_code: str
    staff_code: str
    caller_number: str
    call_uuid: str
    voice_message_path: str
    recording_id: str
    def __init__(self, department_code: _Optional[str] = ..., staff_code: _Optional[str] = ..., caller_number: _Optional[str] = ..., call_uuid: _Optional[str] = ..., voice_message_path: _Optional[str] = ..., recording_id: _Optional[str] = ...) -> None: ...

class ComplaintFileReply(_message.Message):
    __slots__ = ("ok", "reason", "detail", "complaint_id", "reference")
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    reason: str
    detail: str
    complaint_id: str
    reference: str
    def __init__(self, ok: _Optional[bool] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., complaint_id: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class RegistrationHoldRequest(_message.Message):
    __slots__ = ("key", "card_number", "department_code", "slot_id", "day", "start", "expert_number", "call_uuid")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    EXPERT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    key: str
    card_number: str
    department_code: str
    slot_id: str
    day: str
    start: str
    expert_number: int
    call_uuid: str
    def __init__(self, key: _Optional[str] = ..., card_number: _Optional[str] = ..., department_code: _Optional[str] = ..., slot_id: _Optional[str] = ..., day: _Optional[str] = ..., start: _Optional[str] = ..., expert_number: _Optional[int] = ..., call_uuid: _Optional[str] = ...) -> None: ...

class RegistrationSeatRef(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    def __init__(self, key: _Optional[str] = ...) -> None: ...

class RegistrationSeatReply(_message.Message):
    __slots__ = ("ok", "reason", "detail", "appointment_id", "confirmation_code", "status", "department_code", "department_name", "expert_number", "expert_name", "slot_id", "patient_id", "patient_name", "starts_epoch", "ends_epoch", "read_back")
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    APPOINTMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPERT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    EXPERT_NAME_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PATIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    STARTS_EPOCH_FIELD_NUMBER: _ClassVar[int]
    ENDS_EPOCH_FIELD_NUMBER: _ClassVar[int]
    READ_BACK_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    reason: str
    detail: str
    appointment_id: str
    confirmation_code: str
    status: str
    department_code: str
    department_name: str
    expert_number: int
    expert_name: str
    slot_id: str
    patient_id: str
    patient_name: str
    starts_epoch: int
    ends_epoch: int
    read_back: str
    def __init__(self, ok: _Optional[bool] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., appointment_id: _Optional[str] = ..., confirmation_code: _Optional[str] = ..., status: _Optional[str] = ..., department_code: _Optional[str] = ..., department_name: _Optional[str] = ..., expert_number: _Optional[int] = ..., expert_name: _Optional[str] = ..., slot_id: _Optional[str] = ..., patient_id: _Optional[str] = ..., patient_name: _Optional[str] = ..., starts_epoch: _Optional[int] = ..., ends_epoch: _Optional[int] = ..., read_back: _Optional[str] = ...) -> None: ...
