"""The config file: its tables read, errors that name the file, the line and the key, a key in a file others
can read refused, presets and the example file."""

from __future__ import annotations

import pytest

from dgtui.config.file import EXAMPLE, ConfigError, load_config
from dgtui.config.settings import resolve
from tests.support.config import KEY, flags
from tests.support.config import write_config as write


def test_a_key_in_a_file_others_can_read_is_refused(tmp_path):
    path = write(tmp_path, f'[backend]\ntoken = false\nkey = "{KEY}"\n', mode=0o644)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: [backend] key: refusing") and "chmod 600" in message
    assert KEY not in message


@pytest.mark.parametrize(
    "text, where, words",
    [
        ("[defaults]\nmodel = \n", ":2:", ["not valid TOML"]),
        ('[backend]\nurl = "ws://x"\ncolour = "red"\n', ":3: [backend] colour:", ["unknown key", "key_env"]),
        ("[display]\nx = 1\n", ":1: display:", ["unknown section", "[recording]"]),
        ('[defaults]\nmodel = "nova-3"\ninterim_results = "yes"\n', ":3: [defaults] interim_results:", []),
        ("[defaults]\nendpointing = -5\n", ":2: [defaults] endpointing:", []),
        ('[recording]\nenabled = "no"\n', ":2: [recording] enabled:", ["true or false"]),
        ('[backend]\nurl = "ftp://x"\n', ":2: [backend] url:", ["not a ws://"]),
        ("[reconnect]\nattempts = -1\n", ":2: [reconnect] attempts:", ["from 0 to 100"]),
        ("[reconnect]\nbuffer_seconds = 9000\n", ":2: [reconnect] buffer_seconds:", ["from 0 to 600"]),
        ('[reconnect]\nresend = "no"\n', ":2: [reconnect] resend:", ["true or false"]),
        ('[presets.radio]\nbackend = "local"\n', ":1: [presets.radio]:", ["needs a source"]),
        ('[presets.radio]\nsource = "a.mp3"\ncolour = 1\n', ":3: [presets.radio] colour:", ["unknown key", "options"]),
        ('[presets]\nradio = "a.mp3"\n', ":2: [presets] radio:", ["must be a table"]),
        ("reconnect = 5\n", ":1: reconnect:", ["must be a table"]),
        ("[reconnect]\nattempts = true\n", ":2: [reconnect] attempts:", ["from 0 to 100", "not True"]),
        ("[backend]\nkey_env = 3\n", ":2: [backend] key_env:", ["must be a str, not 3"]),
        ("[monitor]\nsilence_after = -1\n", ":2: [monitor] silence_after:", ["from 0 (off) to 86400"]),
        ("[recording]\nkeep_days = 0\n", ":2: [recording] keep_days:", ["above 0", "keep recordings forever"]),
        ("[recording]\nsegment_mb = -1\n", ":2: [recording] segment_mb:", ["from 0 (never by size)"]),
        ('[recording]\ncompress = "zstd"\n', ":2: [recording] compress:", ["true or false"]),
        ("[prices]\ncolour = 1\n", ":2: [prices] colour:", ["unknown key", "all_backends"]),
        ("[prices.addons]\nkeyterm = -1\n", ":2: [prices.addons] keyterm:", ["0 or more"]),
        (
            '[presets.radio]\nsource = "a.mp3"\noptions = { interim_results = "maybe" }\n',
            "[presets.radio] options.interim_results",
            [],
        ),
    ],
)
def test_a_bad_file_names_the_file_the_line_and_the_key(tmp_path, text, where, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and where in message, message
    for word in words:
        assert word in message, message


def test_presets_and_the_example_file(tmp_path):
    path = write(
        tmp_path, EXAMPLE + '\n[presets.radio]\nsource = "a.mp3"\nbackend = "local"\noptions = { model = "nova-2" }\n'
    )
    config = load_config(path)
    assert config.presets["radio"].options == {"model": "nova-2"} and config.presets["radio"].backend == "local"
    settings = resolve(flags("--preset", "radio"), config, environ={})
    assert [p.name for p in settings.presets] == ["radio"]
    with pytest.raises(ValueError, match=r"no preset named 'tv'.*known: radio"):
        resolve(flags("--preset", "tv"), config, environ={})


def test_the_recording_table_sets_segments_compression_and_retention(tmp_path):
    config = load_config(write(tmp_path, "[recording]\nsegment_minutes = 30\nsegment_mb = 0\ncompress = false\n"
                                         "keep_days = 14\nmax_gb = 2.5\n"))  # fmt: skip
    policy = config.recording
    assert (policy.segment_seconds, policy.segment_bytes, policy.compress) == (1800.0, 0, False)
    assert policy.retention.keep_days == 14 and policy.retention.max_bytes == 2_500_000_000
    shown = resolve(flags(), config, environ={}).origins
    assert shown["recording.segments"] == ("a new segment every 30 min", "config file")
    assert shown["recording.retention"] == ("keep_days 14, max_gb 2.5", "config file")


def test_the_monitor_and_prices_tables_are_read(tmp_path):
    config = load_config(write(tmp_path, '[monitor]\nsilence_after = 300\n[prices]\nstreams = 12\n'
                                         '[prices.models]\n"nova-2" = 0.0058\n'))  # fmt: skip
    assert config.silence_after == 300.0
    assert config.prices.streams == 12 and config.prices.models["nova-2"] == 0.0058
    assert config.prices.models["nova-3"] == 0.0048 and config.prices.origin == "config file"  # the defaults stay
    assert load_config(tmp_path / "none.toml").prices.origin == "dgtui's defaults"
