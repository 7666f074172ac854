"""The config file: precedence, errors with file, line and key, key safety, and the config commands."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgtui.audio.local import FileSource
from dgtui.config.file import EXAMPLE, ConfigError, load_config
from dgtui.config.flags import add_recording_arguments, add_stream_arguments
from dgtui.config.settings import resolve
from dgtui.live.runner import StreamRunner
from dgtui.process.secrets import redact

KEY = "cfg-file-key-5f3a9b2c7d1e"


def flags(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_stream_arguments(parser)
    add_recording_arguments(parser)
    return parser.parse_args(list(argv))


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_no_file_means_dgtui_defaults(tmp_path):
    config = load_config(tmp_path / "absent.toml")
    assert not config.exists and config.record and config.url is None
    settings = resolve(flags(), config, environ={})
    assert settings.backend.kind == "local" and settings.options["model"] == "nova-3"
    assert settings.origins["options.model"] == ("nova-3", "dgtui default")


def test_precedence_command_line_then_environment_then_file_then_defaults(tmp_path):
    path = write(tmp_path, """
[defaults]
model = "nova-2"
diarize = true
[backend]
url = "ws://127.0.0.1:9001/v1/listen"
[recording]
dir = "/tmp/from-file"
""")  # fmt: skip
    config = load_config(path)
    from_file = resolve(flags(), config, environ={})
    assert from_file.backend.url == "ws://127.0.0.1:9001/v1/listen" and from_file.options["model"] == "nova-2"
    assert from_file.options["diarize"] is True and from_file.origins["options.diarize"][1] == "config file"
    assert from_file.record_dir == Path("/tmp/from-file")
    env = {"DGTUI_URL": "ws://127.0.0.1:9002/v1/listen", "DGTUI_DATA_DIR": "/tmp/from-env"}
    from_env = resolve(flags(), config, environ=env)
    assert from_env.backend.url == "ws://127.0.0.1:9002/v1/listen"
    assert from_env.origins["url"][1] == "environment (DGTUI_URL)"
    assert from_env.record_dir == Path("/tmp/from-env/sessions")
    cli = resolve(flags("--url", "ws://127.0.0.1:9003/v1/listen", "--model", "nova-3", "--record-dir", "/tmp/cli"),
                  config, environ=env)  # fmt: skip
    assert cli.backend.url == "ws://127.0.0.1:9003/v1/listen" and cli.options["model"] == "nova-3"
    assert cli.origins["options.model"] == ("nova-3", "command line") and cli.record_dir == Path("/tmp/cli")
    assert resolve(flags("--local"), config, environ=env).backend.kind == "local"
    assert resolve(flags("--no-record"), config, environ=env).record_dir is None


def test_the_key_comes_from_the_environment_first_then_a_private_file(tmp_path):
    path = write(tmp_path, f'[backend]\nkey = "{KEY}"\n')
    config = load_config(path)
    assert config.api_key({}) == (KEY, f"config file ({path})")
    assert config.api_key({"DEEPGRAM_API_KEY": "env-key-123456"})[1] == "environment (DEEPGRAM_API_KEY)"
    assert resolve(flags(), config, environ={}).backend.api_key == KEY
    assert KEY not in redact(f"url?token={KEY}")  # registered as a secret the moment it was read
    other = write(tmp_path, '[backend]\nkey_env = "MY_DG_KEY"\n')
    assert resolve(flags(), load_config(other), environ={"MY_DG_KEY": "mine-123456"}).backend.api_key == "mine-123456"


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


def test_reconnect_settings_come_from_the_file_and_the_flags_and_reach_every_stream(tmp_path, clip_file):
    config = load_config(write(tmp_path, "[reconnect]\nattempts = 2\nbuffer_seconds = 10\n"))
    settings = resolve(flags("--buffer-seconds", "12.5", "--no-resend"), config, environ={})
    assert settings.reconnect == {"reconnect_attempts": 2, "buffer_seconds": 12.5, "resend": False}
    assert settings.origins["reconnect.reconnect_attempts"] == (2, "config file")
    assert settings.origins["reconnect.buffer_seconds"] == (12.5, "command line")
    runner = StreamRunner(settings.backend, settings.options, reconnect=settings.reconnect)
    session = runner.add(FileSource(clip_file(seconds=1.0)))
    assert (session.config.reconnect_attempts, session.config.buffer_seconds, session.config.resend) == (2, 12.5, False)
    defaults = resolve(flags(), load_config(tmp_path / "absent.toml"), environ={})
    assert defaults.origins["reconnect.resend"] == (True, "dgtui default") and defaults.reconnect == {}


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


def dgtui(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dgtui", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})  # fmt: skip


def test_config_commands(tmp_path):
    path = tmp_path / "dgtui" / "config.toml"
    env = {"DGTUI_CONFIG": str(path), "DEEPGRAM_API_KEY": ""}
    assert dgtui("config", "path", env=env).stdout.strip() == str(path)
    assert "does not exist" in dgtui("config", "check", env=env).stdout
    created = dgtui("config", "init", env=env)
    assert created.returncode == 0 and path.read_text() == EXAMPLE and (path.stat().st_mode & 0o777) == 0o600
    again = dgtui("config", "init", env=env)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert "is valid" in dgtui("config", "check", env=env).stdout
    path.write_text(EXAMPLE.replace('# key = "..."', f'key = "{KEY}"'))
    shown = dgtui("config", "show", env=env)
    assert shown.returncode == 0 and KEY not in shown.stdout
    assert f"key = '***'  # config file ({path})" in shown.stdout
    assert "options.model = 'nova-3'  # config file" in shown.stdout
    assert "backend = 'deepgram'  # default (a key is set)" in shown.stdout  # the kind's name, not its repr
    path.write_text("[backend]\nurl = 5\n")
    bad = dgtui("config", "check", env=env)
    assert bad.returncode == 2 and f"{path}:2: [backend] url: must be a str" in bad.stderr
    assert "Traceback" not in bad.stderr
    refused = dgtui("stream", "x.wav", env=env)
    assert refused.returncode == 2 and f"{path}:2:" in refused.stderr


def test_a_preset_streams_with_its_own_options(tmp_path, server, clip_file):
    wav = clip_file(seconds=3.0)
    path = write(tmp_path, f'[presets.council]\nsource = "{wav}"\noptions = {{ punctuate = false }}\n')
    result = dgtui("stream", "--preset", "council", "--url", server.url, "--json", "--fast", "--no-record",
                   env={"DGTUI_CONFIG": str(path)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "punctuate=false" in result.stdout  # the Connected line's URL


# -- streams added while running (the New-stream dialog) resolve as the command line does -----------------


def dialog(tmp_path, config_text: str, flags_text: str, backend: str, monkeypatch, environ: dict[str, str]):
    from dgtui.commands.plan import Plan, open_stream_request
    from dgtui.tui.screens.new_stream import StreamRequest

    for name in ("DEEPGRAM_API_KEY", "MY_DG_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = load_config(write(tmp_path, config_text))
    settings = resolve(flags(), config)
    request = StreamRequest(str(tmp_path / "missing.wav"), flags_text, backend)
    try:
        return open_stream_request(request, Plan([], settings, config))
    except Exception as exc:  # the source is missing on purpose: the error says where resolution got to
        return exc


def test_the_dialog_takes_the_key_from_the_config_file(tmp_path, monkeypatch):
    from dgtui.config.settings import backend_named

    config = load_config(write(tmp_path, f'[backend]\nkey = "{KEY}"\n'))
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    backend = backend_named("deepgram", config, default=resolve(flags(), config).backend)
    assert backend.kind == "deepgram" and backend.api_key == KEY and backend.key_source == "the config file"
    assert "key from the config file" in backend.describe() and KEY not in backend.describe()
    result = dialog(tmp_path, f'[backend]\nkey = "{KEY}"\n', "", "deepgram", monkeypatch, {})
    assert "no such file" in str(result)  # the backend resolved (the key was found); only the source is missing


def test_the_dialog_uses_a_custom_key_env_and_names_it(tmp_path, monkeypatch):
    from dgtui.config.settings import backend_named
    from dgtui.tui.screens.new_stream import backends

    text = '[backend]\nkey_env = "MY_DG_KEY"\n'
    missing = dialog(tmp_path, text, "", "deepgram", monkeypatch, {"DEEPGRAM_API_KEY": "not-this-one"})
    assert "Deepgram needs a key: set MY_DG_KEY in the environment" in str(missing)
    monkeypatch.setenv("MY_DG_KEY", "custom-env-key-1234")
    config = load_config(tmp_path / "config.toml")
    backend = backend_named("deepgram", config, default=resolve(flags(), config).backend)
    assert backend.api_key == "custom-env-key-1234" and backend.key_source == "MY_DG_KEY"
    assert ("Deepgram (MY_DG_KEY)", "deepgram") in backends(config.key_env)


def test_the_dialog_options_start_from_the_config_defaults(tmp_path, monkeypatch, clip_file):
    from dgtui.commands.plan import Plan, open_stream_request
    from dgtui.tui.screens.new_stream import StreamRequest

    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    config = load_config(write(tmp_path, '[defaults]\nmodel = "nova-2"\nendpointing = 25\n'))
    settings = resolve(flags(), config)
    wav = str(clip_file(seconds=1.0))
    _, options, backend, _ = open_stream_request(StreamRequest(wav, "--diarize", "default"), Plan([], settings, config))
    assert options["model"] == "nova-2" and options["endpointing"] == 25 and options["diarize"] is True
    assert backend == settings.backend
    _, options, backend, conditions = open_stream_request(StreamRequest(wav, "", "local"), Plan([], settings, config))
    assert options == settings.options and backend.kind == "local"  # no flags: the run's options
    assert conditions.specs == ()
    _, _, backend, _ = open_stream_request(StreamRequest(wav, "--url ws://127.0.0.1:9/v1/listen", "default"),
                                           Plan([], settings, config))  # fmt: skip
    assert backend.kind == "url" and backend.url == "ws://127.0.0.1:9/v1/listen"  # the flags choose
    plan = Plan([], settings, config)
    *_, conditions = open_stream_request(StreamRequest(wav, "--condition telephony", "local"), plan)
    assert conditions.specs == ("telephony",)  # the dialog's flags take conditions too


def test_a_flux_model_takes_flux_options_and_leaves_the_nova_defaults_out(tmp_path):
    config = load_config(write(tmp_path, '[defaults]\nmodel = "nova-3"\ninterim_results = true\nkeyterm = ["dgtui"]\n'))
    flux = resolve(flags("--model", "flux-general-en", "--eot-threshold", "0.8"), config, environ={})
    assert flux.options == {"model": "flux-general-en", "keyterm": ["dgtui"], "eot_threshold": 0.8}
    by_url = resolve(flags("--url", "ws://127.0.0.1:9/v2/listen"), load_config(tmp_path / "none.toml"), environ={})
    assert by_url.options == {"model": "flux-general-en"}  # a /v2/listen URL alone selects Flux
    nova = resolve(flags(), config, environ={})
    assert nova.options["interim_results"] is True and "eot_threshold" not in nova.options


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
