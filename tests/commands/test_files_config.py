"""``dgtui config``: path, init, check, show; and a preset streaming with its own options."""

from __future__ import annotations

from dgtui.config.file import EXAMPLE
from tests.support.cli import dgtui_text as dgtui
from tests.support.config import KEY
from tests.support.config import write_config as write


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
