from careline.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LedgerPosting(_message.Message):
    __slots__ = ("meta", "posting_id", "account", "amount_fen", "transaction_id", "idempotency_key")
    META_FIELD_NUMBER: _ClassVar[int]
    POSTING_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FEN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    posting_id: str
    account: str
    amount_fen: int
    transaction_id: str
    idempotency_key: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., posting_id: _Optional[str] = ..., account: _Optional[str] = ..., amount_fen: _Optional[int] = ..., transaction_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...
