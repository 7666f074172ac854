"""The effective settings: command line > environment > config file > defaults, each value with where it came from."""

from __future__ import annotations

from pathlib import Path

from dgtui.audio.local import FileSource
from dgtui.config.file import load_config
from dgtui.config.settings import resolve
from dgtui.live.runner import StreamRunner
from dgtui.process.secrets import redact
from tests.support.config import KEY, flags
from tests.support.config import write_config as write


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
