"""dgtui's pytest plugin (the ``pytest11`` entry point ``dgtui``): a local Deepgram for an application's tests.

    @pytest.mark.deepgram(faults=["drop:at=2s"], engine="synthetic")
    def test_my_agent_survives_a_drop(deepgram_server):
        client = DeepgramClient(api_key=deepgram_server.key, environment=...deepgram_server.url...)
        ...
        (seen,) = deepgram_server.seen()
        assert seen.controls["CloseStream"] == 1

``deepgram_server``: started for the test with the marker's ``faults`` (the spec syntax of ``--fault``), ``engine``
(``synthetic``, the default: placeholder words at speech's pace; ``pocketsphinx``: real recognition;
``script:FILE``: the words a file gives), ``replay`` (recordings served back instead of an engine) and ``workers``;
stopped after it. ``deepgram_session_server``: one for the whole session, without faults.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dgtui.protocol.faults import FaultError, FaultPlan
from dgtui.testing.local import LocalDeepgram, Seen, speech

__all__ = ["LocalDeepgram", "Seen", "speech"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deepgram(faults=[...], engine='synthetic', replay=[...], workers=1): deepgram_server's Deepgram"
    )


@pytest.fixture
def deepgram_server(request: pytest.FixtureRequest) -> Iterator[LocalDeepgram]:
    """A local Deepgram for this test: ``.url`` and ``.key`` for the SDK, ``.seen()`` for what it saw."""
    marker = request.node.get_closest_marker("deepgram")
    options = dict(marker.kwargs) if marker is not None else {}
    faults = list(options.get("faults", ()))
    try:
        FaultPlan.parse(faults)
    except FaultError as exc:
        pytest.fail(f"@pytest.mark.deepgram: {exc}", pytrace=False)
    server = LocalDeepgram(options.get("engine", "synthetic"), faults, options.get("workers", 1),
                           options.get("replay", ()))  # fmt: skip
    with server:
        yield server


@pytest.fixture(scope="session")
def deepgram_session_server() -> Iterator[LocalDeepgram]:
    """One local Deepgram (synthetic engine, no faults) shared by the session's tests."""
    with LocalDeepgram() as server:
        yield server
