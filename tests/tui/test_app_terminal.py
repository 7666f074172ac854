"""``dgtui [SOURCE ...]`` as a user runs it: a real process in a pseudo-terminal."""

from __future__ import annotations

import subprocess
import sys

from dgtui.data import clip
from tests.support.terminal import Terminal


def test_the_app_runs_in_a_terminal_and_quits_cleanly_on_q(server):
    with Terminal([str(clip("weather").path), "--url", server.url]) as terminal:
        assert terminal.read_until(b"Overview", 20) is not None, terminal.output[-2000:]
        assert terminal.read_until(b"weather", 10) is not None
        assert terminal.read_until(b"streaming", 20) is not None
        terminal.press(b"1")
        assert terminal.read_until(b"Latency", 30) is not None
        terminal.press(b"q")
        assert terminal.wait(30) == 0


def test_help_lists_the_commands_and_the_keys_hint():
    result = subprocess.run([sys.executable, "-m", "dgtui", "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for word in ("SOURCE", "serve", "stream", "bench", "--model", "--local", "--url", "press ?"):
        assert word in result.stdout, word


def test_a_bad_source_fails_before_the_screen_is_taken():
    result = subprocess.run(
        [sys.executable, "-m", "dgtui", "/nonexistent/audio.wav"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "/nonexistent/audio.wav" in result.stderr and "Traceback" not in result.stderr
