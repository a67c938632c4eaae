"""Look-up requests from flow templates (R-IVR2, R-REG4): text in, typed protobuf fields out."""

from __future__ import annotations

from google.protobuf import json_format

from careline.ivr.handlers import message_class, typed_fields


def test_bool_and_empty_number_fields_from_template_text():
    message = message_class("careline.v1.RegistrationRequest")()
    fields = {"quote_only": "true", "expert_number": "", "card_number": "123456", "day": ""}
    typed = typed_fields(fields, message.DESCRIPTOR)
    assert typed == {"quote_only": True, "card_number": "123456", "day": ""}
    parsed = json_format.ParseDict(typed, message)
    assert parsed.quote_only is True and parsed.expert_number == 0


def test_other_text_is_left_for_the_parser_to_judge():
    message = message_class("careline.v1.RegistrationRequest")()
    assert typed_fields({"quote_only": "yes", "expert_number": "7"}, message.DESCRIPTOR) == {
        "quote_only": "yes",
        "expert_number": "7",
    }
