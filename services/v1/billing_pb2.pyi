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
