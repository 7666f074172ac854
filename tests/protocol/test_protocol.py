"""The protocol layer: message decoding, options <-> query string, control messages, close explanations."""

from __future__ import annotations

import contextlib
import json
from urllib.parse import parse_qsl

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dgtui.protocol import (
    CLOSE_STREAM,
    KEEP_ALIVE,
    ConfigureFailure,
    ConfigureSuccess,
    Error,
    Metadata,
    OptionError,
    Results,
    SpeechStarted,
    UnknownMessage,
    UtteranceEnd,
    configure,
    decode_message,
    encode_query,
    explain_close,
    finalize,
    parse_query,
)
from dgtui.protocol.errors import NET0001_REASON

# Verbatim wire frames from the captures quoted in the protocol notes (trimmed as there).
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


def test_encode_query_follows_the_wire_rules():
    query = encode_query(
        {
            "model": "nova-3",
            "interim_results": True,
            "smart_format": False,
            "endpointing": 300,
            "keyterm": ["customer service", "Deepgram"],
            "extra": ["team:a b"],
            "skipped": None,
            "future_param": "x",
        }
    )
    pairs = parse_qsl(query)
    assert ("interim_results", "true") in pairs and ("smart_format", "false") in pairs
    assert [v for k, v in pairs if k == "keyterm"] == ["customer service", "Deepgram"]
    assert "customer%20service" in query
    assert ("future_param", "x") in pairs
    assert "skipped" not in query


def test_parse_query_types_known_and_passes_unknown():
    options = parse_query(
        "model=nova-3&interim_results=true&endpointing=false&utterance_end_ms=1000"
        "&keyterm=a&keyterm=b&future=1&future=2&encoding=mulaw&sample_rate=8000"
    )
    assert options["interim_results"] is True
    assert options["endpointing"] is False
    assert options["utterance_end_ms"] == 1000
    assert options["keyterm"] == ["a", "b"]
    assert options["future"] == ["1", "2"]
    assert options["sample_rate"] == 8000


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("diarize=True", "diarize"),
        ("encoding=mp4&sample_rate=1", "encoding"),
        ("encoding=linear16&sample_rate=fast", "sample_rate"),
        ("encoding=linear16", "sample_rate"),
        ("endpointing=-5", "endpointing"),
        ("channels=21&encoding=linear16&sample_rate=8000", "channels"),
        ("model=", "model"),
        ("model=a&model=b", "model"),
        ("redact=everything", "redact"),
    ],
)
def test_parse_query_names_the_bad_parameter(query, param):
    with pytest.raises(OptionError) as caught:
        parse_query(query)
    assert caught.value.param == param
    assert param in caught.value.message


option_values = st.one_of(
    st.booleans(),
    st.integers(min_value=0, max_value=100_000),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10),
        min_size=1,
        max_size=3,
    ),
)


@given(st.dictionaries(st.from_regex(r"x_[a-z]{1,8}", fullmatch=True), option_values, max_size=6))
def test_unknown_options_round_trip(options):
    parsed = parse_query(encode_query(options))
    for key, value in options.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int):
            value = str(value)
        elif isinstance(value, list) and len(value) == 1:
            value = value[0]
        assert parsed[key] == value


@given(st.text(max_size=300))
def test_parse_query_raises_only_option_errors(query):
    with contextlib.suppress(OptionError):
        parse_query(query)


def test_control_messages_are_text_json():
    assert json.loads(KEEP_ALIVE) == {"type": "KeepAlive"}
    assert json.loads(CLOSE_STREAM) == {"type": "CloseStream"}
    assert json.loads(finalize()) == {"type": "Finalize"}
    assert json.loads(finalize(1)) == {"type": "Finalize", "channel": 1}
    assert json.loads(configure(["a"], {"numerals": True})) == {
        "type": "Configure",
        "keyterms": ["a"],
        "features": {"numerals": True},
    }
    assert json.loads(configure([])) == {"type": "Configure", "keyterms": []}


def test_close_explanations_say_what_to_do():
    assert "KeepAlive" in explain_close(1011, NET0001_REASON)
    assert "decodable" in explain_close(1011, "See https://dpgr.am/net0000")
    assert "encoding" in explain_close(1008, "DATA-0000")
    assert "normally" in explain_close(1000)
    assert "without a close frame" in explain_close(1006)
