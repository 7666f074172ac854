"""SVG snapshots of the main views on scripted input at a frozen clock (pytest --snapshot-update to accept)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgtui.judge.compare import LaneGroup
from dgtui.recordings.player import PlayedSession, PlayerRunner
from dgtui.tui.app import DgtuiApp
from tests.support.scenes import (
    deepgram_scene,
    flux_scene,
    lane_scene,
    many_scene,
    reconnecting_scene,
    scene,
    tap_scene,
    wall_scene,
)

SIZE = (140, 42)
NOTICE = "Demo on the local engine (offline) · Deepgram: set DEEPGRAM_API_KEY · your audio: dgtui FILE|URL"
SMALL = (80, 24)  # the default terminal


def app_at(at: float, streams: int = 0, make=None, **kwargs) -> DgtuiApp:
    sessions, clock = (make or (lambda at: many_scene(streams, at) if streams else scene(at)))(at)
    return DgtuiApp(PlayerRunner(sessions), backend_label="local engine (pocketsphinx, offline)", notice=NOTICE,
                    clock=clock, run_streams=False, opener=lambda request: None, **kwargs)  # fmt: skip


def test_overview(snap_compare):
    assert snap_compare(app_at(10.2), terminal_size=SIZE)


def test_stream_tab_mid_utterance(snap_compare):
    assert snap_compare(app_at(10.2), press=["1"], terminal_size=SIZE)


def test_diarized_stream_with_inspector(snap_compare):
    assert snap_compare(app_at(12.4), press=["2", "j"], terminal_size=SIZE)


def test_error_state(snap_compare):
    assert snap_compare(app_at(10.2), press=["4"], terminal_size=SIZE)


def test_help_screen(snap_compare):
    assert snap_compare(app_at(10.2), press=["question_mark"], terminal_size=SIZE)


def test_overview_at_80x24(snap_compare):
    assert snap_compare(app_at(10.2), terminal_size=SMALL)


def test_stream_tab_at_80x24(snap_compare):
    assert snap_compare(app_at(10.2), press=["1"], terminal_size=SMALL)


def test_stream_tab_at_80x24_with_panels(snap_compare):
    assert snap_compare(app_at(10.2), press=["1", "l"], terminal_size=SMALL)


def test_overview_with_24_streams(snap_compare):
    assert snap_compare(app_at(10.2, streams=24), terminal_size=SIZE)


def test_overview_with_24_streams_at_80x24(snap_compare):
    assert snap_compare(app_at(10.2, streams=24), terminal_size=SMALL)


# -- the dialogs, and the states a stream can be in --------------------------------------------------------


def test_new_stream_dialog(snap_compare):
    assert snap_compare(app_at(10.2), press=["a"], terminal_size=SIZE)


def test_export_dialog(snap_compare):
    assert snap_compare(app_at(10.2, export_dir=Path("exports")), press=["1", "e"], terminal_size=SIZE)


def test_sessions_screen_with_no_recordings(snap_compare):
    assert snap_compare(app_at(10.2, record_dir=Path("no-recordings-here")), press=["s"], terminal_size=SIZE)


def _recordings(folder: Path) -> None:
    """Three sessions on a fixed clock: one short, one a day long in segments, one whose first segments
    retention deleted."""
    from dgtui.recordings.segments import session_files
    from dgtui.recordings.writer import RecordingPolicy, record
    from tests.support.script import audio_steps, connect, conversation, word_times

    for n, (name, sentences, delete) in enumerate([("call-7", 3, 0), ("radio-one", 40, 0), ("radio-two", 40, 2)]):
        said = [f"news at {w} on the hour" for w in range(sentences)]
        steps = [connect(0.0, "ws://127.0.0.1:1/v1/listen", f"{n}f3c2a1-{name}"), *conversation(said),
                 *audio_steps(word_times(said)[-1][2] + 2.0)]  # fmt: skip
        session = PlayedSession(name, steps, clock=lambda: 0.0)
        recorder = record(session, folder, policy=RecordingPolicy(segment_seconds=30, segment_bytes=0),
                          wall=lambda n=n: 1_796_200_000.0 + 3600 * n)  # fmt: skip
        session.advance(session.duration, origin=0.0)
        recorder.close()
        recorder.wait()
        for path in session_files(recorder.path)[:delete]:
            path.unlink()


def test_sessions_screen_with_rotated_and_retained_recordings(snap_compare, tmp_path, monkeypatch):
    _recordings(tmp_path / "recordings")
    monkeypatch.chdir(tmp_path)  # the folder is shown as given: relative, the same on every machine
    assert snap_compare(app_at(10.2, record_dir=Path("recordings")), press=["s"], terminal_size=SIZE,
                        run_before=listed(3))  # fmt: skip


def listed(rows: int):  # type: ignore[no-untyped-def]
    """Before the shot: the sessions screen has listed ``rows`` recordings (it reads them on a worker)."""

    async def wait(pilot) -> None:  # type: ignore[no-untyped-def]
        from textual.widgets import DataTable

        for _ in range(200):  # bounded: 10 s on a loaded machine
            tables = pilot.app.screen.query(DataTable)
            if tables and tables.first().row_count >= rows:
                break
            await pilot.pause(0.05)
        await pilot.pause()

    return wait


def test_paused_stream(snap_compare):
    assert snap_compare(app_at(10.2), press=["1", "p"], terminal_size=SIZE)


def test_reconnecting_stream(snap_compare):
    assert snap_compare(app_at(10.2, make=reconnecting_scene), press=["1"], terminal_size=SIZE)


def test_overview_of_deepgram_streams_with_their_cost(snap_compare):
    assert snap_compare(app_at(10.2, make=deepgram_scene), terminal_size=SIZE)


def test_deepgram_stream_tab_with_its_cost_and_audio_sent_again(snap_compare):
    assert snap_compare(app_at(10.2, make=deepgram_scene), press=["1"], terminal_size=SIZE)


def test_overview_flags_the_feeds_gone_silent(snap_compare):
    assert snap_compare(app_at(10.2, make=wall_scene, silence_after=5.0), terminal_size=SIZE)


def test_overview_flags_silent_feeds_in_compact_rows_at_80x24(snap_compare):
    assert snap_compare(app_at(10.2, make=wall_scene, silence_after=5.0), terminal_size=(80, 12))


def test_stream_tab_shows_reconnects_and_time_offline_in_the_last_hour_and_day(snap_compare):
    assert snap_compare(app_at(10.2, make=wall_scene, silence_after=5.0), press=["3"], terminal_size=SIZE)


def test_closed_stream(snap_compare):
    assert snap_compare(app_at(10.2), press=["3"], terminal_size=SIZE)


def test_flux_stream_mid_turn(snap_compare):
    assert snap_compare(app_at(2.5, make=flux_scene), press=["1"], terminal_size=SIZE)


def test_flux_stream_at_an_eager_end_of_turn(snap_compare):
    assert snap_compare(app_at(7.0, make=flux_scene), press=["1"], terminal_size=SIZE)


def test_flux_stream_resumed_after_an_eager_end(snap_compare):
    assert snap_compare(app_at(7.5, make=flux_scene), press=["1"], terminal_size=SIZE)


def test_overview_with_flux_and_nova_side_by_side(snap_compare):
    assert snap_compare(app_at(7.5, make=flux_scene), terminal_size=SIZE)


def lanes_app(at: float) -> DgtuiApp:
    sessions, clock, group = lane_scene(at)
    return DgtuiApp(PlayerRunner(sessions), backend_label="local engine (pocketsphinx, offline)", clock=clock,
                    run_streams=False, opener=lambda request: None, groups=[group])  # fmt: skip


def test_lanes_compared_side_by_side(snap_compare):
    assert snap_compare(lanes_app(12.0), terminal_size=SIZE)


def test_lanes_compared_stacked_at_80x24(snap_compare):
    assert snap_compare(lanes_app(12.0), terminal_size=SMALL)


def test_lanes_finals_aligned_with_word_marks(snap_compare):
    assert snap_compare(lanes_app(12.0), press=["v"], terminal_size=SIZE)


def test_lanes_finals_aligned_at_80x24(snap_compare):
    assert snap_compare(lanes_app(12.0), press=["v"], terminal_size=SMALL)


def test_stream_judged_against_its_reference(snap_compare):
    sessions, clock, group = lane_scene(12.0)
    judged = LaneGroup(group.source, group.streams[1:], group.reference, group.reference_path, group.truth)
    app = DgtuiApp(PlayerRunner(sessions[1:]), backend_label="local engine (pocketsphinx, offline)", clock=clock,
                   run_streams=False, opener=lambda request: None, groups=[judged])  # fmt: skip
    assert snap_compare(app, press=["1"], terminal_size=SIZE)


# -- dgtui tap: an application's own streams, and its other traffic ----------------------------------------


def tap_app(at: float) -> DgtuiApp:
    runner, clock = tap_scene(at)
    return DgtuiApp(runner, backend_label="tap → wss://api.deepgram.com", notice="Tap: starting…", clock=clock,
                    run_streams=False)  # fmt: skip


def test_tapped_streams_on_the_wall(snap_compare):
    assert snap_compare(tap_app(10.2), terminal_size=SIZE)


def test_tapped_streams_on_the_wall_at_80x24(snap_compare):
    assert snap_compare(tap_app(10.2), terminal_size=SMALL)


def test_tapped_stream_tab_with_a_diagnosis(snap_compare):
    assert snap_compare(tap_app(10.2), press=["2"], terminal_size=SIZE)


def test_tapped_stream_tab_at_80x24(snap_compare):
    assert snap_compare(tap_app(10.2), press=["1"], terminal_size=SMALL)


def test_the_flows_tab(snap_compare):
    assert snap_compare(tap_app(10.2), press=["right_square_bracket"], terminal_size=SIZE)


def test_help_screen_says_where_the_metrics_are_served(snap_compare):
    """With --metrics: the header says where (host and port), the help screen the whole URL."""
    app = app_at(10.2, metrics_url="http://127.0.0.1:9464/metrics")
    assert snap_compare(app, press=["question_mark"], terminal_size=SIZE)


WIDTHS = {80: (80, 24), 120: (120, 36), 200: (200, 50)}
VIEWS = {  # what a user reaches at each width: the wall, a stream tab, a Flux tab, a comparison tab
    "wall": (lambda: app_at(30.0), []),
    "stream": (lambda: app_at(30.0), ["1"]),
    "flux": (lambda: app_at(12.0, make=flux_scene), ["1"]),
    "lanes": (lambda: lanes_app(30.0), []),
}


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_at_every_width(snap_compare, view, width):
    """The wall's cards share the height; markers, headers and tables fit or wrap: nothing cut at an edge."""
    make, press = VIEWS[view]
    assert snap_compare(make(), press=press, terminal_size=WIDTHS[width], run_before=settled)


async def settled(pilot) -> None:
    """Let the header's height settle after the first layouts (auto heights are measured as they are drawn)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_stream_tab_with_its_latency_plot(snap_compare):
    assert snap_compare(app_at(30.0), press=["1", "g"], terminal_size=SIZE)


def test_lanes_compared_with_their_plots(snap_compare):
    assert snap_compare(lanes_app(30.0), press=["g"], terminal_size=SIZE)
