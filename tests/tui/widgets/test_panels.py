"""The small panels of a stream tab: each builds its text from the state and repaints only when what it shows
changed."""

from __future__ import annotations

from dgtui.state.events import AudioAccounted, Closed, Connected, Control, HandshakeTimings
from dgtui.tui.widgets.panels import (
    Indicators,
    MetadataPanel,
    StreamHeader,
    confidence_bar,
    cost_parts,
    health_parts,
    thresholds_of,
)
from tests.support.scenes import deepgram_scene, flux_scene, scene
from tests.tui.widgets.conftest import Host


async def test_the_header_says_the_source_the_state_the_audio_and_repaints_only_on_change():
    (weather, *_), clock = scene(12.0)
    header = StreamHeader()
    async with Host(header).run_test(size=(140, 10)) as pilot:
        header.show(weather.state, clock())
        await pilot.pause()
        text = header.render().plain  # type: ignore[union-attr]
        assert "weather" in text and "streaming" in text and "dgtui/data/weather.ogg" in text and "00:12.0" in text
        built = header._content
        header.show(weather.state, clock())  # nothing changed: nothing rebuilt
        assert header._content is built


def test_lights_metadata_and_health_after_a_reconnect():
    (weather, *_), clock = scene(12.0)
    state = weather.state
    lights = Indicators().build(state, clock()).plain
    assert "is_final" in lights and "speech_final" in lights
    meta = MetadataPanel().build(state, clock())
    assert meta.row_count >= 5  # request id, model, uuid, channels, handshake, options
    assert health_parts(state, clock()) == ()  # no reconnect: nothing to say
    state.apply(Closed("weather", None, "", "lost"))
    state.apply(Control("weather", "reconnect", 10.0))
    clock.set(14.0)
    state.apply(Connected("weather", "ws://h/v1/listen", "r2", HandshakeTimings()))
    parts = "".join(text for text, _ in health_parts(state, clock()))
    assert parts == " (1 in 1 h, 1 in 24 h)   offline 2s/h · 2s/24 h"  # down from 12 s to 14 s


def test_a_stream_to_deepgram_shows_its_cost_and_what_was_sent_again():
    (first, _), clock = deepgram_scene(20.0)
    parts = "".join(text for text, _ in cost_parts(first.state, clock()))
    assert parts.startswith("   cost $") and "(sent again $" in parts
    (local, *_), clock = scene(12.0)
    local.state.apply(AudioAccounted("weather", resent=1.0))
    assert cost_parts(local.state, clock()) == ()  # not Deepgram's cloud: not billed


def test_a_flux_tab_shows_its_thresholds_and_the_open_turns_confidence():
    (agent, _), _clock = flux_scene(5.0)
    thresholds = thresholds_of(agent.state)
    assert thresholds == {"eot_threshold": 0.7, "eager_eot_threshold": 0.4}
    bar = confidence_bar(agent.state, width=20).plain
    assert "turn #" in bar
