"""The stream flags: Nova's defaults and --param, Flux's options checked, reconnect flags bounded, audio
settings and conditions."""

from __future__ import annotations

import pytest

from dgtui.audio.base import SourceError
from dgtui.config.file import load_config
from dgtui.config.flags import (
    FlagError,
    conditions_from_args,
    options_from_args,
    parse_stream_flags,
    reconnect_from_args,
    source_settings,
)
from dgtui.config.settings import resolve
from tests.support.config import flags
from tests.support.config import write_config as write


def test_a_flux_model_takes_flux_options_and_leaves_the_nova_defaults_out(tmp_path):
    config = load_config(write(tmp_path, '[defaults]\nmodel = "nova-3"\ninterim_results = true\nkeyterm = ["dgtui"]\n'))
    flux = resolve(flags("--model", "flux-general-en", "--eot-threshold", "0.8"), config, environ={})
    assert flux.options == {"model": "flux-general-en", "keyterm": ["dgtui"], "eot_threshold": 0.8}
    by_url = resolve(flags("--url", "ws://127.0.0.1:9/v2/listen"), load_config(tmp_path / "none.toml"), environ={})
    assert by_url.options == {"model": "flux-general-en"}  # a /v2/listen URL alone selects Flux
    nova = resolve(flags(), config, environ={})
    assert nova.options["interim_results"] is True and "eot_threshold" not in nova.options


def test_nova_options_start_from_dgtuis_defaults_and_take_params_and_offs():
    options = options_from_args(parse_stream_flags("--diarize --param foo=1 --param foo=2 --no-interim-results"))
    assert options["model"] == "nova-3" and options["diarize"] is True and options["foo"] == ["1", "2"]
    assert options["interim_results"] is False and "utterance_end_ms" not in options  # it needs interim results
    with pytest.raises(FlagError, match="is a Flux option"):
        options_from_args(parse_stream_flags("--eot-threshold 0.8"))
    with pytest.raises(FlagError, match="is Flux's endpoint"):
        options_from_args(parse_stream_flags("--model nova-3"), url="wss://api.deepgram.com/v2/listen")


def test_bad_flags_say_which_and_why():
    with pytest.raises(FlagError, match="chunk size must be 20-250 ms"):
        parse_stream_flags("--chunk-ms 5")
    with pytest.raises(FlagError, match="No closing quotation"):
        parse_stream_flags('--keyterm "open')
    with pytest.raises(SystemExit):  # the command line's own parser says it and exits 2
        flags("--reconnect-attempts", "-1")


def test_reconnect_flags_override_the_file_and_audio_settings_follow_the_flags():
    args = flags("--buffer-seconds", "12.5", "--no-resend", "--multichannel", "--fast")
    assert reconnect_from_args(args, {"reconnect_attempts": 2, "resend": True}) == {
        "reconnect_attempts": 2, "buffer_seconds": 12.5, "resend": False}  # fmt: skip
    audio = source_settings(args)
    assert (audio.channels, audio.fast, audio.chunk_ms) == (2, True, 100)
    assert source_settings(parse_stream_flags(""), flux=True).chunk_ms == 80  # Deepgram asks 80 ms chunks on Flux
    with pytest.raises(SourceError, match="needs --sample-rate"):
        source_settings(parse_stream_flags("--encoding linear16"))


def test_conditions_are_read_and_refused_where_they_cannot_apply():
    assert conditions_from_args(parse_stream_flags("--condition telephony")).specs == ("telephony",)
    with pytest.raises(FlagError, match="drop --fast"):
        conditions_from_args(parse_stream_flags("--condition jitter:50ms --fast"))
    with pytest.raises(FlagError, match="drop --passthrough"):
        conditions_from_args(parse_stream_flags("--condition gain:-6 --passthrough"))
