"""The Overview's wall: a card per stream with its latest words, lights, figures and identity; compact rows when
the cards do not fit; a silent feed flagged."""

from __future__ import annotations

from rich.console import Console

from dgtui.state.health import Silence
from dgtui.tui.widgets.wall import StreamWall, identity, lights_of, silent_label, speech
from tests.support.scenes import flux_scene, many_scene, scene
from tests.tui.widgets.conftest import Host


def test_a_card_shows_the_latest_words_its_lights_and_who_it_is():
    (weather, _council, _support, radio), _ = scene(12.0)
    console = Console(width=60)
    words = [line.plain for line in speech(weather.state, 40, 3, console)]
    assert len(words) <= 3 and all(len(line) <= 40 for line in words) and words[-1]
    assert [line.plain for line in speech(radio.state, 40, 3, console)] == ["no speech"]  # it failed
    assert "3f1c9a52" in identity(weather.state).plain  # the short request id
    assert silent_label(Silence(185.0, "no speech")).plain == "⚠ silent 3m05s: no speech"
    (agent, _), _ = flux_scene(5.0)
    assert lights_of(agent.state) == ("EagerEndOfTurn", "TurnResumed", "EndOfTurn")
    assert "speech_final" in lights_of(weather.state)


async def test_cards_fill_columns_by_width_and_give_way_to_compact_rows_when_they_do_not_fit():
    sessions, clock = many_scene(4, 12.0)
    wall = StreamWall()
    async with Host(wall).run_test(size=(140, 42)) as pilot:
        wall.show([s.state for s in sessions], clock())
        await pilot.pause()
        assert wall.columns == 2 and not wall.compact and wall.names[0] == "weather-1"
    many, clock = many_scene(12, 12.0)
    small = StreamWall()
    async with Host(small).run_test(size=(80, 24)) as pilot:
        small.show([s.state for s in many], clock())
        await pilot.pause()
        assert small.columns == 1 and small.compact and small.row_count == 12
