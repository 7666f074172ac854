"""Flux's messages, options and control frames (``/v2/listen``), pure."""

from __future__ import annotations

import json

import pytest

from dgtui.protocol.flux import (
    FatalError,
    FluxConfigureSuccess,
    FluxWarning,
    TurnInfo,
    check_flux_options,
    decode_flux,
    flux_configure,
    flux_url,
    is_flux_model,
    is_flux_url,
    parse_flux_query,
    sequence_of,
    shifted_turn,
)
from dgtui.protocol.messages import UnknownMessage
from dgtui.protocol.options import OptionError

# The spec's own example at launch, with the word times newer servers add.
END = (
    '{"type":"TurnInfo","request_id":"ad12514a-0d38-4f7e-8fba-cce10d8f174c","sequence_id":11,"event":"EndOfTurn",'
    '"turn_index":0,"audio_window_start":0,"audio_window_end":1.3,"transcript":"Hello, how are you?","words":['
    '{"word":"Hello,","confidence":0.96,"start":0.1,"end":0.4},{"word":"how","confidence":0.94},'
    '{"word":"are","confidence":0.97},{"word":"you?","confidence":0.92,"start":0.9,"end":1.1}],'
    '"end_of_turn_confidence":0.86,"trigger":"model","extra_field":1}'
)


def test_every_v2_message_decodes_and_unknown_ones_do_not_break_the_stream():
    turn = decode_flux(END)
    assert isinstance(turn, TurnInfo) and turn.event == "EndOfTurn" and turn.trigger == "model"
    assert turn.last_word_end == 1.1 and sequence_of(turn) == 11 and turn.words[1].start is None
    success = decode_flux('{"type":"ConfigureSuccess","request_id":"r","sequence_id":3,"thresholds":'
                          '{"eot_threshold":0.8},"keyterms":["a"]}')  # fmt: skip
    assert isinstance(success, FluxConfigureSuccess) and success.thresholds.eot_threshold == 0.8
    assert isinstance(decode_flux('{"type":"Warning","request_id":"r","sequence_id":4,"code":"X","description":"d"}'),
                      FluxWarning)  # fmt: skip
    fatal = decode_flux('{"type":"Error","sequence_id":5,"code":"UNPARSABLE_CLIENT_MESSAGE","description":"d"}')
    assert isinstance(fatal, FatalError) and fatal.code == "UNPARSABLE_CLIENT_MESSAGE"
    unknown = decode_flux('{"type":"Novel","sequence_id":6}')
    assert isinstance(unknown, UnknownMessage) and sequence_of(unknown) == 6
    future = decode_flux(END.replace('"EndOfTurn"', '"SomethingNew"'))
    assert isinstance(future, TurnInfo) and future.event == "SomethingNew"  # an open set of events


def test_a_new_connections_turn_moves_onto_the_streams_timeline():
    moved = shifted_turn(decode_flux(END), 10.0)
    assert isinstance(moved, TurnInfo)
    assert (moved.audio_window_start, moved.audio_window_end) == (10.0, 11.3)
    assert moved.words[0].start == pytest.approx(10.1) and moved.words[1].end is None


def test_routing_and_control_frames():
    assert is_flux_model("flux-general-en") and not is_flux_model("nova-3") and not is_flux_model(None)
    assert flux_url("wss://api.deepgram.com/v1/listen") == "wss://api.deepgram.com/v2/listen"
    assert flux_url("ws://127.0.0.1:9/v1/listen?x=1") == "ws://127.0.0.1:9/v2/listen?x=1"
    assert is_flux_url("ws://h/v2/listen") and not is_flux_url("ws://h/v1/listen")
    assert json.loads(flux_configure(eot_threshold=0.8, keyterms=[])) == {
        "type": "Configure", "thresholds": {"eot_threshold": 0.8}, "keyterms": []
    }  # fmt: skip
    assert json.loads(flux_configure(numerals=True)) == {"type": "Configure", "numerals": True}


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"model": "nova-3"}, "model"),
        ({"model": "flux-general-en", "eot_threshold": 0.45}, "eot_threshold"),
        ({"model": "flux-general-en", "eager_eot_threshold": 0.95}, "eager_eot_threshold"),
        ({"model": "flux-general-en", "eager_eot_threshold": 0.8, "eot_threshold": 0.7}, "eager_eot_threshold"),
        ({"model": "flux-general-en", "eot_timeout_ms": 70_000}, "eot_timeout_ms"),
        ({"model": "flux-general-en", "smart_format": True}, "smart_format"),
        ({"model": "flux-general-en", "language_hint": ["en"]}, "language_hint"),
        ({"model": "flux-general-en", "encoding": "flac", "sample_rate": 16000}, "encoding"),
        ({"model": "flux-general-en", "encoding": "linear16", "sample_rate": 11025}, "sample_rate"),
        ({"model": "flux-general-en", "redact": "pci"}, "redact"),
    ],
)
def test_flux_options_are_checked_against_the_documented_ranges(options, param):
    with pytest.raises(OptionError) as caught:
        check_flux_options(options)
    assert caught.value.param == param


def test_the_strict_server_reading_of_a_v2_query():
    options = parse_flux_query("model=flux-general-multi&eot_threshold=0.8&keyterm=a+b&keyterm=c&language_hint=es"
                               "&encoding=linear16&sample_rate=16000&mip_opt_out=true")  # fmt: skip
    expected = {"model": "flux-general-multi", "eot_threshold": 0.8, "keyterm": ["a b", "c"], "language_hint": ["es"]}
    assert options == {**expected, "encoding": "linear16", "sample_rate": 16000, "mip_opt_out": True}
    with pytest.raises(OptionError, match="Nova"):
        parse_flux_query("model=flux-general-en&interim_results=true")
    with pytest.raises(OptionError, match="lowercase"):
        parse_flux_query("model=flux-general-en&numerals=True")
