"""Server messages decoded into typed structs: every type, unknown ones tolerated, nothing but DecodeError raised."""

from __future__ import annotations

import contextlib
import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dgtui.protocol import (
    ConfigureFailure,
    ConfigureSuccess,
    Error,
    Metadata,
    Results,
    SpeechStarted,
    UnknownMessage,
    UtteranceEnd,
    decode_message,
)

RESULTS_INTERIM = (
    '{"type":"Results","channel_index":[0,1],"duration":1.0,"start":0.0,"is_final":false,"speech_final":false,'
    '"channel":{"alternatives":[{"transcript":"Paris at a moment","confidence":0.97998047,"words":['
    '{"word":"paris","start":0.0,"end":0.39999998,"confidence":0.97265625,"speaker":0,"punctuated_word":"Paris"},'
    '{"word":"at","start":0.39999998,"end":0.64,"confidence":0.89990234,"speaker":0,"punctuated_word":"at"}]}]},'
    '"metadata":{"request_id":"01a07aad-cb1e-78c3-80ef-181d08b56576","model_info":{"name":"general-nova-3",'
    '"version":"2025-04-17.21547","arch":"nova-3"},"model_uuid":"40bd3654-e622-47c4-a111-63a61b23bfe8",'
    '"diarize_info":{"model_uuid":"6ff6f59c-c349-443b-aba1-352de7d75943","arch":"v1"}},"from_finalize":false}'
)


METADATA = (
    '{"type":"Metadata","transaction_key":"deprecated","request_id":"01a03ac3-92a1-79f0-ad85-2cee59754422",'
    '"sha256":"incomplete","created":"2026-08-25T21:11:31.685Z","duration":44.259937,"channels":1,'
    '"models":["7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b"],"model_info":{"7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b":'
    '{"name":"2-phonecall-nova","version":"2024-02-07.20824","arch":"nova-2"}}}'
)


def test_results_decode_with_words_and_metadata():
    message = decode_message(RESULTS_INTERIM)
    assert isinstance(message, Results)
    assert not message.is_final and message.channel_index == [0, 1]
    assert message.transcript == "Paris at a moment"
    assert message.alternative.words[0].punctuated_word == "Paris"
    assert message.alternative.words[1].speaker == 0
    assert message.metadata.model_info is not None and message.metadata.model_info.arch == "nova-3"
    assert message.end == pytest.approx(1.0)


def test_every_server_message_type_decodes():
    assert isinstance(decode_message(METADATA), Metadata)
    assert decode_message(METADATA).model_info["7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b"].name == "2-phonecall-nova"
    ue = decode_message('{"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395}')
    assert isinstance(ue, UtteranceEnd) and ue.last_word_end == pytest.approx(2.395)
    ss = decode_message('{"type":"SpeechStarted","channel":[0,1],"timestamp":9.54}')
    assert isinstance(ss, SpeechStarted) and ss.timestamp == pytest.approx(9.54)
    err = decode_message('{"type":"Error","variant":"SchemaError","description":"d","message":"m"}')
    assert isinstance(err, Error) and err.variant == "SchemaError"
    ok = decode_message('{"type":"ConfigureSuccess","request_id":"r","keyterms":["a"]}')
    assert isinstance(ok, ConfigureSuccess) and ok.keyterms == ["a"]
    bad = decode_message(
        '{"type":"ConfigureFailure","request_id":"r","code":"CONFIGURE_ALREADY_PENDING","description":"x"}'
    )
    assert isinstance(bad, ConfigureFailure) and bad.code == "CONFIGURE_ALREADY_PENDING"


def test_unknown_types_and_fields_are_tolerated():
    unknown = decode_message('{"type":"TurnInfo","event":"x"}')
    assert isinstance(unknown, UnknownMessage) and unknown.type == "TurnInfo"
    assert unknown.data == {"type": "TurnInfo", "event": "x"}
    extra = json.loads(RESULTS_INTERIM) | {"new_field": {"nested": True}}
    assert isinstance(decode_message(json.dumps(extra)), Results)
    odd = decode_message("[1, 2, 3]")
    assert isinstance(odd, UnknownMessage) and odd.type == ""
    ill_typed = decode_message('{"type":"Results","duration":"long"}')
    assert isinstance(ill_typed, UnknownMessage) and ill_typed.type == "Results"


def test_non_json_raises_decode_error():
    with pytest.raises(msgspec.DecodeError):
        decode_message("not json")


@given(st.binary(max_size=200))
def test_decoding_never_fails_other_than_decode_error(data):
    with contextlib.suppress(msgspec.DecodeError):
        decode_message(data)
