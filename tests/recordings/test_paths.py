"""Where dgtui keeps its data: DGTUI_DATA_DIR first, else the platform's user data directory."""

from __future__ import annotations

from pathlib import Path

from dgtui.recordings.paths import data_dir, sessions_dir


def test_the_environment_moves_the_data_and_the_sessions_are_inside_it(tmp_path):
    assert data_dir({"DGTUI_DATA_DIR": str(tmp_path)}) == tmp_path
    assert data_dir({"DGTUI_DATA_DIR": "~/dg"}) == Path.home() / "dg"
    assert data_dir({}).name == "dgtui"  # the platform's own place
    assert sessions_dir(tmp_path) == tmp_path / "sessions"
