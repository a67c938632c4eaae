from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTH_RESULT_UNSPECIFIED: _ClassVar[AuthResult]
    AUTH_RESULT_OK: _ClassVar[AuthResult]
    AUTH_RESULT_UNKNOWN_CARD: _ClassVar[AuthResult]
    AUTH_RESULT_WRONG_PIN: _ClassVar[AuthResult]
    AUTH_RESULT_LOCKED: _ClassVar[AuthResult]
AUTH_RESULT_UNSPECIFIED: AuthResult
AUTH_RESULT_OK: AuthResult
AUTH_RESULT_UNKNOWN_CARD: AuthResult
AUTH_RESULT_WRONG_PIN: AuthResult
AUTH_RESULT_LOCKED: AuthResult

class CardAuthRequest(_message.Message):
    __slots__ = ("card_number", "pin", "call_uuid")
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    card_number: str
    pin: str
    call_uuid: str
    def __init__(self, card_number: _Optional[str] = ..., pin: _Optional[str] = ..., call_uuid: _Optional[str] = ...) -> None: ...

class CardAuthReply(_message.Message):
    __slots__ = ("result", "account_id", "patient_id", "vip_level", "balance_fen", "attempts_left")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PATIENT_ID_FIELD_NUMBER: _ClassVar[int]
    VIP_LEVEL_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_LEFT_FIELD_NUMBER: _ClassVar[int]
    result: AuthResult
    account_id: str
    patient_id: str
    vip_level: int
    balance_fen: int
    attempts_left: int
    def __init__(self, result: _Optional[_Union[AuthResult, str]] = ..., account_id: _Optional[str] = ..., patient_id: _Optional[str] = ..., vip_level: _Optional[int] = ..., balance_fen: _Optional[int] = ..., attempts_left: _Optional[int] = ...) -> None: ...

class TariffRequest(_message.Message):
    __slots__ = ("service", "category", "lang")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    service: str
    category: str
    lang: str
    def __init__(self, service: _Optional[str] = ..., category: _Optional[str] = ..., lang: _Optional[str] = ...) -> None: ...

class TariffReply(_message.Message):
    __slots__ = ("price_fen", "rounding", "text")
    PRICE_FEN_FIELD_NUMBER: _ClassVar[int]
    ROUNDING_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    price_fen: int
    rounding: str
    text: str
    def __init__(self, price_fen: _Optional[int] = ..., rounding: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class RegistrationRequest(_message.Message):
    __slots__ = ("idempotency_key", "card_number", "pin", "department_code", "slot_id", "day", "start", "expert_number", "call_uuid", "quote_only", "lang")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CARD_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PIN_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_CODE_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    EXPERT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CALL_UUID_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ONLY_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    card_number: str
    pin: str
    department_code: str
    slot_id: str
    day: str
    start: str
    expert_number: int
    call_uuid: str
    quote_only: bool
    lang: str
    def __init__(self, idempotency_key: _Optional[str] = ..., card_number: _Optional[str] = ..., pin: _Optional[str] = ..., department_code: _Optional[str] = ..., slot_id: _Optional[str] = ..., day: _Optional[str] = ..., start: _Optional[str] = ..., expert_number: _Optional[int] = ..., call_uuid: _Optional[str] = ..., quote_only: _Optional[bool] = ..., lang: _Optional[str] = ...) -> None: ...

class RegistrationReply(_message.Message):
    __slots__ = ("ok", "reason", "detail", "registration_id", "fee_fen", "balance_fen", "confirmation_code", "department_name", "expert_name", "starts_epoch", "text", "attempts_left")
    OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_ID_FIELD_NUMBER: _ClassVar[int]
    FEE_FEN_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FEN_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_CODE_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPERT_NAME_FIELD_NUMBER: _ClassVar[int]
    STARTS_EPOCH_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_LEFT_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    reason: str
    detail: str
    registration_id: str
    fee_fen: int
    balance_fen: int
    confirmation_code: str
    department_name: str
    expert_name: str
    starts_epoch: int
    text: str
    attempts_left: int
    def __init__(self, ok: _Optional[bool] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., registration_id: _Optional[str] = ..., fee_fen: _Optional[int] = ..., balance_fen: _Optional[int] = ..., confirmation_code: _Optional[str] = ..., department_name: _Optional[str] = ..., expert_name: _Optional[str] = ..., starts_epoch: _Optional[int] = ..., text: _Optional[str] = ..., attempts_left: _Optional[int] = ...) -> None: ...
