"""The planning of a run: streams added while running (the New-stream dialog) resolve as the command line does."""

from __future__ import annotations

from dgtui.config.file import load_config
from dgtui.config.settings import resolve
from tests.support.config import KEY, flags
from tests.support.config import write_config as write


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
