"""Shared fixtures: real local servers on loopback ports, and real audio."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings

from dgtui.server.app import ServerConfig
from tests.support.server import ServerThread

TEST_KEY = "dgtui-test-key-0123456789abcdef"

# Property-based tests draw the same examples on every run: the suite stays deterministic.
settings.register_profile("dgtui", derandomize=True, deadline=None)
settings.load_profile("dgtui")


@pytest.fixture(scope="session", autouse=True)
def _private_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Recordings and config of the tests go to a temporary place, never the user's own."""
    import os

    saved = {k: os.environ.get(k) for k in ("DGTUI_DATA_DIR", "DGTUI_CONFIG")}
    os.environ["DGTUI_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    os.environ["DGTUI_CONFIG"] = str(tmp_path_factory.mktemp("config") / "config.toml")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def server() -> Iterator[ServerThread]:
    """The local server with default settings (no key); more engines start when more streams come at once."""
    thread = ServerThread(ServerConfig(workers=2, admission=False)).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def keyed_server() -> Iterator[ServerThread]:
    thread = ServerThread(ServerConfig(api_key=TEST_KEY, workers=1, admission=False)).start()
    yield thread
    thread.stop()


@pytest.fixture
def make_server() -> Iterator[Callable[..., ServerThread]]:
    """Start a server with custom settings (short idle timeout, small limits); stopped after the test."""
    started: list[ServerThread] = []

    def start(**settings: object) -> ServerThread:
        settings.setdefault("workers", 1)
        settings.setdefault("admission", False)
        thread = ServerThread(ServerConfig(**settings)).start()  # type: ignore[arg-type]
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    """The council clip's first 6 s as a 16 kHz WAV file, shared by a module's tests."""
    from tests.support.audio import clip_pcm, encode

    path = tmp_path_factory.mktemp("audio") / "council.wav"
    path.write_bytes(encode(clip_pcm("council")[: 32000 * 6], 16000, "wav", "pcm_s16le"))
    return path


@pytest.fixture
def clip_file(tmp_path):
    """A bundled clip's first ``seconds`` as a 16 kHz WAV file."""
    from tests.support.audio import clip_pcm, encode

    def make(name: str = "council", seconds: float = 6.0):
        path = tmp_path / f"{name}-{seconds}.wav"
        path.write_bytes(encode(clip_pcm(name)[: int(32000 * seconds)], 16000, "wav", "pcm_s16le"))
        return path

    return make
